/**
 * UploadModuleLogs, UploadSupportBundle and GetTaskStatus end to end: azure-iothub's service
 * Client -> sandbox IoT Hub -> the ModuleClient of a TwinLink with the handlers attached -> the
 * sandbox cluster, and the uploads land in Azurite (the Azure Storage emulator) through container
 * SAS URLs, where @azure/storage-blob reads them back.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { Client, Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import { translate } from '../../../translator/translate/index.js';
import { APPEND_BLOCK_BYTES, Methods, uploadBlob, type LogMessage } from '../../../translator/methods/index.js';
import { TwinLink } from '../../../translator/twin/index.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import { startAzurite, type Azurite } from '../../support/azurite.js';
import { waitFor } from '../../support/wait.js';

const DEVICE = 'uploads-device';
const NAMESPACE = 'edge-uploads';
const REGISTRY_PASSWORD = 'registry-Pa55word-do-not-leak';
const MODULE_KEY = 'bW9kdWxlLWtleS1kby1ub3QtbGVhay0xMjM0NTY3OA==';

let hub: HubEmulator;
let kube: KubeEmulator;
let azurite: Azurite;
let link: TwinLink;
let methods: Methods;
let service: Client;

const manifest = deploymentManifest({
  modules: {
    SensorModule: dockerModule('sensor:1', { env: { UPSTREAM: { value: `HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=${MODULE_KEY}` } } }),
    other: dockerModule('other:1'),
  },
  runtimeSettings: { registryCredentials: { acr: { address: 'contoso.azurecr.io', username: 'contoso', password: REGISTRY_PASSWORD } } },
});

async function invoke(methodName: string, payload?: unknown): Promise<{ status: number; payload: unknown }> {
  try {
    const { result } = await service.invokeDeviceMethod(DEVICE, '$edgeAgent', { methodName, payload, responseTimeoutInSeconds: 10 });
    return result as { status: number; payload: unknown };
  } catch (e) {
    const body = (e as { responseBody?: string }).responseBody;
    if (typeof body === 'string' && body.startsWith('{')) return JSON.parse(body) as { status: number; payload: unknown };
    throw e;
  }
}

interface TaskAnswer {
  status: string;
  message: string;
  correlationId: string;
}

// Uploads run as tasks on a machine that may be busy: every test here may take up to 30 s.
jest.setTimeout(30_000);

async function finished(correlationId: string): Promise<TaskAnswer> {
  return waitFor(`task ${correlationId} to finish`, async () => {
    const answer = (await invoke('GetTaskStatus', { schemaVersion: '1.0', correlationId })).payload as TaskAnswer;
    return answer.status === 'NotStarted' || answer.status === 'Running' ? undefined : answer;
  });
}

beforeAll(async () => {
  const catalog = new ImageCatalog({
    'sensor:1': { kind: 'run', logEvery: 20, lines: ['<6> temperature 21.5', '<3> sensor read failed'] },
    'other:1': { kind: 'run', logEvery: 20, lines: ['other module line'] },
  });
  [hub, kube, azurite] = await Promise.all([startHubEmulator({ serviceHost: '127.0.0.161', seedEdgeDevice: DEVICE }), startKubeEmulator({ tls: false, timeFactor: 0.05, catalog }), startAzurite(10_411)]);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const { model, diagnostics } = parseManifest(manifest);
  if (!model) throw new Error(`test manifest invalid: ${JSON.stringify(diagnostics)}`);
  const objects = kc.makeApiClient(k8s.KubernetesObjectApi);
  for (const object of translate(model, { namespace: NAMESPACE, deviceId: DEVICE, hubHostname: hub.hostName }).objects) await objects.create(object as k8s.KubernetesObject);
  // The desired properties carry the registry password too, as on a real device.
  const registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await registry.applyConfigurationContentOnDevice(DEVICE, manifest as never);
  link = await TwinLink.open({ connectionString: hub.edgeAgentConnectionString, ca: hub.caPem });
  methods = new Methods({ kubeConfig: kc, namespace: NAMESPACE, deviceId: DEVICE, iotHub: hub.hostName, support: { bridgeLogs: () => `{"msg":"bridge line","connectionString":"HostName=x;SharedAccessKey=${MODULE_KEY}"}\n` } });
  methods.attach(link.client);
  service = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await waitFor('module pods running', async () => {
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items;
    return pods.length >= 3 && pods.every((p) => p.status?.phase === 'Running') ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 300));
}, 60_000);

afterAll(async () => {
  await methods?.tasks.idle();
  await link?.close();
  await Promise.all([hub?.stop(), kube?.stop(), azurite?.stop()]);
});

describe('UploadModuleLogs', () => {
  test('answers Running (as edgeAgent) with a correlationId at once; the blob holds the module lines; GetTaskStatus reaches Completed', async () => {
    const sasUrl = await azurite.containerSasUrl('logs-text');
    const answer = await invoke('UploadModuleLogs', { schemaVersion: '1.0', sasUrl, items: [{ id: 'SensorModule', filter: { tail: 4 } }], encoding: 'none', contentType: 'text' });
    expect(answer.status).toBe(200);
    const task = answer.payload as TaskAnswer;
    expect(task).toEqual({ status: 'Running', message: '', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(await finished(task.correlationId)).toEqual({ status: 'Completed', message: '', correlationId: task.correlationId });
    const blobs = await azurite.blobs('logs-text');
    expect([...blobs.keys()]).toEqual([expect.stringMatching(new RegExp(`^${hub.hostName.replace(/\./g, '\\.')}/${DEVICE}/SensorModule-\\d{4}-\\d{2}-\\d{2}--\\d{2}-\\d{2}-\\d{2}\\.log$`))]);
    const blob = [...blobs.values()][0]!;
    expect(blob.contentType).toBe('text/plain');
    // Text logs are an append blob, as edgeAgent writes them.
    expect(blob.blobType).toBe('AppendBlob');
    const lines = blob.data.toString('utf8').split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l === '<6> temperature 21.5' || l === '<3> sensor read failed')).toBe(true);
  });

  test('text gzip: an append blob .log.gz whose content is the gzipped lines', async () => {
    const sasUrl = await azurite.containerSasUrl('logs-text-gz');
    const answer = await invoke('UploadModuleLogs', { schemaVersion: '1.0', sasUrl, items: [{ id: '^other$', filter: { tail: 3 } }], encoding: 'gzip', contentType: 'text' });
    expect(await finished((answer.payload as TaskAnswer).correlationId)).toMatchObject({ status: 'Completed' });
    const [[name, blob]] = [...(await azurite.blobs('logs-text-gz'))] as [[string, { data: Buffer; blobType?: string; contentType?: string; contentEncoding?: string }]];
    expect(name).toMatch(/\/other-[\d-]+\.log\.gz$/);
    expect(blob).toMatchObject({ blobType: 'AppendBlob', contentType: 'text/plain', contentEncoding: 'gzip' });
    expect(gunzipSync(blob.data).toString('utf8')).toBe('other module line\n'.repeat(3));
  });

  test('an append blob larger than one Append Block is written in 4 MiB blocks, in order', async () => {
    const sasUrl = await azurite.containerSasUrl('logs-big');
    const data = Buffer.alloc(APPEND_BLOCK_BYTES * 2 + 1000);
    for (let i = 0; i < data.length; i++) data[i] = 97 + (Math.floor(i / 4096) % 26);
    await uploadBlob(sasUrl, { name: 'big.log', data, contentType: 'text/plain', blobType: 'append' });
    const client = azurite.service.getContainerClient('logs-big').getBlobClient('big.log');
    const properties = await client.getProperties();
    expect(properties).toMatchObject({ blobType: 'AppendBlob', blobCommittedBlockCount: 3, contentLength: data.length });
    expect((await client.downloadToBuffer()).equals(data)).toBe(true);
  }, 30_000);

  test('json gzip: one .json.gz blob per matching module, with edgeAgent log messages', async () => {
    const sasUrl = await azurite.containerSasUrl('logs-json');
    const answer = await invoke('UploadModuleLogs', { schemaVersion: '1.0', sasUrl, items: { id: '.*', filter: { tail: 2 } }, encoding: 'gzip', contentType: 'json' });
    expect(await finished((answer.payload as TaskAnswer).correlationId)).toMatchObject({ status: 'Completed' });
    const blobs = await azurite.blobs('logs-json');
    const byModule = new Map([...blobs].map(([name, b]) => [name.split('/')[2]!.replace(/-\d{4}-.*$/, ''), { name, ...b }]));
    expect([...byModule.keys()].sort()).toEqual(['SensorModule', 'edgeHub', 'other']);
    const other = byModule.get('other')!;
    expect(other.name).toMatch(/\.json\.gz$/);
    expect(other.contentEncoding).toBe('gzip');
    // json logs are one block blob, as edgeAgent uploads them.
    expect(other.blobType).toBe('BlockBlob');
    const messages = JSON.parse(gunzipSync(other.data).toString('utf8')) as LogMessage[];
    expect(messages).toHaveLength(2);
    for (const m of messages) expect(m).toMatchObject({ iothub: hub.hostName, device: DEVICE, id: 'other', text: 'other module line' });
  });

  test('a SAS URL with a wrong signature reaches Failed with the reason, and no signature in it', async () => {
    const good = await azurite.containerSasUrl('logs-denied');
    const badSas = good.replace(/sig=[^&]+/, 'sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D');
    const answer = await invoke('UploadModuleLogs', { schemaVersion: '1.0', sasUrl: badSas, items: [{ id: 'SensorModule' }] });
    const done = await finished((answer.payload as TaskAnswer).correlationId);
    expect(done.status).toBe('Failed');
    expect(done.message).toMatch(/^Task upload logs failed because of error blob storage refused the upload of .*SensorModule.*\(HTTP 403\)/);
    expect(done.message).not.toContain('AAAAAAAA');
    expect((await azurite.blobs('logs-denied')).size).toBe(0);
  });

  test('an unreachable storage endpoint reaches Failed too', async () => {
    const answer = await invoke('UploadModuleLogs', { schemaVersion: '1.0', sasUrl: 'http://127.0.0.1:9/devstoreaccount1/c?sv=2020-08-04&sig=abc', items: [{ id: 'other' }] });
    const done = await finished((answer.payload as TaskAnswer).correlationId);
    expect(done.status).toBe('Failed');
    expect(done.message).toContain('Task upload logs failed because of error');
    expect(done.message).not.toContain('sig=abc');
  }, 60_000);

  test('a payload without sasUrl or with bad items answers 400; GetTaskStatus of an unknown id is Unknown', async () => {
    const noSas = await invoke('UploadModuleLogs', { schemaVersion: '1.0', items: [{ id: 'x' }] });
    expect(noSas).toEqual({ status: 400, payload: { message: expect.stringContaining("'sasUrl' must be a container SAS URL") } });
    const badItems = await invoke('UploadModuleLogs', { schemaVersion: '1.0', sasUrl: 'https://a.blob.core.windows.net/c?sig=x' });
    expect(badItems).toEqual({ status: 400, payload: { message: expect.stringContaining("UploadModuleLogs: 'items' must be a non-empty array") } });
    expect((await invoke('GetTaskStatus', { schemaVersion: '1.0', correlationId: 'nope' })).payload).toMatchObject({ status: 'Unknown', correlationId: 'nope' });
  });
});

describe('UploadSupportBundle', () => {
  test('uploads a zip with logs, objects, events, twin and checks, every secret redacted', async () => {
    const sasUrl = await azurite.containerSasUrl('bundles');
    const answer = await invoke('UploadSupportBundle', { schemaVersion: '1.0', sasUrl, since: '1h', edgeRuntimeOnly: false });
    expect(answer).toEqual({ status: 200, payload: { status: 'Running', message: '', correlationId: expect.any(String) } });
    expect(await finished((answer.payload as TaskAnswer).correlationId)).toMatchObject({ status: 'Completed' });
    const blobs = await azurite.blobs('bundles');
    const [name, blob] = [...blobs][0]!;
    expect(name).toMatch(new RegExp(`^${hub.hostName.replace(/\./g, '\\.')}/${DEVICE}/support-bundle-[-\\d]+\\.zip$`));
    expect(blob.contentType).toBe('application/zip');
    // Read it with the system's unzip, an independent reader of the format.
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    const file = join(dir, 'bundle.zip');
    writeFileSync(file, blob.data);
    const listing = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
    expect(listing.sort()).toEqual(
      ['README.txt', 'bridge/logs.txt', 'check.json', 'cluster/events.json', 'cluster/objects.json', 'logs/SensorModule.log', 'logs/edgeHub.log', 'logs/other.log', 'twin/desired.json', 'twin/reported.json'].sort(),
    );
    const read = (entry: string) => execFileSync('unzip', ['-p', file, entry], { encoding: 'utf8' });
    expect(read('logs/SensorModule.log')).toContain('temperature 21.5');
    expect(read('bridge/logs.txt')).toContain('bridge line');
    const objects = JSON.parse(read('cluster/objects.json')) as { kind: string; metadata: { name: string }; data?: unknown }[];
    expect(objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'sensormodule')).toBe(true);
    const secrets = objects.filter((o) => o.kind === 'Secret');
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) expect(s.data).toBeUndefined();
    const desired = JSON.parse(read('twin/desired.json')) as { modules: Record<string, unknown>; runtime: { settings: { registryCredentials: { acr: { password: string; username: string } } } } };
    expect(desired.runtime.settings.registryCredentials.acr).toEqual({ address: 'contoso.azurecr.io', username: 'contoso', password: '[redacted]' });
    const checks = JSON.parse(read('check.json')) as { id: string; status: string }[];
    expect(checks.map((c) => c.id)).toEqual(expect.arrayContaining(['cluster-reachable', 'cluster-permissions', 'hub-reachable', 'reported-size', 'last-good', 'modules-running']));
    expect(checks.find((c) => c.id === 'cluster-reachable')!.status).toBe('pass');
    // No secret anywhere in the archive, in any encoding.
    const everything = listing.map(read).join('\n');
    expect(everything).toContain('[redacted]');
    for (const secret of [REGISTRY_PASSWORD, MODULE_KEY, Buffer.from(REGISTRY_PASSWORD).toString('base64')]) expect(everything).not.toContain(secret);
  }, 30_000);
});
