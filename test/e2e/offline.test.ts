/**
 * Started without IoT Hub connectivity, the bridge keeps running the last good deployment (kept
 * in the cluster) and reports once IoT Hub is back.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../sandbox/kube/index.js';
import { startRun, type RunFlags, type RunningBridge } from '../../translator/cli/index.js';
import { samplePath } from '../golden/samples.js';
import { waitFor } from '../support/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- twins are free-form JSON here
type Json = any;

const NS = 'offline-device';
const SERVICE_HOST = '127.0.0.62';
let kube: KubeEmulator;
let hub: HubEmulator | undefined;
let running: RunningBridge | undefined;
let apps: AppsV1Api;
const stateDir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-offline-'));
const io = { stdout: () => undefined, stderr: () => undefined };

function flags(h: HubEmulator): RunFlags {
  return { kubeconfig: kube.kubeconfigPath, namespace: NS, connectionString: h.edgeAgentConnectionString, ca: h.caFile, layer: [], stateDir, opsPort: 0, opsHost: '127.0.0.1', logLevel: 'silent', translate: {} };
}

async function reported(h: HubEmulator): Promise<Json> {
  const registry = trustHubCa(Registry.fromConnectionString(h.serviceConnectionString), h.caPem);
  return ((await registry.getModuleTwin(h.deviceId, '$edgeAgent')).responseBody as Json).properties.reported;
}

beforeAll(async () => {
  kube = await startKubeEmulator({ stateDir, timeFactor: 0.01 });
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
}, 30_000);

afterAll(async () => {
  await running?.stop();
  await hub?.stop();
  await kube?.stop();
});

it('runs the last good deployment while IoT Hub is unreachable and reports once it is back', async () => {
  hub = await startHubEmulator({ stateDir, serviceHost: SERVICE_HOST });
  const first = hub;
  const registry = trustHubCa(Registry.fromConnectionString(first.serviceConnectionString), first.caPem);
  await registry.applyConfigurationContentOnDevice(first.deviceId, JSON.parse(readFileSync(samplePath('webserver.json'), 'utf8')));
  running = await startRun(flags(first), io);
  await waitFor('webserverapp running at the hub', async () => ((await reported(first)).modules?.webserverapp?.runtimeStatus === 'running' ? true : undefined));
  await running.stop();
  running = undefined;
  const mqttPort = first.mqttPort;
  const runFlags = flags(first);
  await first.stop();
  hub = undefined;

  // IoT Hub is gone. Someone deletes the Deployment; a bridge started now must restore it from the last good deployment.
  await apps.deleteNamespacedDeployment({ name: 'webserverapp', namespace: NS });
  const secondStart = new Date();
  running = await startRun(runFlags, io);
  await waitFor('Deployment restored without IoT Hub', () => apps.readNamespacedDeployment({ name: 'webserverapp', namespace: NS }));

  hub = await startHubEmulator({ stateDir, serviceHost: SERVICE_HOST, mqttPort });
  const second = hub;
  const r = await waitFor(
    'the restarted bridge reporting to IoT Hub',
    async () => {
      const rep = await reported(second);
      return Date.parse(rep.systemModules?.edgeAgent?.lastStartTimeUtc) >= secondStart.getTime() - 1000 && rep.modules?.webserverapp?.runtimeStatus === 'running' ? rep : undefined;
    },
    45_000,
  );
  expect(r.lastDesiredStatus.code).toBe(200);
}, 90_000);
