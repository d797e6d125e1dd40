/**
 * The device-scoped module registry of the hub emulator, over real HTTPS with the request shapes
 * aziot-identityd sends (api-version 2017-11-08-preview, If-Match: *, device SAS without skn), and
 * modules connecting over MQTT with the keys the registry generated.
 */
import { request as httpsRequest } from 'node:https';
import { Message } from 'azure-iot-device';
import { createSas, startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { matchPath } from '../../../sandbox/hub/service-api.js';
import { openModule } from './support.js';

const DEVICE = 'edge-modreg';
const OTHER = 'edge-other';
let hub: HubEmulator;

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: '127.0.0.41', seedEdgeDevice: DEVICE });
  hub.registry.createDevice(OTHER, { iotEdge: true });
});
afterAll(async () => hub?.stop());

// Replies are arbitrary IoT Hub JSON read field by field in the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const req = httpsRequest(
      { host: hub.serviceHost, port: 443, method, path, ca: hub.caPem, headers: { authorization: token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const se = (): number => Math.floor(Date.now() / 1000) + 300;
const deviceToken = (deviceId: string, keyOf = deviceId): string => createSas(`${hub.hostName}/devices/${deviceId}`.toLowerCase(), hub.registry.getDevice(keyOf).keys.primaryKey, se());
const V = '?api-version=2017-11-08-preview';

test('create with generated keys (32 random bytes, base64), managedBy stored and returned, get, list, update with If-Match, delete', async () => {
  const token = deviceToken(DEVICE);
  const created = await call('PUT', `/devices/${DEVICE}/modules/sensor${V}`, token, { moduleId: 'sensor', deviceId: DEVICE, managedBy: 'IotEdge', authentication: { type: 'sas' } });
  expect(created.status).toBe(200);
  expect(created.json).toMatchObject({ moduleId: 'sensor', deviceId: DEVICE, managedBy: 'IotEdge', authentication: { type: 'sas' } });
  const { primaryKey, secondaryKey } = created.json.authentication.symmetricKey;
  expect(Buffer.from(primaryKey, 'base64')).toHaveLength(32);
  expect(Buffer.from(secondaryKey, 'base64')).toHaveLength(32);
  expect(primaryKey).not.toBe(secondaryKey);

  expect((await call('PUT', `/devices/${DEVICE}/modules/sensor${V}`, token, { moduleId: 'sensor', deviceId: DEVICE })).status).toBe(409);
  const got = await call('GET', `/devices/${DEVICE}/modules/sensor${V}`, token);
  expect(got.json).toMatchObject({ managedBy: 'IotEdge', etag: created.json.etag, authentication: { symmetricKey: { primaryKey } } });
  const list = await call('GET', `/devices/${DEVICE}/modules${V}`, token);
  expect(list.json.map((m: { moduleId: string }) => m.moduleId).sort()).toEqual(['$edgeAgent', '$edgeHub', 'sensor']);

  // An update without keys keeps them; a wrong etag is refused.
  const kept = await call('PUT', `/devices/${DEVICE}/modules/sensor${V}`, token, { moduleId: 'sensor', managedBy: 'IotEdge', authentication: { type: 'sas' } }, { 'if-match': '*' });
  expect(kept.json.authentication.symmetricKey.primaryKey).toBe(primaryKey);
  expect((await call('PUT', `/devices/${DEVICE}/modules/sensor${V}`, token, { moduleId: 'sensor' }, { 'if-match': '"nope"' })).status).toBe(412);

  expect((await call('DELETE', `/devices/${DEVICE}/modules/sensor${V}`, token, undefined, { 'if-match': '*' })).status).toBe(204);
  expect((await call('GET', `/devices/${DEVICE}/modules/sensor${V}`, token)).status).toBe(404);
});

test("a token for this device's resource signed with another device's key is refused (401), as is one for another device", async () => {
  const forged = deviceToken(DEVICE, OTHER);
  const res = await call('GET', `/devices/${DEVICE}/modules${V}`, forged);
  expect(res.status).toBe(401);
  expect(res.json.Message).toContain('signature does not match');
  expect((await call('PUT', `/devices/${DEVICE}/modules/x${V}`, forged, { moduleId: 'x' })).status).toBe(401);
  expect(hub.registry.findIdentity(DEVICE, 'x')).toBeUndefined();
  expect((await call('GET', `/devices/${OTHER}/modules${V}`, deviceToken(DEVICE))).status).toBe(401);
});

test('api-versions: the ones identityd, iotedgehubdev and the SDKs send are served; others are a 400', async () => {
  const token = deviceToken(DEVICE);
  for (const v of ['2017-11-08-preview', '2020-05-31-preview', '2021-04-12']) {
    expect((await call('GET', `/devices/${DEVICE}/modules?api-version=${v}`, token)).status).toBe(200);
  }
  const bad = await call('GET', `/devices/${DEVICE}/modules?api-version=1999-01-01`, token);
  expect(bad.status).toBe(400);
  expect(bad.json.Message).toContain('InvalidApiVersion');
});

test('the route table: unknown paths are 404, known paths with another method 405', async () => {
  const owner = createSas(hub.serviceHost, hub.registry.policyKey, se(), 'iothubowner');
  expect((await call('GET', `/devices/${DEVICE}/nothing${V}`, owner)).status).toBe(404);
  expect((await call('POST', `/devices/${DEVICE}/modules${V}`, owner, {})).status).toBe(405);
  expect((await call('DELETE', `/twins/${DEVICE}${V}`, owner)).status).toBe(405);
  expect(matchPath('devices/:deviceId/modules/:moduleId', ['devices', 'd', 'modules', '$edgeHub'])).toEqual({ deviceId: 'd', moduleId: '$edgeHub' });
  expect(matchPath('devices/:deviceId', ['devices', 'd', 'modules'])).toBeUndefined();
  expect(matchPath('devices/:deviceId/modules', ['devices', 'd', 'twins'])).toBeUndefined();
});

test('a module created through the device-scoped API connects over MQTT with its own key, and not with another key', async () => {
  const created = await call('PUT', `/devices/${DEVICE}/modules/mqttmod${V}`, deviceToken(DEVICE), { moduleId: 'mqttmod', managedBy: 'IotEdge' });
  const key = created.json.authentication.symmetricKey.primaryKey as string;
  const cs = `HostName=${hub.hostName};DeviceId=${DEVICE};ModuleId=mqttmod;SharedAccessKey=${key};GatewayHostName=${hub.gatewayHostName}`;
  const client = await openModule(cs, hub.caPem);
  try {
    const twin = await client.getTwin();
    expect(twin.properties.desired.$version).toBe(1);
  } finally {
    await client.close();
  }
  const wrongKey = hub.registry.getDevice(DEVICE).keys.primaryKey;
  await expect(openModule(cs.replace(key, wrongKey), hub.caPem)).rejects.toThrow();
});

test('deleting a module identity closes its MQTT connection, as IoT Hub does: nothing it sends afterwards arrives', async () => {
  const created = await call('PUT', `/devices/${DEVICE}/modules/doomed${V}`, deviceToken(DEVICE), { moduleId: 'doomed', managedBy: 'IotEdge' });
  const cs = `HostName=${hub.hostName};DeviceId=${DEVICE};ModuleId=doomed;SharedAccessKey=${created.json.authentication.symmetricKey.primaryKey};GatewayHostName=${hub.gatewayHostName}`;
  const client = await openModule(cs, hub.caPem);
  try {
    await client.sendEvent(new Message('before'));
    expect(hub.telemetry(DEVICE, 'doomed').map((m) => m.body)).toEqual(['before']);
    expect((await call('DELETE', `/devices/${DEVICE}/modules/doomed${V}`, deviceToken(DEVICE), undefined, { 'if-match': '*' })).status).toBe(204);
    void client.sendEvent(new Message('after')).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    expect(hub.telemetry(DEVICE, 'doomed').map((m) => m.body)).toEqual(['before']);
  } finally {
    await client.close().catch(() => undefined);
  }
});
