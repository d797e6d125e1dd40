/**
 * `runPush` against the hub emulator (service API on 127.0.0.21:443), checked with the real
 * azure-iothub Registry: the module twins' desired properties are what the file says.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { pushContent, PushError, runPush, type PushFlags } from '../../../translator/cli/push.js';

const SERVICE_HOST = '127.0.0.21';
/** A loopback address where nothing listens on 443. */
const UNREACHABLE_HOST = '127.0.0.29';
/** A loopback address whose port 443 accepts connections and never answers. */
const SILENT_HOST = '127.0.0.28';
const WEBSERVER = 'deployment-manifests/webserver.json';

let hub: HubEmulator;
let dir: string;
let caFile: string;
let registry: Registry;

beforeAll(async () => {
  hub = await startHubEmulator({ serviceHost: SERVICE_HOST });
  dir = await mkdtemp(join(tmpdir(), 'push-test-'));
  caFile = join(dir, 'hub-ca.pem');
  await writeFile(caFile, hub.caPem);
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

async function push(flags: Partial<PushFlags>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runPush(
    { file: WEBSERVER, hubConnectionString: hub.serviceConnectionString, deviceId: hub.deviceId, ca: caFile, ...flags },
    { stdout: (t) => (out += t), stderr: (t) => (err += t) },
  );
  return { code, out, err };
}

async function desired(moduleId: string): Promise<Record<string, unknown>> {
  const twin = (await registry.getModuleTwin(hub.deviceId, moduleId)).responseBody;
  return twin.properties.desired as Record<string, unknown>;
}

const sharedKey = (): string => /SharedAccessKey=([^;]+)/.exec(hub.serviceConnectionString)![1]!;

test('pushes a manifest: $edgeAgent and $edgeHub desired properties arrive', async () => {
  const { code, out, err } = await push({});
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toBe(`pushed ${WEBSERVER} to device ${hub.deviceId} on ${SERVICE_HOST} ($edgeAgent, $edgeHub)\n`);
  const file = JSON.parse(await readFile(WEBSERVER, 'utf8')) as { modulesContent: Record<string, { 'properties.desired': Record<string, unknown> }> };
  const agent = await desired('$edgeAgent');
  const expected = file.modulesContent['$edgeAgent']!['properties.desired'];
  expect(agent['modules']).toEqual(expected['modules']);
  expect(agent['systemModules']).toEqual(expected['systemModules']);
  expect(agent['schemaVersion']).toBe(expected['schemaVersion']);
  expect((await desired('$edgeHub'))['routes']).toEqual(file.modulesContent['$edgeHub']!['properties.desired']['routes']);
});

test('the content.modulesContent form is pushed too, and a change bumps $version', async () => {
  const before = (await desired('$edgeAgent'))['$version'] as number;
  const doc = JSON.parse(await readFile(WEBSERVER, 'utf8')) as { modulesContent: { $edgeAgent: { 'properties.desired': { modules: Record<string, { settings: { image: string } }> } } } };
  doc.modulesContent.$edgeAgent['properties.desired'].modules['webserverapp']!.settings.image = 'mcr.microsoft.com/oss/nginx/nginx:1.25-alpine';
  const file = join(dir, 'configuration.json');
  await writeFile(file, JSON.stringify({ id: 'web', priority: 10, targetCondition: '*', content: doc }));
  const { code, err } = await push({ file });
  expect([code, err]).toEqual([0, '']);
  const agent = await desired('$edgeAgent');
  expect((agent['modules'] as Record<string, { settings: { image: string } }>)['webserverapp']!.settings.image).toBe('mcr.microsoft.com/oss/nginx/nginx:1.25-alpine');
  expect(agent['$version']).toBeGreaterThan(before);
});

test('an invalid manifest prints the diagnostics, exits 1 and pushes nothing', async () => {
  const before = await desired('$edgeAgent');
  const doc = JSON.parse(await readFile(WEBSERVER, 'utf8')) as { modulesContent: { $edgeAgent: { 'properties.desired': { modules: Record<string, { status: string }> } } } };
  doc.modulesContent.$edgeAgent['properties.desired'].modules['webserverapp']!.status = 'sleeping';
  const file = join(dir, 'invalid.json');
  await writeFile(file, JSON.stringify(doc));
  const { code, out, err } = await push({ file });
  expect(code).toBe(1);
  expect(out).toBe('');
  expect(err).toMatch(/^error 400 \/modulesContent\/\$edgeAgent\/properties\.desired\/modules\/webserverapp\/status: /m);
  expect(err).toContain(`${file} is not a valid deployment; nothing was pushed`);
  expect(await desired('$edgeAgent')).toEqual(before);
});

test('an unknown device is a plain error', async () => {
  const { code, out, err } = await push({ deviceId: 'no-such-device' });
  expect(code).toBe(1);
  expect(out).toBe('');
  expect(err).toBe(`error: device 'no-such-device' was not found in IoT Hub ${SERVICE_HOST}\n`);
});

test('a wrong key is refused without printing any key', async () => {
  const wrongKey = Buffer.from('not the hub key at all, 32 bytes').toString('base64');
  const cs = hub.serviceConnectionString.replace(sharedKey(), wrongKey);
  const { code, err } = await push({ hubConnectionString: cs });
  expect(code).toBe(1);
  expect(err).toBe(`error: IoT Hub ${SERVICE_HOST} refused the credentials of the connection string\n`);
  expect(err).not.toContain(wrongKey);
});

test('a malformed connection string exits 1 and is not echoed', async () => {
  const { code, err } = await push({ hubConnectionString: 'SharedAccessKey=abc123secret' });
  expect(code).toBe(1);
  expect(err).toMatch(/^error: --hub-connection-string is not an IoT Hub connection string/);
  expect(err).not.toContain('abc123secret');
});

test('without --ca the hub certificate is not trusted, and the message says what to do', async () => {
  const { code, err } = await push({ ca: undefined });
  expect(code).toBe(1);
  expect(err).toMatch(new RegExp(`^error: cannot verify the TLS certificate of ${SERVICE_HOST.replace(/\./g, '\\.')} \\([A-Z_]+\\); pass the hub's CA with --ca FILE\\n$`));
  expect(err).not.toContain(sharedKey());
});

test('an unreachable hub is a plain error', async () => {
  const cs = hub.serviceConnectionString.replace(`HostName=${SERVICE_HOST}`, `HostName=${UNREACHABLE_HOST}`);
  const { code, err } = await push({ hubConnectionString: cs });
  expect(code).toBe(1);
  expect(err).toBe(`error: cannot reach IoT Hub at ${UNREACHABLE_HOST} (ECONNREFUSED)\n`);
});

test('a missing file and an unreadable CA are refused with messages', async () => {
  const missing = await push({ file: join(dir, 'absent.json') });
  expect(missing.code).toBe(1);
  expect(missing.err).toMatch(/^error: cannot read .*absent\.json \(ENOENT\)\n$/);

  const noCa = await push({ ca: join(dir, 'absent-ca.pem') });
  expect(noCa.code).toBe(1);
  expect(noCa.err).toMatch(/^error: cannot read --ca .*absent-ca\.pem \(ENOENT\)\n$/);
});

test('a hub that never answers times out with a plain error', async () => {
  const sockets: Socket[] = [];
  const silent: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(443, SILENT_HOST, resolve));
  try {
    const cs = hub.serviceConnectionString.replace(`HostName=${SERVICE_HOST}`, `HostName=${SILENT_HOST}`);
    const started = Date.now();
    const { code, err } = await push({ hubConnectionString: cs, timeoutMs: 300 });
    expect(code).toBe(1);
    expect(err).toBe(`error: IoT Hub ${SILENT_HOST} did not answer in time\n`);
    expect(Date.now() - started).toBeLessThan(3000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});


test('a deployment template is pushed resolved: images from module.json, createOptions as strings, module twins', async () => {
  await registry.addModule({ deviceId: hub.deviceId, moduleId: 'telemetry' });
  const { code, out, err } = await push({ file: 'deployment-manifests/sample-modules/deployment.template.json' });
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toContain('($edgeAgent, $edgeHub, telemetry)');
  type Mod = { settings: { image: string; createOptions: string } };
  const modules = (await desired('$edgeAgent'))['modules'] as Record<string, Mod>;
  expect(Object.keys(modules).sort()).toEqual(['telemetry', 'webserver']);
  expect(modules['webserver']!.settings.image).toBe('localhost:5000/webserver:0.1.0-amd64');
  expect(JSON.parse(modules['webserver']!.settings.createOptions)).toEqual({ ExposedPorts: { '8080/tcp': {} }, HostConfig: { PortBindings: { '8080/tcp': [{ HostPort: '8080' }] } } });
  expect((await desired('telemetry'))['interval']).toBe(5000);
});

test('--layer files are merged before pushing', async () => {
  const { code, err } = await push({ file: 'deployment-manifests/layered/base.json', layers: ['deployment-manifests/layered/monitoring.layer.json'] });
  expect([code, err]).toEqual([0, '']);
  const modules = (await desired('$edgeAgent'))['modules'] as Record<string, { settings: { image: string } }>;
  expect(modules['metricscollector']!.settings.image).toBe('mcr.microsoft.com/azureiotedge-metrics-collector:1.1');
});

test('a folder is pushed as run --manifest reads one: its base manifest and its *.layer.json merged', async () => {
  const { code, out, err } = await push({ file: 'deployment-manifests/layered' });
  expect([code, err]).toEqual([0, '']);
  expect(out).toMatch(/^pushed deployment-manifests\/layered\/base\.json to device /);
  const modules = (await desired('$edgeAgent'))['modules'] as Record<string, { settings: { image: string } }>;
  expect(modules['metricscollector']!.settings.image).toBe('mcr.microsoft.com/azureiotedge-metrics-collector:1.1');
  expect(await push({ file: 'deployment-manifests' })).toMatchObject({ code: 1, err: expect.stringMatching(/^error: deployment-manifests holds several manifests \(/) });
});

test('pushContent rejects with a PushError and no secret', async () => {
  const content = { modulesContent: { $edgeAgent: { 'properties.desired': {} } } };
  const attempt = pushContent({ hubConnectionString: hub.serviceConnectionString, deviceId: 'ghost', content, caPem: hub.caPem });
  await expect(attempt).rejects.toBeInstanceOf(PushError);
  await expect(attempt).rejects.toThrow(`device 'ghost' was not found in IoT Hub ${SERVICE_HOST}`);
  await expect(pushContent({ hubConnectionString: 'HostName=x', deviceId: 'd', content })).rejects.toThrow(/not an IoT Hub connection string/);
});
