/**
 * The emulator's state directory: hub.json, the CA file, the persisted registry, and plain
 * failures when the service address cannot be bound. Uses port 443 on 127.0.0.32.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ServiceBindError, startHubEmulator, type HubEmulator } from '../../../sandbox/hub/index.js';
import { openModule } from './support.js';

const run = promisify(execFile);
const SERVICE_HOST = '127.0.0.32';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('state directory', () => {
  test('hub.json appears whole: renamed into place, never written where a waiting reader could see half of it', async () => {
    // inotify: a file written in place shows 'change' events under its own name; one renamed into place only 'rename'.
    const events: string[] = [];
    const watcher = watch(dir, (type, name) => {
      if (name === 'hub.json') events.push(type);
    });
    try {
      const hub = await startHubEmulator({ stateDir: dir, serviceHost: SERVICE_HOST });
      await hub.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      watcher.close();
    }
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((type) => type !== 'rename')).toEqual([]);
  });

  test('hub.json has exactly the six documented fields and works from another process with NODE_EXTRA_CA_CERTS', async () => {
    const hub = await startHubEmulator({ stateDir: dir, serviceHost: SERVICE_HOST });
    try {
      const hubJson = JSON.parse(readFileSync(join(dir, 'hub.json'), 'utf8')) as Record<string, string>;
      expect(Object.keys(hubJson).sort()).toEqual(['caFile', 'deviceConnectionString', 'deviceId', 'edgeAgentConnectionString', 'gatewayHostName', 'serviceConnectionString']);
      expect(hubJson).toEqual({
        serviceConnectionString: hub.serviceConnectionString,
        deviceId: 'edge-device',
        edgeAgentConnectionString: hub.edgeAgentConnectionString,
        deviceConnectionString: hub.deviceConnectionString,
        gatewayHostName: `127.0.0.1:${hub.mqttPort}`,
        caFile: join(dir, 'hub-ca.pem'),
      });
      const deviceKey = hub.registry.getDevice('edge-device').keys.primaryKey;
      expect(hubJson.deviceConnectionString).toBe(`HostName=${SERVICE_HOST};DeviceId=edge-device;SharedAccessKey=${deviceKey};GatewayHostName=127.0.0.1:${hub.mqttPort}`);
      expect(hubJson.serviceConnectionString).toMatch(new RegExp(`^HostName=${SERVICE_HOST.replace(/\./g, '\\.')};SharedAccessKeyName=iothubowner;SharedAccessKey=`));
      expect(hubJson.edgeAgentConnectionString).toContain(`;DeviceId=edge-device;ModuleId=$edgeAgent;`);
      expect(hubJson.edgeAgentConnectionString).toMatch(new RegExp(`;GatewayHostName=127\\.0\\.0\\.1:${hub.mqttPort}$`));
      expect(readFileSync(hubJson.caFile!, 'utf8')).toBe(hub.caPem);

      const script = [
        "const { Registry } = require('azure-iothub');",
        'const hub = require(process.argv[1]);',
        'Registry.fromConnectionString(hub.serviceConnectionString).getModulesOnDevice(hub.deviceId)',
        '  .then((r) => console.log(JSON.stringify(r.responseBody.map((m) => m.moduleId).sort())), (e) => { console.error(e.message); process.exit(1); });',
      ].join('\n');
      const { stdout } = await run(process.execPath, ['-e', script, join(dir, 'hub.json')], { cwd: process.cwd(), env: { ...process.env, NODE_EXTRA_CA_CERTS: hubJson.caFile } });
      expect(JSON.parse(stdout)).toEqual(['$edgeAgent', '$edgeHub']);
    } finally {
      await hub.stop();
    }
    expect(existsSync(join(dir, 'hub.json'))).toBe(false);
  }, 20_000);

  test('identities, twins, keys and the CA survive a restart', async () => {
    const first = await startHubEmulator({ stateDir: dir, serviceHost: SERVICE_HOST });
    let second: HubEmulator | undefined;
    try {
      first.registry.createDevice('kept', { iotEdge: true });
      first.registry.patchDesired('kept', '$edgeAgent', { marker: 'persisted' });
      await first.stop();
      second = await startHubEmulator({ stateDir: dir, serviceHost: SERVICE_HOST });
      expect(second.caPem).toBe(first.caPem);
      expect(second.serviceConnectionString).toBe(first.serviceConnectionString);
      expect(second.registry.getModule('kept', '$edgeAgent').keys).toEqual(first.registry.getModule('kept', '$edgeAgent').keys);
      const client = await openModule(second.connectionString('kept', '$edgeAgent'), second.caPem);
      try {
        const twin = await client.getTwin();
        expect(twin.properties.desired).toMatchObject({ marker: 'persisted', $version: 2 });
      } finally {
        await client.close();
      }
    } finally {
      await second?.stop();
    }
  }, 20_000);

  test('a corrupt registry file is reported with its path', async () => {
    writeFileSync(join(dir, 'hub-registry.json'), '{ not json');
    await expect(startHubEmulator({ stateDir: dir, serviceHost: SERVICE_HOST })).rejects.toThrow(`registry file ${join(dir, 'hub-registry.json')} is not valid JSON`);
  });
});

describe('service address', () => {
  test('a service address already in use fails plainly, naming the address and the reason', async () => {
    const hub = await startHubEmulator({ serviceHost: SERVICE_HOST });
    try {
      const second = startHubEmulator({ serviceHost: SERVICE_HOST });
      await expect(second).rejects.toThrow(ServiceBindError);
      await expect(second).rejects.toThrow(`cannot listen on https://${SERVICE_HOST}:443 for the service API: address already in use`);
    } finally {
      await hub.stop();
    }
  }, 20_000);

  test('an invalid hub name is refused before anything starts', async () => {
    await expect(startHubEmulator({ serviceHost: SERVICE_HOST, hubName: 'no spaces' })).rejects.toThrow("hubName must be 3-50 letters, digits or hyphens, got 'no spaces'");
  });

  test('a service address outside 127.0.0.0/8 is refused', async () => {
    await expect(startHubEmulator({ serviceHost: '10.1.2.3' })).rejects.toThrow("serviceHost must be an IPv4 loopback address in 127.0.0.0/8, got '10.1.2.3'");
  });
});
