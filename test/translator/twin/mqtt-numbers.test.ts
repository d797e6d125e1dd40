/**
 * mqtt-packet's number cache stays empty in a process whose twin link is up: a child Node
 * process (its own module loader, as the image runs the bridge) opens a TwinLink of the compiled
 * build to the sandbox IoT Hub over real MQTT, then reports the cache of the mqtt-packet that
 * MQTT.js loaded.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { distDir, ensureBuilt } from '../../support/build.js';

let hub: HubEmulator;

beforeAll(async () => {
  ensureBuilt();
  hub = await startHubEmulator({ serviceHost: '127.0.0.170', seedEdgeDevice: 'numbers-device' });
}, 180_000);

afterAll(async () => {
  await hub?.stop();
});

const CHILD = `
import { createRequire } from 'node:module';
const { TwinLink } = await import(process.env.TWIN_INDEX);
const link = await TwinLink.open({ connectionString: process.env.CS, ca: process.env.CA });
await new Promise((resolve) => link.desired$.subscribe(resolve));
// Along the chain the bridge loads: the package, azure-iot-device-mqtt, its MQTT base, MQTT.js.
let require = createRequire(process.env.TWIN_PATH);
for (const name of ['azure-iot-device-mqtt', 'azure-iot-mqtt-base', 'mqtt']) require = createRequire(require.resolve(name));
const packet = require('mqtt-packet');
const numbers = require('mqtt-packet/numbers');
console.log(JSON.stringify({ cacheNumbers: packet.writeToStream.cacheNumbers, cached: Object.keys(numbers.cache).length, fetches: link.fullFetchCount }));
await link.close();
`;

test('the twin link runs without the 65,536 cached number Buffers of mqtt-packet', async () => {
  const twinIndex = join(distDir, 'translator', 'twin', 'index.js');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD],
      { env: { ...process.env, TWIN_INDEX: pathToFileURL(twinIndex).href, TWIN_PATH: twinIndex, CS: hub.edgeAgentConnectionString, CA: hub.caPem }, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
  // The link connected, subscribed and fetched the twin: MQTT.js wrote packets with numbers in them.
  expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ cacheNumbers: false, cached: 0, fetches: 1 });
}, 90_000);
