/**
 * The telemetry sample module against the hub emulator (service API on 127.0.0.22:443): a module
 * identity created with the azure-iothub Registry, the module connected the way its entry point
 * does (IotHubConnectionString + EdgeModuleCACertificateFile), real SDK clients on both sides.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iothub from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../sandbox/hub/index.js';
import { connectFromEnvironment, type Connection } from '../../modules/telemetry/src/connect.js';
import { parseInterval, TelemetrySender, temperatureAt, type TemperatureReading } from '../../modules/telemetry/src/sender.js';
import { waitFor } from '../support/wait.js';

const { Client, Registry } = iothub;
const SERVICE_HOST = '127.0.0.22';
const MODULE_ID = 'telemetry';

let hub: HubEmulator;
let dir: string;
let registry: InstanceType<typeof Registry>;
let connection: Connection;
let sender: TelemetrySender;
const logLines: string[] = [];


const readings = (): TemperatureReading[] => hub.telemetry(hub.deviceId, MODULE_ID).map((m) => JSON.parse(m.body) as TemperatureReading);
const reported = async (): Promise<Record<string, unknown>> => (await registry.getModuleTwin(hub.deviceId, MODULE_ID)).responseBody.properties.reported as Record<string, unknown>;

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: SERVICE_HOST });
  dir = await mkdtemp(join(tmpdir(), 'telemetry-test-'));
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, hub.caPem);
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await registry.addModule({ deviceId: hub.deviceId, moduleId: MODULE_ID });
  connection = await connectFromEnvironment({ IotHubConnectionString: hub.connectionString(hub.deviceId, MODULE_ID), EdgeModuleCACertificateFile: caFile });
  sender = new TelemetrySender(connection.client, { intervalMs: 1000, log: (l) => logLines.push(l) });
  await sender.start();
}, 30_000);
afterAll(async () => {
  sender?.stop();
  await connection?.client.close();
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

test('connects straight to IoT Hub (not through edgeHub) and reports its interval', async () => {
  expect(connection.viaEdgeHub).toBe(false);
  const r = await waitFor('reported interval', async () => {
    const rep = await reported();
    return rep['interval'] !== undefined ? rep : undefined;
  });
  expect(r['interval']).toBe(1000);
  // A null in a reported patch deletes the key: no error, no intervalError.
  expect(r).not.toHaveProperty('intervalError');
});

test('telemetry arrives at the hub as JSON temperature readings', async () => {
  const got = await waitFor('two messages', () => (readings().length >= 2 ? readings() : undefined), 5000);
  expect(got[0]!.sequence).toBe(0);
  expect(got[1]!.sequence).toBe(1);
  expect(got[1]!.temperature).toBe(temperatureAt(1));
  expect(got[0]!.temperatureUnit).toBe('C');
  expect(Number.isNaN(Date.parse(got[0]!.timeCreated))).toBe(false);
  expect(hub.telemetry(hub.deviceId, MODULE_ID)[0]!.properties['$.ct']).toBe('application/json');
});

test('a desired interval is applied and reported; an invalid one is reported and ignored', async () => {
  const twin = (await registry.getModuleTwin(hub.deviceId, MODULE_ID)).responseBody;
  await registry.updateModuleTwin(hub.deviceId, MODULE_ID, { properties: { desired: { interval: 200 } } }, twin.etag);
  await waitFor('reported interval 200', async () => ((await reported())['interval'] === 200 ? true : undefined));
  expect(sender.interval).toBe(200);
  // Messages now come about 200 ms apart (by the module's own clock).
  const start = readings().length;
  const fast = await waitFor('four fast messages', () => (readings().length >= start + 4 ? readings().slice(start) : undefined), 5000);
  const gaps = fast.slice(1).map((m, i) => Date.parse(m.timeCreated) - Date.parse(fast[i]!.timeCreated));
  for (const gap of gaps) {
    expect(gap).toBeGreaterThanOrEqual(150);
    expect(gap).toBeLessThan(900);
  }

  const again = (await registry.getModuleTwin(hub.deviceId, MODULE_ID)).responseBody;
  await registry.updateModuleTwin(hub.deviceId, MODULE_ID, { properties: { desired: { interval: 5 } } }, again.etag);
  const r = await waitFor('interval error', async () => {
    const rep = await reported();
    return typeof rep['intervalError'] === 'string' ? rep : undefined;
  });
  expect(r['intervalError']).toBe('interval must be between 100 and 86400000 ms, got 5');
  expect(r['interval']).toBe(200);
  expect(sender.interval).toBe(200);
});

test('the reset method answers 200 and restarts the sequence', async () => {
  await waitFor('sequence past 2', () => (readings().some((m) => m.sequence > 2) ? true : undefined));
  const client = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  const before = readings().length;
  const result = await client.invokeDeviceMethod(hub.deviceId, MODULE_ID, { methodName: 'reset', payload: {}, responseTimeoutInSeconds: 10 });
  expect(result.result).toEqual({ status: 200, payload: { reset: true, sequence: 0 } });
  // A message already in flight may still carry the old sequence; a 0 must follow.
  const after = await waitFor('sequence 0 after reset', () => {
    const list = readings().slice(before);
    return list.some((m) => m.sequence === 0) ? list : undefined;
  });
  expect(after.findIndex((m) => m.sequence === 0)).toBeLessThanOrEqual(1);
  await client.close();
});

test('parseInterval accepts whole milliseconds in range only', () => {
  expect(parseInterval(1000)).toEqual({ ms: 1000 });
  expect(parseInterval('1000')).toEqual({ error: 'interval must be a whole number of milliseconds, got "1000"' });
  expect(parseInterval(1.5)).toHaveProperty('error');
  expect(parseInterval(99)).toHaveProperty('error');
});
