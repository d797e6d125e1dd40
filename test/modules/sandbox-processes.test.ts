/**
 * The telemetry sample module as a real process in the sandbox cluster: with a connection string
 * from a Secret (env valueFrom) and the hub CA from a Secret volume (an absolute path the module
 * reads under SANDBOX_ROOT) its messages reach the sandbox IoT Hub; without credentials its log
 * says why it sends nothing, and it keeps running.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { startHubEmulator, type HubEmulator } from '../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../sandbox/kube/index.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(60_000);

const IMAGE = 'localhost:5000/telemetry:0.1.0-amd64';
const NS = 'default';
let hub: HubEmulator;
let kube: KubeEmulator;
let dir: string;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'module-processes-'));
  hub = await startHubEmulator({ serviceHost: '127.0.0.24' });
  kube = await startKubeEmulator({ stateDir: dir, timeFactor: 0.02 });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
  await kube.stop();
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

async function logOf(name: string, marker: string): Promise<string> {
  return waitFor(`'${marker}' in the log of ${name}`, async () => {
    const text = await core.readNamespacedPodLog({ namespace: NS, name });
    return text.includes(marker) ? text : undefined;
  });
}

test('with credentials from Secrets, the telemetry module process sends messages that reach the hub', async () => {
  hub.registry.createModule(hub.deviceId, 'telemetry');
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'telemetry-credentials' }, stringData: { connectionString: hub.connectionString(hub.deviceId, 'telemetry'), 'ca.pem': hub.caPem } },
  });
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'telemetry' },
      spec: {
        containers: [
          {
            name: 'telemetry',
            image: IMAGE,
            env: [
              { name: 'INTERVAL_MS', value: '200' },
              { name: 'IotHubConnectionString', valueFrom: { secretKeyRef: { name: 'telemetry-credentials', key: 'connectionString' } } },
              { name: 'EdgeModuleCACertificateFile', value: '/etc/hub/ca.pem' },
            ],
            volumeMounts: [{ name: 'ca', mountPath: '/etc/hub', readOnly: true }],
          },
        ],
        volumes: [{ name: 'ca', secret: { secretName: 'telemetry-credentials', items: [{ key: 'ca.pem', path: 'ca.pem' }] } }],
      },
    },
  });
  const messages = await waitFor('two messages at the hub', () => {
    const got = hub.telemetry(hub.deviceId, 'telemetry');
    return got.length >= 2 ? got : undefined;
  }, 30_000);
  expect(JSON.parse(messages[0]!.body)).toMatchObject({ sequence: 0, temperatureUnit: 'C' });
  expect(await logOf('telemetry', 'sending every')).toContain('telemetry: sending every 200 ms\n');
});

test('without credentials, the log says why nothing is sent, and the module keeps running', async () => {
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'nocreds' }, spec: { containers: [{ name: 'telemetry', image: IMAGE }] } } });
  const log = await logOf('nocreds', 'cannot send');
  expect(log).toBe(
    'telemetry: cannot send telemetry: no module credentials: neither EdgeHubConnectionString nor IotHubConnectionString is set, and the IoT Edge workload API variables are incomplete (missing IOTEDGE_WORKLOADURI, IOTEDGE_DEVICEID, IOTEDGE_MODULEID, IOTEDGE_IOTHUBHOSTNAME, IOTEDGE_AUTHSCHEME, IOTEDGE_MODULEGENERATIONID)\n',
  );
  await new Promise((r) => setTimeout(r, 500));
  const status = (await core.readNamespacedPod({ namespace: NS, name: 'nocreds' })).status?.containerStatuses?.[0];
  expect(status).toMatchObject({ restartCount: 0, ready: true, state: { running: expect.anything() } });
});
