/**
 * Module identities end to end, the `npm start` way: `run --sandbox` with the telemetry sample,
 * where the bridge uses the sandbox hub's device connection string. Checked with real clients only
 * (the Kubernetes API as a kubelet reads it, azure-iothub's Registry and Client, a child process
 * with azure-iot-device's `ModuleClient.fromEnvironment()`), plus the sandbox hub's record of the
 * telemetry it received:
 * - the telemetry module started by the sandbox kubelet sends messages that reach the hub;
 * - a child process given exactly the module's kubelet environment connects, sends telemetry and
 *   answers a direct method;
 * - removing the module deletes its identity and Secret, adding it again gives a new working one;
 *   a foreign identity survives;
 * - the device key appears in no log line, reported property or object, and each module key only
 *   in that module's Secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Client, Registry } from 'azure-iothub';
import { trustHubCa, type HubEmulator } from '../../sandbox/hub/index.js';
import { startRun, type Io, type RunningBridge } from '../../translator/cli/index.js';
import { kubeletEnvironment } from '../support/kubelet-env.js';
import { waitFor } from '../support/wait.js';

const NS = 'ids-sandbox';
const TEMPLATE = 'deployment-manifests/sample-modules/deployment.template.json';
let dir: string;
let running: RunningBridge;
let hub: HubEmulator;
let kc: k8s.KubeConfig;
let registry: Registry;
let service: Client;
let child: ChildProcess | undefined;
let logs = '';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- twins and deployments are free-form JSON here
type Json = any;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ids-sandbox-'));
  const io: Io = { stdout: (t) => (logs += t), stderr: (t) => (logs += t) };
  running = await startRun(
    { sandbox: true, stateDir: join(dir, 'state'), manifest: TEMPLATE, namespace: NS, layer: [], opsPort: 0, opsHost: '127.0.0.1', logLevel: 'debug', translate: { namespace: NS } },
    io,
  );
  hub = running.hub!;
  kc = new k8s.KubeConfig();
  kc.loadFromString(running.kube!.kubeconfig);
  registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  service = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
}, 60_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await service?.close();
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function moduleKey(moduleId: string): Promise<string> {
  const module = (await registry.getModule(hub.deviceId, moduleId)).responseBody;
  return module.authentication!.symmetricKey!.primaryKey!;
}

async function reported(): Promise<Json> {
  return ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.reported;
}

/** The deployment as pushed, rebuilt from the `$edgeAgent` and `$edgeHub` desired properties. */
async function currentContent(): Promise<Json> {
  const desired = async (moduleId: string) => {
    const { $metadata, $version, ...rest } = ((await registry.getModuleTwin(hub.deviceId, moduleId)).responseBody as Json).properties.desired;
    void $metadata;
    void $version;
    return rest;
  };
  return { modulesContent: { $edgeAgent: { 'properties.desired': await desired('$edgeAgent') }, $edgeHub: { 'properties.desired': await desired('$edgeHub') } } };
}

async function push(content: Json): Promise<number> {
  await registry.applyConfigurationContentOnDevice(hub.deviceId, content);
  return ((await registry.getModuleTwin(hub.deviceId, '$edgeAgent')).responseBody as Json).properties.desired.$version;
}

async function applied(version: number): Promise<Json> {
  return waitFor(`deployment ${version} applied`, async () => {
    const r = await reported();
    return r.lastDesiredVersion === version && r.lastDesiredStatus.code === 200 ? r : undefined;
  }, 30_000);
}

/** The environment a kubelet gives the module's container (test/support/kubelet-env.ts). */
function kubeletEnv(deploymentName: string): Promise<Record<string, string>> {
  return kubeletEnvironment(kc, NS, deploymentName, join(dir, 'volumes'));
}

const MODULE_SCRIPT = `
const { ModuleClient, Message } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
ModuleClient.fromEnvironment(Mqtt).then(async (client) => {
  await client.open();
  client.onMethod('whoami', (request, response) => response.send(200, { module: process.env.IOTEDGE_MODULEID, got: request.payload }));
  await client.sendEvent(new Message(JSON.stringify({ hello: 'from the kubelet environment' })));
  console.log('ready');
}).catch((e) => { console.error('module failed: ' + e.message); process.exit(1); });
`;

/** Every object of the namespace as text, each Secret's data decoded. */
async function namespaceText(): Promise<Map<string, string>> {
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  const kinds: [string, string][] = [
    ['v1', 'Secret'],
    ['v1', 'ConfigMap'],
    ['v1', 'Pod'],
    ['v1', 'Service'],
    ['v1', 'ServiceAccount'],
    ['v1', 'Event'],
    ['v1', 'PersistentVolumeClaim'],
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'ReplicaSet'],
    ['batch/v1', 'Job'],
  ];
  const texts = new Map<string, string>();
  for (const [apiVersion, kind] of kinds) {
    const list = await api.list(apiVersion, kind, NS);
    for (const item of list.items as Json[]) {
      const decoded = item.data ? Object.values(item.data as Record<string, string>).map((v) => Buffer.from(v, 'base64').toString('utf8')) : [];
      texts.set(`${kind}/${item.metadata.name}`, JSON.stringify(item) + decoded.join('\n'));
    }
  }
  return texts;
}

describe('run --sandbox with the telemetry sample', () => {
  let foreignKey: string;
  let removedModule: Json;
  let firstTelemetryKey: string;

  it('gives modules credentials: the telemetry module started by the sandbox kubelet sends telemetry that reaches the hub', async () => {
    await registry.addModule({ deviceId: hub.deviceId, moduleId: 'foreign', managedBy: 'someone-else' } as Json);
    foreignKey = await moduleKey('foreign');
    const messages = await waitFor('telemetry of the kubelet-run module at the hub', () => {
      const got = hub.telemetry(hub.deviceId, 'telemetry');
      return got.length > 0 ? got : undefined;
    }, 45_000);
    expect(JSON.parse(messages[0]!.body)).toHaveProperty('temperature');
    const r = await waitFor('telemetry reported running', async () => {
      const rep = await reported();
      return rep.modules?.telemetry?.runtimeStatus === 'running' ? rep : undefined;
    });
    expect(r.systemModules.edgeAgent.statusDescription).toBe('running');
    const secret = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: 'telemetry-iotedge-identity', namespace: NS });
    const cs = Buffer.from(secret.data!.EdgeHubConnectionString!, 'base64').toString('utf8');
    firstTelemetryKey = await moduleKey('telemetry');
    expect(cs).toBe(`HostName=${hub.serviceHost};DeviceId=${hub.deviceId};ModuleId=telemetry;SharedAccessKey=${firstTelemetryKey};GatewayHostName=${hub.gatewayHostName}`);
  }, 60_000);

  it('a process with exactly the kubelet environment connects with ModuleClient.fromEnvironment, sends telemetry and answers a direct method', async () => {
    // The module is stopped first, so the process is the only client of the identity.
    const content = await currentContent();
    content.modulesContent.$edgeAgent['properties.desired'].modules.telemetry.status = 'stopped';
    await applied(await push(content));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await waitFor('the telemetry pod gone', async () => {
      const pods = await core.listNamespacedPod({ namespace: NS });
      return pods.items.some((p) => p.metadata?.annotations?.['net.azure-devices.edge.original-moduleid'] === 'telemetry') ? undefined : true;
    }, 30_000);

    const env = await kubeletEnv('telemetry');
    expect(env.EdgeHubConnectionString).toMatch(new RegExp(`;ModuleId=telemetry;SharedAccessKey=[^;]+;GatewayHostName=${hub.gatewayHostName}$`));
    expect(env.EdgeModuleCACertificateFile).toBe(join(dir, 'volumes', 'iotedge-trust-bundle', 'ca.pem'));
    expect(env.IOTEDGE_MODULEGENERATIONID).toBe((await registry.getModule(hub.deviceId, 'telemetry')).responseBody.generationId);

    let output = '';
    child = spawn(process.execPath, ['-e', MODULE_SCRIPT], { cwd: process.cwd(), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the module to connect', () => (output.includes('ready') ? true : output.includes('module failed') ? Promise.reject(new Error(output)) : undefined), 20_000);
    await waitFor('its telemetry at the hub', () => hub.telemetry(hub.deviceId, 'telemetry').find((m) => m.body.includes('from the kubelet environment')));
    const result = await service.invokeDeviceMethod(hub.deviceId, 'telemetry', { methodName: 'whoami', payload: { n: 1 }, responseTimeoutInSeconds: 10 });
    expect(result.result).toEqual({ status: 200, payload: { module: 'telemetry', got: { n: 1 } } });
    child.kill('SIGKILL');
    child = undefined;
  }, 90_000);

  it('removing the module deletes its identity and Secret; a foreign identity of the device survives', async () => {
    const content = await currentContent();
    removedModule = content.modulesContent.$edgeAgent['properties.desired'].modules.telemetry;
    delete content.modulesContent.$edgeAgent['properties.desired'].modules.telemetry;
    await applied(await push(content));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await waitFor('the identity deleted', () => registry.getModule(hub.deviceId, 'telemetry').then(() => undefined, (e: Json) => (e.response?.statusCode === 404 ? true : undefined)));
    await waitFor('the Secret deleted', () => core.readNamespacedSecret({ name: 'telemetry-iotedge-identity', namespace: NS }).then(() => undefined, (e: Json) => (e.code === 404 ? true : undefined)));
    expect(await moduleKey('foreign')).toBe(foreignKey);
    expect((await registry.getModule(hub.deviceId, 'foreign')).responseBody.managedBy).toBe('someone-else');
  }, 60_000);

  it('a module added again gets a new identity, and its kubelet-run process sends telemetry again', async () => {
    const removedAt = new Date().toISOString();
    const content = await currentContent();
    content.modulesContent.$edgeAgent['properties.desired'].modules.telemetry = { ...removedModule, status: 'running', env: { INTERVAL_MS: { value: '1000' } } };
    await applied(await push(content));
    const message = await waitFor('new telemetry of the kubelet-run module', () => hub.telemetry(hub.deviceId, 'telemetry').find((m) => m.enqueuedTimeUtc > removedAt && m.body.includes('temperature')), 45_000);
    expect(JSON.parse(message.body)).toHaveProperty('temperature');
    const secret = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: 'telemetry-iotedge-identity', namespace: NS });
    const key = await moduleKey('telemetry');
    expect(key).not.toBe(firstTelemetryKey);
    expect(Buffer.from(secret.data!.EdgeHubConnectionString!, 'base64').toString('utf8')).toContain(`SharedAccessKey=${key};`);
    expect(await moduleKey('foreign')).toBe(foreignKey);
  }, 60_000);

  it('the device key is in no log line, reported property or object but the credential Secret; each module key only in its own Secret', async () => {
    const deviceKey = /SharedAccessKey=([^;]+)/.exec(hub.deviceConnectionString)![1]!;
    const texts = await namespaceText();
    const twin = JSON.stringify(await reported());
    for (const text of [logs, twin]) expect(text.includes(deviceKey)).toBe(false);
    // In the cluster only in the credential Secret the sandbox provisions as an operator does before
    // `install` (deploy/'s iotedge-k8s-device, which a local `check` reads); the bridge writes it nowhere.
    expect([...texts].filter(([, text]) => text.includes(deviceKey)).map(([name]) => name)).toEqual(['Secret/iotedge-k8s-device']);
    const webserverKey = await moduleKey('webserver');
    expect([...texts].filter(([, text]) => text.includes(webserverKey)).map(([name]) => name)).toEqual(['Secret/webserver-iotedge-identity']);
    const edgeHubKey = await moduleKey('$edgeHub');
    expect([...texts].filter(([, text]) => text.includes(edgeHubKey)).map(([name]) => name)).toEqual(['Secret/edgehub-iotedge-identity']);
    const telemetryKey = await moduleKey('telemetry');
    expect([...texts].filter(([, text]) => text.includes(telemetryKey)).map(([name]) => name)).toEqual(['Secret/telemetry-iotedge-identity']);
    for (const key of [webserverKey, edgeHubKey, telemetryKey, await moduleKey('$edgeAgent'), foreignKey]) {
      expect(logs.includes(key)).toBe(false);
      expect(twin.includes(key)).toBe(false);
    }
  }, 30_000);
});
