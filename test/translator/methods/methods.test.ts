/**
 * Direct methods end to end: azure-iothub `Client.invokeDeviceMethod(deviceId, '$edgeAgent', ...)`
 * -> sandbox IoT Hub -> the real ModuleClient (Mqtt) of a TwinLink with the handlers attached -> the sandbox
 * cluster through @kubernetes/client-node. The cluster holds the objects the translator makes
 * for a small deployment.
 */
import { gunzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import type { ModuleClient } from 'azure-iot-device';
import { Client } from 'azure-iothub';
import { startHubEmulator, trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import { translate } from '../../../translator/translate/index.js';
import { Methods, RESTARTED_AT_ANNOTATION, type LogMessage } from '../../../translator/methods/index.js';
import { TwinLink } from '../../../translator/twin/index.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import { InformerCache } from '../../../translator/reconcile/index.js';
import { waitFor } from '../../support/wait.js';

const DEVICE = 'methods-device';
const NAMESPACE = 'edge-methods';

let hub: HubEmulator;
let kube: KubeEmulator;
let link: TwinLink;
let cache: InformerCache;
let agent: ModuleClient;
let service: Client;
let apps: k8s.AppsV1Api;
let core: k8s.CoreV1Api;

const manifest = deploymentManifest({
  modules: {
    SensorModule: dockerModule('sensor:1'),
    chatty: dockerModule('chatty:1'),
    oneshot: dockerModule('oneshot:1', { restartPolicy: 'never' }),
  },
});


async function invoke(methodName: string, payload?: unknown): Promise<{ status: number; payload: unknown }> {
  try {
    const { result } = await service.invokeDeviceMethod(DEVICE, '$edgeAgent', { methodName, payload, responseTimeoutInSeconds: 10 });
    return result as { status: number; payload: unknown };
  } catch (e) {
    // azure-iothub raises for non-2xx answers; the device's status and payload are in the response body.
    const body = (e as { responseBody?: string }).responseBody;
    if (typeof body === 'string' && body.startsWith('{')) return JSON.parse(body) as { status: number; payload: unknown };
    throw e;
  }
}

beforeAll(async () => {
  const catalog = new ImageCatalog({
    'sensor:1': { kind: 'run', logEvery: 20, lines: ['<6> temperature 21.5', '<3> sensor read failed', '<6> humidity 40'] },
    'chatty:1': { kind: 'run', logEvery: 20, lines: ['y'.repeat(20_000)] },
    'oneshot:1': { kind: 'run', lines: ['working'] },
  });
  [hub, kube] = await Promise.all([startHubEmulator({ serviceHost: '127.0.0.152', seedEdgeDevice: DEVICE }), startKubeEmulator({ tls: false, timeFactor: 0.05, catalog })]);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const { model, diagnostics } = parseManifest(manifest);
  if (!model) throw new Error(`test manifest invalid: ${JSON.stringify(diagnostics)}`);
  const objects = kc.makeApiClient(k8s.KubernetesObjectApi);
  for (const object of translate(model, { namespace: NAMESPACE, deviceId: DEVICE, hubHostname: hub.hostName }).objects) {
    await objects.create(object as k8s.KubernetesObject);
  }
  // The bridge's wiring: the methods share the $edgeAgent connection of the twin link.
  link = await TwinLink.open({ connectionString: hub.edgeAgentConnectionString, ca: hub.caPem });
  agent = link.client;
  // As in the bridge, pods and workloads are read from the informer cache.
  cache = new InformerCache({ kubeConfig: kc, namespace: NAMESPACE, deviceId: DEVICE });
  await cache.start();
  new Methods({ kubeConfig: kc, namespace: NAMESPACE, deviceId: DEVICE, iotHub: hub.hostName, objects: cache }).attach(agent);
  service = trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
  await waitFor('module pods running', async () => {
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items;
    return pods.length >= 4 && pods.every((p) => p.status?.phase === 'Running') ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 300)); // let the modules write some lines
}, 30_000);

afterAll(async () => {
  await cache?.stop();
  await link?.close();
  await Promise.all([hub?.stop(), kube?.stop()]);
});

describe('ping and unknown methods', () => {
  test('ping answers 200 with an empty payload, whatever the case of its name', async () => {
    expect(await invoke('ping')).toEqual({ status: 200, payload: null });
    expect(await invoke('PING')).toEqual({ status: 200, payload: null });
  });

  test('an unknown method answers 400 with a message', async () => {
    const answer = await invoke('Reboot', {});
    expect(answer.status).toBe(400);
    expect(answer.payload).toEqual({ message: expect.stringContaining("unknown method 'Reboot'") });
  });
});

describe('RestartModule', () => {
  test('rolls the Deployment of the module (restartedAt on the pod template)', async () => {
    const answer = await invoke('restartmodule', { schemaVersion: '1.0', id: 'SensorModule' });
    expect(answer).toEqual({ status: 200, payload: null });
    const deployment = await apps.readNamespacedDeployment({ name: 'sensormodule', namespace: NAMESPACE });
    const stamp = deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
    expect(stamp).toBeDefined();
    expect(Math.abs(Date.parse(stamp!) - Date.now())).toBeLessThan(10_000);
  });

  test('an unknown module answers 500 as edgeAgent does; a bad payload 400', async () => {
    const missing = await invoke('RestartModule', { schemaVersion: '1.0', id: 'nothere' });
    expect(missing.status).toBe(500);
    expect(missing.payload).toEqual({ message: expect.stringContaining("module 'nothere' not found") });
    const bad = await invoke('RestartModule', { id: 'SensorModule' });
    expect(bad.status).toBe(400);
    expect(bad.payload).toEqual({ message: expect.stringContaining("'schemaVersion' is required") });
  });

  test('a Job-backed module is restarted by replacing its pod', async () => {
    const before = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter((p) => p.metadata?.annotations?.['net.azure-devices.edge.original-moduleid'] === 'oneshot');
    expect(before).toHaveLength(1);
    expect(await invoke('RestartModule', { schemaVersion: '1.0', id: 'oneshot' })).toEqual({ status: 200, payload: null });
    await waitFor('a new pod of the Job', async () => {
      const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter((p) => p.metadata?.annotations?.['net.azure-devices.edge.original-moduleid'] === 'oneshot');
      return pods.some((p) => p.metadata?.uid !== before[0]!.metadata?.uid) ? true : undefined;
    });
  });
});

describe('GetModuleLogs', () => {
  // RestartModule above rolled SensorModule: until the rollout ends, the newest pod may still be
  // created after a read, and the next read then finds a pod with no lines yet.
  beforeAll(async () => {
    await waitFor('the rollout of SensorModule to end', async () => {
      const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.filter((p) => p.metadata?.annotations?.['net.azure-devices.edge.original-moduleid'] === 'SensorModule');
      const d = await apps.readNamespacedDeployment({ name: 'sensormodule', namespace: NAMESPACE });
      const done = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) && d.status?.updatedReplicas === 1 && d.status?.replicas === 1;
      return done && pods.length === 1 && pods[0]!.status?.phase === 'Running' ? true : undefined;
    });
  });

  test("json, no encoding: edgeAgent's messages, as a JSON string, of the modules the unanchored case-insensitive id matches", async () => {
    // The module logs a line every few milliseconds: wait until it has written five.
    await waitFor('five lines of SensorModule', async () => ((await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^SensorModule$', filter: { tail: 5 } }] })).payload as { payload: string }[])[0]?.payload.split('\n').length === 6 || undefined);
    const answer = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'sensor', filter: { tail: 5 } }], encoding: 'none', contentType: 'json' });
    expect(answer.status).toBe(200);
    const [item, ...rest] = answer.payload as { id: string; payloadBytes: null; payload: string }[];
    expect(rest).toEqual([]);
    expect(Object.keys(item!).sort()).toEqual(['id', 'payload', 'payloadBytes']);
    expect(item!.id).toBe('SensorModule');
    expect(item!.payloadBytes).toBeNull();
    const messages = JSON.parse(item!.payload) as LogMessage[];
    expect(messages).toHaveLength(5);
    for (const m of messages) {
      expect(Object.keys(m).sort()).toEqual(['device', 'id', 'iothub', 'loglevel', 'stream', 'text', 'timestamp']);
      expect(m).toMatchObject({ iothub: hub.hostName, device: DEVICE, id: 'SensorModule', stream: 'stdout' });
      expect(Number.isNaN(Date.parse(m.timestamp))).toBe(false);
      // The <N> prefix is the level and not part of the text.
      expect([m.loglevel, m.text]).toEqual(m.loglevel === 3 ? [3, 'sensor read failed'] : [6, expect.stringMatching(/^(temperature 21\.5|humidity 40)$/)]);
    }
  });

  test('without contentType the answer is text, as edgeAgent defaults', async () => {
    const answer = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: '^SensorModule$', filter: { tail: 3 } }] });
    const [item] = answer.payload as { id: string; payload: string }[];
    expect(item!.payload).toMatch(/^(<[36]> [a-z0-9. ]+\n){3}$/);
  });

  test('loglevel and regex filters; text content gzipped', async () => {
    const answer = await invoke('GetModuleLogs', {
      schemaVersion: '1.0',
      items: { id: 'SensorModule', filter: { loglevel: 3, since: '1h' } },
      encoding: 'gzip',
      contentType: 'text',
    });
    expect(answer.status).toBe(200);
    const [item] = answer.payload as { id: string; payloadBytes: string }[];
    const text = gunzipSync(Buffer.from(item!.payloadBytes, 'base64')).toString('utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l === '<3> sensor read failed')).toBe(true);

    const humid = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'SensorModule', filter: { regex: 'humidity', tail: 2 } }], contentType: 'text' });
    expect((humid.payload as { payload: string }[])[0]!.payload).toBe('<6> humidity 40\n<6> humidity 40\n');
  });

  test('until in the past and since in the future select nothing', async () => {
    const past = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'SensorModule', filter: { until: Math.floor(Date.now() / 1000) - 3600 } }], contentType: 'json' });
    expect((past.payload as { payload: string }[])[0]!.payload).toBe('[]');
    const future = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'SensorModule', filter: { since: new Date(Date.now() + 3_600_000).toISOString() } }] });
    expect((future.payload as { payload: string }[])[0]!.payload).toBe('');
  });

  test('a response over 127,000 bytes answers a clear error; gzip keeps it small', async () => {
    await waitFor('enough chatty lines', async () => {
      const pod = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.find((p) => p.metadata?.annotations?.['net.azure-devices.edge.original-moduleid'] === 'chatty')!;
      const log = await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: NAMESPACE });
      return log.length > 130_000 ? true : undefined;
    });
    const big = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'chatty', filter: { tail: 10 } }], contentType: 'text' });
    expect(big.status).toBe(400);
    expect(big.payload).toEqual({ message: expect.stringMatching(/over the 127000-byte limit/) });
    const zipped = await invoke('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: 'chatty', filter: { tail: 10 } }], encoding: 'gzip', contentType: 'text' });
    expect(zipped.status).toBe(200);
  });

  test('bad requests answer 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ schemaVersion: '1.0' }, "'items' must be a non-empty array"],
      [{ schemaVersion: '1.0', items: [{ id: '(' }] }, "'items[0].id'"],
      [{ schemaVersion: '1.0', items: [{ id: 'x', filter: { since: 'yesterday' } }] }, "'items[0].filter.since'"],
      [{ schemaVersion: '1.0', items: [{ id: 'x' }], encoding: 'zip' }, "'encoding' must be"],
      [{ schemaVersion: '2.0', items: [{ id: 'x' }] }, 'is not supported'],
    ];
    for (const [payload, message] of cases) {
      const answer = await invoke('GetModuleLogs', payload);
      expect(answer.status).toBe(400);
      expect((answer.payload as { message: string }).message).toContain(message);
    }
  });
});

describe('GetTaskStatus', () => {
  test('an unknown correlationId is Unknown', async () => {
    expect(await invoke('GetTaskStatus', { schemaVersion: '1.0', correlationId: 'abc-123' })).toEqual({
      status: 200,
      payload: { status: 'Unknown', message: "no task with correlationId 'abc-123'", correlationId: 'abc-123' },
    });
  });
});

describe('RunDeviceChecks (ours, not edgeAgent\'s)', () => {
  test("answers the device-side checks from the cluster, in check's order", async () => {
    const answer = await invoke('rundevicechecks', {});
    expect(answer.status).toBe(200);
    const { schemaVersion, checks } = answer.payload as { schemaVersion: string; checks: { id: string; status: string; message: string }[] };
    expect(schemaVersion).toBe('1.0');
    expect(checks.map((c) => `${c.id}=${c.status}`)).toEqual(['cluster-reachable=pass', 'cluster-permissions=pass', 'edgehub-certificate=skip', 'last-good=warn', 'modules-running=skip']);
    // The objects of this namespace were created without the bridge: no deployment was kept, so the modules' statuses are unknown.
    expect(checks.find((c) => c.id === 'modules-running')!.message).toBe('not checked (no deployment applied by the bridge yet)');
    expect(await invoke('RunDeviceChecks', [1])).toEqual({ status: 400, payload: { message: 'RunDeviceChecks: the payload must be empty or a JSON object' } });
  }, 30_000);
});

describe('after the connection drops', () => {
  test('the SDK reconnects and the handlers answer again (any spelling)', async () => {
    let reconnected = false;
    agent.once('connect', () => (reconnected = true));
    expect(hub.faults.dropConnection(DEVICE, '$edgeAgent')).toBe(true);
    await waitFor('the module client to reconnect', () => (reconnected ? true : undefined), 20_000);
    const answer = await waitFor('ping after reconnect', async () => {
      const r = await invoke('Ping').catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    expect(answer).toEqual({ status: 200, payload: null });
    expect((await invoke('gettaskstatus', { schemaVersion: '1.0', correlationId: 'x' })).status).toBe(200);
  }, 30_000);
});
