/**
 * IoT Hub unreachable when the bridge starts, in both credential modes (`--connection-string` and
 * `--device-connection-string`), which behave the same: the bridge starts, /healthz is ok,
 * /readyz says that IoT Hub is not connected; once the hub answers (the sandbox hub emulator
 * started late, on the same addresses) the bridge links, applies and reports. Then, IoT Hub gone
 * again, a restarted bridge restores a deleted Deployment from the last good deployment, with
 * the module credentials the cluster holds unchanged (device mode), and reports once IoT Hub is
 * back. Real clients throughout: azure-iothub pushes and reads the twin, @kubernetes/client-node
 * reads the cluster, the bridge uses azure-iot-device and the registry REST API.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../sandbox/kube/index.js';
import { startRun, type RunFlags, type RunningBridge } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { waitFor } from '../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- twins are free-form JSON here
type Json = any;

type Mode = 'connection-string' | 'device-connection-string';
const io = { stdout: () => undefined, stderr: () => undefined };
let kube: KubeEmulator;
let apps: AppsV1Api;
let core: CoreV1Api;
let hub: HubEmulator | undefined;
let running: RunningBridge | undefined;
const root = mkdtempSync(join(tmpdir(), 'iotedge-k8s-hub-down-'));

beforeAll(async () => {
  kube = await startKubeEmulator({ stateDir: join(root, 'kube'), timeFactor: 0.01 });
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
}, 30_000);

afterEach(async () => {
  await running?.stop();
  running = undefined;
  await hub?.stop();
  hub = undefined;
});

afterAll(async () => {
  await kube?.stop();
});

async function reported(h: HubEmulator): Promise<Json> {
  const registry = trustHubCa(Registry.fromConnectionString(h.serviceConnectionString), h.caPem);
  return ((await registry.getModuleTwin(h.deviceId, '$edgeAgent')).responseBody as Json).properties.reported;
}

async function probe(path: '/healthz' | '/readyz'): Promise<{ status: number; text: string }> {
  const r = await fetch(`${running!.opsUrl}${path}`);
  return { status: r.status, text: await r.text() };
}

/** Waits until /readyz answers 503 naming IoT Hub, and checks that /healthz is ok meanwhile. */
async function expectLiveButNotReady(): Promise<void> {
  const ready = await waitFor('/readyz naming IoT Hub', async () => {
    const r = await probe('/readyz');
    return r.status === 503 && /IoT Hub/.test(r.text) ? r : undefined;
  });
  expect(ready.text).toMatch(/^not ready: .*not connected to IoT Hub/);
  expect(await probe('/healthz')).toEqual({ status: 200, text: 'ok\n' });
}

const modes: [Mode, string][] = [
  ['connection-string', '127.0.0.66'],
  ['device-connection-string', '127.0.0.67'],
];

it.each(modes)('--%s: starts without IoT Hub, links once it answers, and restores the last good deployment while it is gone', async (mode, serviceHost) => {
  const namespace = `hub-down-${mode === 'connection-string' ? 'agent' : 'device'}`;
  const stateDir = join(root, mode);
  // The device and its deployment exist in IoT Hub; then IoT Hub becomes unreachable.
  hub = await startHubEmulator({ stateDir, serviceHost });
  const { mqttPort } = hub;
  const start = () => startHubEmulator({ stateDir, serviceHost, mqttPort });
  const registry = trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await registry.applyConfigurationContentOnDevice(hub.deviceId, JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')));
  const credentials = mode === 'connection-string' ? { connectionString: hub.edgeAgentConnectionString } : { deviceConnectionString: hub.deviceConnectionString };
  const flags: RunFlags = { kubeconfig: kube.kubeconfigPath, namespace, ...credentials, ca: hub.caFile, layer: [], stateDir, opsPort: 0, opsHost: '127.0.0.1', logLevel: 'silent', translate: {} };
  await hub.stop();
  hub = undefined;

  // 1. The first start ever, without IoT Hub: the bridge runs, live but not ready.
  running = await startRun(flags, io);
  await expectLiveButNotReady();

  // IoT Hub answers (started late): the bridge links, applies the deployment and reports it.
  hub = await start();
  const first = hub;
  await waitFor('webserverapp running at the hub', async () => ((await reported(first)).modules?.webserverapp?.runtimeStatus === 'running' ? true : undefined), 60_000);
  await waitFor('ready', async () => ((await probe('/readyz')).status === 200 ? true : undefined));
  const secretOf = async () => (await core.readNamespacedSecret({ name: 'webserverapp-iotedge-identity', namespace })).data;
  const credential = mode === 'device-connection-string' ? await secretOf() : undefined;
  if (mode === 'device-connection-string') expect(Object.keys(credential ?? {})).toEqual(['EdgeHubConnectionString']);
  await running.stop();
  running = undefined;
  await first.stop();
  hub = undefined;

  // 2. IoT Hub gone again; someone deletes the Deployment; a bridge started now restores it from the
  //    last good deployment, with the credential the module ran with.
  await apps.deleteNamespacedDeployment({ name: 'webserverapp', namespace });
  const secondStart = Date.now();
  running = await startRun(flags, io);
  const restored = await waitFor('Deployment restored without IoT Hub', () => apps.readNamespacedDeployment({ name: 'webserverapp', namespace }), 30_000);
  if (mode === 'device-connection-string') {
    const env = restored.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'EdgeHubConnectionString')?.valueFrom?.secretKeyRef?.name).toBe('webserverapp-iotedge-identity');
    expect(await secretOf()).toEqual(credential);
  }
  await expectLiveButNotReady();

  // IoT Hub back: the restarted bridge reports.
  hub = await start();
  const second = hub;
  const r = await waitFor(
    'the restarted bridge reporting to IoT Hub',
    async () => {
      const rep = await reported(second);
      return Date.parse(rep.systemModules?.edgeAgent?.lastStartTimeUtc) >= secondStart - 1000 && rep.modules?.webserverapp?.runtimeStatus === 'running' ? rep : undefined;
    },
    60_000,
  );
  expect(r.lastDesiredStatus.code).toBe(200);
  if (mode === 'device-connection-string') expect(await secretOf()).toEqual(credential);
}, 180_000);
