/**
 * The IoT Hub facts of a local `check` from the device's own credential, against the sandbox
 * IoT Hub over real HTTPS: the device-scoped module list answers with the hub's clock; a wrong
 * key is refused (401) with its own message and hint; an unreachable hub names the cause; a
 * credential of another device, an unusable one and none at all never reach IoT Hub.
 */
import { startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { deviceHubFacts } from '../../../translator/cli/local-hub-checks.js';
import { parseDeviceConnectionString } from '../../../translator/shared/index.js';

let hub: HubEmulator;

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: '127.0.0.73' });
}, 30_000);

afterAll(async () => {
  await hub?.stop();
});

const device = () => parseDeviceConnectionString(hub.deviceConnectionString);

test("one read-only request with the device's key: IoT Hub answers with its clock", async () => {
  const before = Date.now();
  const facts = await deviceHubFacts({ namespace: 'ns', deviceId: hub.deviceId, credential: { kind: 'device', device: device(), source: 'Secret s key k' }, caPem: hub.caPem });
  expect(facts.hub?.ok).toBe(true);
  const serverTime = facts.hub?.ok ? facts.hub.value.serverTime : undefined;
  // The Date header has one-second precision.
  expect(serverTime!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  expect(serverTime!.getTime()).toBeLessThanOrEqual(Date.now());
});

test("a wrong key: IoT Hub refuses the device's credential, named by where it came from", async () => {
  const wrong = { ...device(), sharedAccessKey: Buffer.alloc(32, 9).toString('base64') };
  const facts = await deviceHubFacts({ namespace: 'ns', credential: { kind: 'device', device: wrong, source: '--device-connection-string' }, caPem: hub.caPem });
  expect(facts.hub).toEqual({ ok: false, error: "IoT Hub refused the device's credential (--device-connection-string)" });
  expect(facts.hubHint).toContain("give the device's current connection string");
});

test('no answer: the cause, and a hint about the network and --ca', async () => {
  // Nothing listens on port 443 of this address.
  const nowhere = { ...device(), hostName: '127.0.0.74' };
  const refused = await deviceHubFacts({ namespace: 'ns', credential: { kind: 'device', device: nowhere, source: 's' }, caPem: hub.caPem });
  expect(refused.hub).toEqual({ ok: false, error: 'cannot reach IoT Hub at 127.0.0.74: connect ECONNREFUSED 127.0.0.74:443' });
  // The sandbox hub without its CA: its certificate is not trusted.
  const untrusted = await deviceHubFacts({ namespace: 'ns', credential: { kind: 'device', device: device(), source: 's' } });
  expect(untrusted.hub).toMatchObject({ ok: false, error: expect.stringMatching(new RegExp(`^cannot reach IoT Hub at ${hub.serviceHost.replace(/\./g, '\\.')}: .*certificate`)) });
  expect(untrusted.hubHint).toContain('--ca FILE');
});

test('another device, an unusable string, no credential: IoT Hub is not asked', async () => {
  const other = await deviceHubFacts({ namespace: 'ns', deviceId: 'edge-2', credential: { kind: 'device', device: device(), source: 'Secret s key k' }, caPem: hub.caPem });
  expect(other.hub).toEqual({ ok: false, error: `the device credential (Secret s key k) is for device '${hub.deviceId}', but namespace 'ns' runs device 'edge-2'` });
  const invalid = await deviceHubFacts({ namespace: 'ns', credential: { kind: 'invalid', source: 's', problem: 's has no DeviceId' } });
  expect(invalid.hub).toEqual({ ok: false, error: 's has no DeviceId' });
  expect(await deviceHubFacts({ namespace: 'ns', credential: { kind: 'none', reason: 'no device credential found (...)' } })).toEqual({ hubUnknown: 'not checked: no device credential found (...)' });
});
