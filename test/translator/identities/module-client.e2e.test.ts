/**
 * End to end on the sandbox: the telemetry sample deployment is translated, its module identities
 * are reconciled with the device key only, the credentials are added and everything is written to
 * a Kubernetes API. Then, with no project code, the test reads the module's pod spec, Secret and
 * CA back through the API as a kubelet would, and starts a child process with exactly that
 * environment (GatewayHostName = the sandbox gateway, the CA file = the sandbox hub's CA, which
 * stands in for edgeHub) that calls `ModuleClient.fromEnvironment()`: it connects, its telemetry
 * reaches the hub, and it answers a direct method invoked through azure-iothub's service Client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import iothub from 'azure-iothub';
import { trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { loadManifest } from '../../../translator/manifest/index.js';
import { translate } from '../../../translator/translate/index.js';
import { desiredIdentityIds, IdentityReconciler, ModuleRegistryClient, parseDeviceConnectionString, withCredentials } from '../../../translator/identities/index.js';
import type { TestCluster } from '../../support/cluster.js';
import { openDeviceCluster, type DeviceCluster } from '../../support/device-site.js';
import { kubeletEnvironment } from '../../support/kubelet-env.js';
import { waitFor } from '../../support/wait.js';

const { Client } = iothub;
let hub: HubEmulator;
let cluster: TestCluster;
let site: DeviceCluster;
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  site = await openDeviceCluster('ids', { serviceHost: '127.0.0.164', deviceId: 'edge-e2e-ids' }, { tls: false, timeFactor: 0.05 });
  ({ hub, cluster } = site);
  dir = mkdtempSync(join(tmpdir(), 'ids-e2e-'));
}, 30_000);
afterAll(async () => {
  child?.kill('SIGKILL');
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The bridge side: what the run loop does with the device connection string (see docs/identities.md). */
async function deploy(): Promise<void> {
  const device = parseDeviceConnectionString(hub.deviceConnectionString);
  const { model, diagnostics } = await loadManifest('deployment-manifests/sample-modules/deployment.template.json', { env: {} });
  if (!model) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const loop = new IdentityReconciler(new ModuleRegistryClient({ device, ca: hub.caPem }));
  const report = await loop.reconcile(desiredIdentityIds(model));
  expect(report.modules.filter((m) => m.outcome === 'failed')).toEqual([]);
  const translated = translate(model, { namespace: cluster.namespace, deviceId: device.deviceId, hubHostname: device.hostName }).objects;
  const objects = withCredentials(translated, {
    namespace: cluster.namespace,
    hubHostName: device.hostName,
    deviceId: device.deviceId,
    gatewayHostName: hub.gatewayHostName,
    identities: report.modules,
    moduleTrustBundlePem: hub.caPem,
  });
  const api = k8s.KubernetesObjectApi.makeApiClient(cluster.kc);
  for (const object of objects) await api.create(object as k8s.KubernetesObject);
}

/** The environment a kubelet gives the module's container (test/support/kubelet-env.ts). */
function kubeletEnv(deploymentName: string): Promise<Record<string, string>> {
  return kubeletEnvironment(cluster.kc, cluster.namespace, deploymentName, dir);
}

const MODULE_SCRIPT = `
const { ModuleClient, Message } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
ModuleClient.fromEnvironment(Mqtt).then(async (client) => {
  await client.open();
  client.onMethod('whoami', (request, response) => response.send(200, { module: process.env.IOTEDGE_MODULEID, generation: process.env.IOTEDGE_MODULEGENERATIONID, got: request.payload }));
  await client.sendEvent(new Message(JSON.stringify({ hello: process.env.IOTEDGE_MODULEID })));
  console.log('ready');
}).catch((e) => { console.error('module failed: ' + e.message); process.exit(1); });
`;

test('a module started with the kubelet environment connects with ModuleClient.fromEnvironment, sends telemetry and answers a direct method', async () => {
  await deploy();
  // The sandbox kubelet would run the telemetry sample itself, as a second client of the same
  // identity; scale it to nothing so that the child below is the identity's only client.
  const apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  await apps.patchNamespacedDeployment({ name: 'telemetry', namespace: cluster.namespace, body: { spec: { replicas: 0 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await waitFor('no telemetry pod', async () => ((await core.listNamespacedPod({ namespace: cluster.namespace })).items.some((p) => p.metadata?.name?.startsWith('telemetry-')) ? undefined : true), 30_000);
  const env = await kubeletEnv('telemetry');
  expect(Object.keys(env).sort()).toEqual([
    'EdgeHubConnectionString',
    'EdgeModuleCACertificateFile',
    'INTERVAL_MS',
    'IOTEDGE_DEVICEID',
    'IOTEDGE_GATEWAYHOSTNAME',
    'IOTEDGE_IOTHUBHOSTNAME',
    'IOTEDGE_MODULEGENERATIONID',
    'IOTEDGE_MODULEID',
  ]);
  expect(env.EdgeHubConnectionString).toMatch(new RegExp(`;ModuleId=telemetry;SharedAccessKey=[^;]+;GatewayHostName=${hub.gatewayHostName}$`));
  const generationId = hub.registry.getModule(hub.deviceId, 'telemetry').generationId;
  expect(env.IOTEDGE_MODULEGENERATIONID).toBe(generationId);

  let output = '';
  child = spawn(process.execPath, ['-e', MODULE_SCRIPT], { cwd: process.cwd(), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor('the module to connect', () => (output.includes('ready') ? true : output.includes('module failed') ? Promise.reject(new Error(output)) : undefined), 20_000);

  const telemetry = await waitFor('telemetry at the hub', () => hub.telemetry(hub.deviceId, 'telemetry').find((m) => m.body.includes('hello')));
  expect(JSON.parse(telemetry.body)).toEqual({ hello: 'telemetry' });

  const service = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  const result = await service.invokeDeviceMethod(hub.deviceId, 'telemetry', { methodName: 'whoami', payload: { n: 1 }, responseTimeoutInSeconds: 10 });
  expect(result.result).toEqual({ status: 200, payload: { module: 'telemetry', generation: generationId, got: { n: 1 } } });
}, 60_000);
