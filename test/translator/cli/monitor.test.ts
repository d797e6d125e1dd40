/**
 * `iotedge-k8s hub monitor` against the hub emulator (service address 127.0.0.23): messages a real
 * azure-iot-device client sends are printed as they arrive, filtered by device; a missing sandbox
 * is one clear line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import deviceSdk from 'azure-iot-device';
import mqttTransport from 'azure-iot-device-mqtt';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { main } from '../../../translator/cli/main.js';
import { formatEvent, runMonitor } from '../../../translator/cli/monitor.js';
import { waitFor } from '../../support/wait.js';

jest.setTimeout(30_000);

const { Client, Message } = deviceSdk;
let hub: HubEmulator;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monitor-test-'));
  hub = await startHubEmulator({ stateDir: dir, serviceHost: '127.0.0.23' });
  hub.registry.createDevice('sensor-1');
  hub.registry.createDevice('sensor-2');
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

async function send(deviceId: string, body: string): Promise<void> {
  const client = Client.fromConnectionString(hub.connectionString(deviceId), mqttTransport.Mqtt);
  await client.setOptions({ ca: hub.caPem });
  await client.open();
  const message = new Message(body);
  message.properties.add('kind', 'test');
  await client.sendEvent(message);
  await client.close();
}

test('prints each device-to-cloud message as it arrives, only of the device asked for', async () => {
  const out: string[] = [];
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  const running = runMonitor({ stateDir: dir, timeout: 0, deviceId: 'sensor-1' }, { stdout: (t) => out.push(t), stderr: (t) => out.push(`stderr: ${t}`) }, stopped);
  await waitFor('the monitor started', () => (out.join('').includes('Starting event monitor') ? true : undefined));
  await send('sensor-2', '{"from":"two"}');
  await send('sensor-1', '{"temperature":21.5}');
  await waitFor('the message printed', () => (out.join('').includes('21.5') ? true : undefined));
  stop();
  expect(await running).toBe(0);
  const text = out.join('');
  expect(text).toBe(
    'Starting event monitor, use ctrl-c to stop...\n' +
      JSON.stringify({ event: { origin: 'sensor-1', module: '', interface: '', component: '', payload: { temperature: 21.5 } } }, null, 4) +
      '\n',
  );
});

test('--properties adds the application properties and the enqueued time', () => {
  const text = formatEvent({ deviceId: 'd', moduleId: 'm', body: 'plain', properties: { kind: 'x', '$.ct': 'text/plain' }, enqueuedTimeUtc: '2026-01-01T00:00:00.000Z' }, true);
  expect(JSON.parse(text)).toEqual({
    event: {
      origin: 'd',
      module: 'm',
      interface: '',
      component: '',
      payload: 'plain',
      annotations: { 'iothub-enqueuedtime': '2026-01-01T00:00:00.000Z', 'iothub-connection-device-id': 'd', 'iothub-connection-module-id': 'm' },
      properties: { system: { '$.ct': 'text/plain' }, application: { kind: 'x' } },
    },
  });
});

test('without a sandbox: one line, exit 1', async () => {
  const err: string[] = [];
  const code = await main(['hub', 'monitor', '--state-dir', join(dir, 'nothing')], { stdout: () => undefined, stderr: (t) => err.push(t) });
  expect(code).toBe(1);
  expect(err.join('')).toBe(`error: no sandbox IoT Hub in ${join(dir, 'nothing')} (no hub.json): start one with 'iotedge-k8s sandbox' or 'npm start'\n`);
});
