/**
 * Status from the pods a (simulated) kubelet really produces: the translator's objects are
 * created in the sandbox cluster, whose image catalog makes images run, crash-loop, fail to
 * pull or exit; pods, Jobs and Services are read back through @kubernetes/client-node.
 */
import * as k8s from '@kubernetes/client-node';
import { ImageCatalog, startKubeEmulator, type KubeEmulator } from '../../../sandbox/kube/index.js';
import { parseManifest, type DeploymentModel } from '../../../translator/manifest/index.js';
import { moduleStatuses, type ReportedModule } from '../../../translator/status/index.js';
import { translate } from '../../../translator/translate/index.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import { waitFor } from '../../support/wait.js';

const NAMESPACE = 'edge-status';
let kube: KubeEmulator;
let core: k8s.CoreV1Api;
let batch: k8s.BatchV1Api;
let apps: k8s.AppsV1Api;
let model: DeploymentModel;

const mod = dockerModule;


/** The status of a module from everything the cluster holds, as the bridge computes it from its watch caches. */
async function statusOf(id: string): Promise<ReportedModule> {
  const [pods, deployments, jobs, services] = await Promise.all([
    core.listNamespacedPod({ namespace: NAMESPACE }),
    apps.listNamespacedDeployment({ namespace: NAMESPACE }),
    batch.listNamespacedJob({ namespace: NAMESPACE }),
    core.listNamespacedService({ namespace: NAMESPACE }),
  ]);
  const workloads = [...deployments.items.map((d) => ({ ...d, kind: 'Deployment' as const })), ...jobs.items.map((j) => ({ ...j, kind: 'Job' as const }))];
  const statuses = moduleStatuses(model, { pods: pods.items, workloads, services: services.items });
  expect([...statuses.keys()].sort()).toEqual(['batchbad', 'batchok', 'crasher', 'edgeHub', 'good', 'unpullable']);
  return statuses.get(id)!;
}

beforeAll(async () => {
  const catalog = new ImageCatalog({
    'good:1': { kind: 'run' },
    'crash:1': { kind: 'crash', code: 3, afterMs: 100 },
    'nope:1': { kind: 'pull-fail' },
    'batch-ok:1': { kind: 'exit', code: 0, afterMs: 100 },
    'batch-bad:1': { kind: 'exit', code: 7, afterMs: 100 },
  });
  kube = await startKubeEmulator({ tls: false, timeFactor: 0.02, catalog, loadBalancerPool: ['192.0.2.40'] });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  batch = kc.makeApiClient(k8s.BatchV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  const parsed = parseManifest(
    deploymentManifest({
      modules: {
        good: { ...mod('good:1'), settings: { image: 'good:1', createOptions: JSON.stringify({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } }) } },
        crasher: mod('crash:1'),
        unpullable: mod('nope:1'),
        batchok: mod('batch-ok:1', { restartPolicy: 'never' }),
        batchbad: mod('batch-bad:1', { restartPolicy: 'never' }),
      },
      edgeHubDesired: false,
    }),
  );
  if (!parsed.model) throw new Error(JSON.stringify(parsed.diagnostics));
  model = parsed.model;
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const objects = kc.makeApiClient(k8s.KubernetesObjectApi);
  for (const object of translate(model, { namespace: NAMESPACE, deviceId: 'status-device' }).objects) await objects.create(object as k8s.KubernetesObject);
}, 20_000);

afterAll(async () => {
  await kube?.stop();
});

test('edgeHub is observed from its pods like any module', async () => {
  await waitFor('edgeHub running', async () => ((await statusOf('edgeHub')).runtimeStatus === 'running' ? true : undefined));
});

test('a running module with a LoadBalancer Service: running, with its external address', async () => {
  const s = await waitFor('good running with an address', async () => {
    const r = await statusOf('good');
    return r.runtimeStatus === 'running' && r.externalAddress ? r : undefined;
  });
  expect(s.externalAddress).toBe('192.0.2.40:8080');
  expect(s.restartCount).toBe(0);
  expect(Number.isNaN(Date.parse(s.lastStartTimeUtc))).toBe(false);
});

test('a crash-looping image: backoff with its exit code and the real restart count', async () => {
  const s = await waitFor('crasher in back-off after restarts', async () => {
    const r = await statusOf('crasher');
    return r.runtimeStatus === 'backoff' && r.restartCount >= 2 ? r : undefined;
  });
  expect(s.exitCode).toBe(3);
  expect(s.statusDescription).toMatch(/^CrashLoopBackOff: /);
  expect(Date.parse(s.lastExitTimeUtc)).toBeGreaterThan(0);
});

test('an image that cannot be pulled: backoff at once', async () => {
  const s = await waitFor('unpullable in back-off', async () => {
    const r = await statusOf('unpullable');
    return r.runtimeStatus === 'backoff' ? r : undefined;
  });
  expect(s.statusDescription).toMatch(/^(ErrImagePull|ImagePullBackOff)/);
  expect(s.restartCount).toBe(0);
});

test('Jobs: exit 0 -> stopped; exit 7 -> failed with exitCode 7', async () => {
  await waitFor('batchok stopped', async () => ((await statusOf('batchok')).runtimeStatus === 'stopped' ? true : undefined));
  const bad = await waitFor('batchbad failed', async () => {
    const r = await statusOf('batchbad');
    return r.runtimeStatus === 'failed' ? r : undefined;
  });
  expect(bad.exitCode).toBe(7);
});
