/**
 * InformerCache and the whole loop (cache -> scheduleReconciles -> Reconciler) against a
 * cluster: drift is restored, dropped and expired watches recover.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { map, merge, type Subscription } from 'rxjs';
import { InformerCache, Reconciler, relevantChange, scheduleReconciles, type ReconcileRun } from '../../../translator/reconcile/index.js';
import { kindSpec } from '../../../translator/kinds/index.js';
import { desiredOf, manifestOf, openCluster, statusOf, waitFor, type TestCluster } from './harness.js';

jest.setTimeout(process.env.KUBECONFIG ? 120_000 : 30_000);

const DEVICE = 'dev-1';
const emulatorOnly = process.env.KUBECONFIG ? test.skip : test;

let cluster: TestCluster;
let apps: k8s.AppsV1Api;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  cluster = await openCluster('watch');
  apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
  core = cluster.kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
  await cluster?.close();
});

/** A watcher counting its ticks. */
async function startWatcher(logs: string[] = []) {
  const watcher = new InformerCache({
    kubeConfig: cluster.kc,
    namespace: cluster.namespace,
    deviceId: DEVICE,
    delay: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    log: (_level, msg) => logs.push(msg),
  });
  let ticks = 0;
  const sub = watcher.changes$.subscribe(() => ticks++);
  await watcher.start();
  return { watcher, ticks: () => ticks, stop: async () => (sub.unsubscribe(), await watcher.stop()) };
}

const desired = (image: 'runs' | 'runsToo' = 'runs') => desiredOf(manifestOf({ app: { image, port: 8080 } }), 1, cluster.namespace, DEVICE);

describe('relevantChange', () => {
  test('ignores status and server bookkeeping, not spec or labels; Pods only by identity and labels', () => {
    const base = { metadata: { uid: 'u', resourceVersion: '1', labels: { a: '1' } }, spec: { replicas: 1 }, status: { ready: 0 } };
    const statusOnly = { ...base, metadata: { ...base.metadata, resourceVersion: '2' }, status: { ready: 1 } };
    expect(relevantChange('Deployment', base, statusOnly)).toBe(false);
    expect(relevantChange('Deployment', base, { ...base, spec: { replicas: 2 } })).toBe(true);
    expect(relevantChange('Deployment', base, { ...base, metadata: { ...base.metadata, labels: {} } })).toBe(true);
    expect(relevantChange('Deployment', base, { ...base, metadata: { ...base.metadata, uid: 'v' } })).toBe(true);
    expect(relevantChange('Deployment', base, { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-12-02T00:00:00Z' } })).toBe(true);
    expect(relevantChange('Pod', base, { ...base, spec: { nodeName: 'n' } })).toBe(false);
    expect(relevantChange('Pod', base, { ...base, metadata: { ...base.metadata, labels: { a: '2' } } })).toBe(true);
  });

  test('compares top-level fields both ways, member order ignored', () => {
    const base = { metadata: { uid: 'u' }, spec: { a: 1, b: { c: [1, 2] } } };
    expect(relevantChange('Deployment', base, { ...base, spec: { b: { c: [1, 2] }, a: 1 } })).toBe(false);
    expect(relevantChange('Deployment', base, { ...base, spec: { a: 1, b: { c: [2, 1] } } })).toBe(true);
    const withData = { ...base, data: { k: 'v' } };
    expect(relevantChange('Deployment', base, withData)).toBe(true);
    expect(relevantChange('Deployment', withData, base)).toBe(true);
  });

  test("ignores the Deployment controller's revision annotation (a rollout), not the other annotations", () => {
    const base = { metadata: { uid: 'u', annotations: { mine: 'x', 'deployment.kubernetes.io/revision': '1' } }, spec: { replicas: 1 } };
    const rolledOut = { ...base, metadata: { ...base.metadata, annotations: { ...base.metadata.annotations, 'deployment.kubernetes.io/revision': '2' } } };
    expect(relevantChange('Deployment', base, rolledOut)).toBe(false);
    expect(relevantChange('Deployment', { metadata: { uid: 'u', annotations: { mine: 'x' } }, spec: { replicas: 1 } }, rolledOut)).toBe(false);
    expect(relevantChange('Deployment', base, { ...base, metadata: { ...base.metadata, annotations: { mine: 'y' } } })).toBe(true);
    expect(relevantChange('Deployment', base, { ...base, metadata: { ...base.metadata, annotations: { ...base.metadata.annotations, other: 'z' } } })).toBe(true);
    expect(relevantChange('Deployment', base, { ...base, metadata: { uid: 'u', annotations: { 'deployment.kubernetes.io/revision': '1' } } })).toBe(true);
  });
});

describe('InformerCache', () => {
  test('observed$ also ticks on status-only changes, which changes$ ignores', async () => {
    const w = await startWatcher();
    let observed = 0;
    const sub = w.watcher.observed$.subscribe(() => observed++);
    try {
      const labels = { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': DEVICE };
      await core.createNamespacedService({ namespace: cluster.namespace, body: { metadata: { name: 'observed-svc', labels }, spec: { ports: [{ port: 80 }] } } });
      await waitFor('the create tick', async () => (w.ticks() >= 1 && observed >= 1 ? true : undefined), 5000);
      const [ticks, seen] = [w.ticks(), observed];
      await core.patchNamespacedServiceStatus(
        { name: 'observed-svc', namespace: cluster.namespace, body: { status: { conditions: [{ type: 'Probe', status: 'True', reason: 'Test', message: 'status only', lastTransitionTime: new Date() }] } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await waitFor('an observed tick for the status change', async () => (observed > seen ? true : undefined), 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(w.ticks()).toBe(ticks);
    } finally {
      sub.unsubscribe();
      await core.deleteNamespacedService({ name: 'observed-svc', namespace: cluster.namespace }).catch(() => undefined);
      await w.stop();
    }
  });

  test("the device's Pods tick observed$ and wake waitFor, never changes$ (the reconcile plan does not read them)", async () => {
    const w = await startWatcher();
    let observed = 0;
    const sub = w.watcher.observed$.subscribe(() => observed++);
    try {
      const labels = { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': DEVICE, 'net.azure-devices.edge.module': 'podonly' };
      const appeared = w.watcher.waitFor(() => w.watcher.get('Pod', 'podonly') !== undefined, 5000);
      await core.createNamespacedPod({ namespace: cluster.namespace, body: { metadata: { name: 'podonly', labels }, spec: { containers: [{ name: 'podonly', image: 'busybox:1.36' }] } } });
      expect(await appeared).toBe(true);
      await waitFor('an observed tick for the new pod', async () => (observed >= 1 ? true : undefined), 5000);
      await core.patchNamespacedPod(
        { name: 'podonly', namespace: cluster.namespace, body: { metadata: { labels: { ...labels, extra: 'relabelled' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await waitFor('the relabelled pod in the cache', async () => (w.watcher.get('Pod', 'podonly')?.metadata?.labels?.extra === 'relabelled' ? true : undefined), 5000);
      const seen = observed;
      await core.deleteNamespacedPod({ name: 'podonly', namespace: cluster.namespace, gracePeriodSeconds: 0 });
      await waitFor('an observed tick for the deletion', async () => (observed > seen && w.watcher.get('Pod', 'podonly') === undefined ? true : undefined), 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(w.ticks()).toBe(0);
    } finally {
      sub.unsubscribe();
      await core.deleteNamespacedPod({ name: 'podonly', namespace: cluster.namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      await w.stop();
    }
  });

  test('ticks on changes of owned objects only', async () => {
    const w = await startWatcher();
    try {
      expect(w.ticks()).toBe(0);
      await core.createNamespacedConfigMap({ namespace: cluster.namespace, body: { metadata: { name: 'unrelated' } } });
      await core.createNamespacedServiceAccount({ namespace: cluster.namespace, body: { metadata: { name: 'not-ours' } } });
      await new Promise((r) => setTimeout(r, 200));
      expect(w.ticks()).toBe(0);
      await core.createNamespacedServiceAccount({
        namespace: cluster.namespace,
        body: { metadata: { name: 'ours', labels: { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': DEVICE } } },
      });
      await waitFor('a tick', async () => (w.ticks() >= 1 ? true : undefined), 5000);
      await core.deleteNamespacedServiceAccount({ name: 'ours', namespace: cluster.namespace });
      await waitFor('a second tick', async () => (w.ticks() >= 2 ? true : undefined), 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(w.ticks()).toBe(2); // created, deleted: nothing for the objects we do not own
      expect(w.watcher.restarts).toBe(0);
    } finally {
      await w.stop();
    }
  });

  emulatorOnly('recovers from dropped watches and from 410 Gone, and keeps ticking', async () => {
    const logs: string[] = [];
    const w = await startWatcher(logs);
    try {
      const kinds = 7;
      cluster.emulator!.faults.dropWatches();
      await waitFor('every watch restarted after the drop', async () => (w.watcher.restarts >= kinds ? true : undefined), 5000);
      expect(logs.filter((m) => m === 'watch expired (410); relisting')).toHaveLength(0);
      // Let the restarted watches reach the server, then expire them: each relists.
      await new Promise((r) => setTimeout(r, 300));
      cluster.emulator!.faults.expireNextWatches(kinds);
      cluster.emulator!.faults.dropWatches();
      await waitFor('every watch restarted twice more (drop, then 410)', async () => (w.watcher.restarts >= 3 * kinds ? true : undefined), 5000);
      expect(logs.filter((m) => m === 'watch expired (410); relisting')).toHaveLength(kinds);
      const before = w.ticks();
      await core.createNamespacedSecret({
        namespace: cluster.namespace,
        body: { metadata: { name: 'after-410', labels: { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': DEVICE } } },
      });
      await waitFor('a tick after recovery', async () => (w.ticks() > before ? true : undefined), 5000);
      await core.deleteNamespacedSecret({ name: 'after-410', namespace: cluster.namespace });
    } finally {
      await w.stop();
    }
  });
});

describe('relist after 410', () => {
  emulatorOnly('an object deleted while the watches were down is emitted as a delete by the relist', async () => {
    const logs: string[] = [];
    const w = await startWatcher(logs);
    const events: string[] = [];
    const sub = w.watcher.events$.subscribe((e) => events.push(`${e.type} ${e.kind}/${e.object.metadata?.name ?? ''}`));
    const labels = { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': DEVICE };
    try {
      await core.createNamespacedSecret({ namespace: cluster.namespace, body: { metadata: { name: 'vanishing', labels } } });
      await waitFor('the secret cached', async () => (w.watcher.get('Secret', 'vanishing') ? true : undefined), 5000);
      const ticks = w.ticks();
      // Every request waits 300 ms: the restarted watches get 410 and relist only after the delete.
      cluster.emulator!.faults.setLatency(300);
      cluster.emulator!.faults.expireNextWatches(7);
      cluster.emulator!.faults.dropWatches();
      await core.deleteNamespacedSecret({ name: 'vanishing', namespace: cluster.namespace });
      await waitFor('the delete emitted', async () => (events.includes('DELETED Secret/vanishing') ? true : undefined), 10_000);
      expect(logs.filter((m) => m === 'watch expired (410); relisting').length).toBeGreaterThan(0);
      expect(w.watcher.get('Secret', 'vanishing')).toBeUndefined();
      expect(w.watcher.list('Secret').map((o) => o.metadata?.name)).not.toContain('vanishing');
      await waitFor('a change tick', async () => (w.ticks() > ticks ? true : undefined), 5000);
    } finally {
      cluster.emulator!.faults.setLatency(0);
      sub.unsubscribe();
      await w.stop();
    }
  });
});

describe('the loop: watcher ticks schedule reconciles', () => {
  let reconciler: Reconciler;
  let watcher: Awaited<ReturnType<typeof startWatcher>>;
  let loop: Subscription;
  const runs: ReconcileRun[] = [];

  beforeAll(async () => {
    watcher = await startWatcher();
    reconciler = new Reconciler({ kubeConfig: cluster.kc, namespace: cluster.namespace, deviceId: DEVICE, cache: watcher.watcher });
    const d = desired();
    loop = scheduleReconciles({
      triggers: merge(watcher.watcher.changes$, [undefined]).pipe(map(() => DEVICE)),
      reconcile: () => reconciler.reconcile(d),
      resyncMs: 60_000,
    }).subscribe((r) => runs.push(r));
    await waitFor('first reconcile', async () => (runs.some((r) => r.outcome.kind === 'done') ? true : undefined));
  });

  afterAll(async () => {
    loop?.unsubscribe();
    await watcher?.stop();
  });

  test('a deleted Deployment is restored within seconds', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'app', namespace: cluster.namespace });
    await apps.deleteNamespacedDeployment({ name: 'app', namespace: cluster.namespace });
    const started = Date.now();
    const restored = await waitFor(
      'the Deployment back',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'app', namespace: cluster.namespace });
        return d.metadata?.uid !== before.metadata?.uid ? d : undefined;
      },
      5000,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(restored.spec?.template.spec?.containers[0]?.image).toBe('busybox:1.36');
    expect(runs.some((r) => r.cause !== 'resync' && r.outcome.kind === 'done' && r.outcome.applied.includes('Deployment/app'))).toBe(true);
  });

  test('an edited field we own is set back; a deleted Service too', async () => {
    await apps.patchNamespacedDeployment(
      { name: 'app', namespace: cluster.namespace, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await core.deleteNamespacedService({ name: 'app', namespace: cluster.namespace });
    await waitFor(
      'image restored',
      async () => ((await apps.readNamespacedDeployment({ name: 'app', namespace: cluster.namespace })).spec?.template.spec?.containers[0]?.image === 'busybox:1.36' ? true : undefined),
      5000,
    );
    await waitFor('Service restored', async () => ((await statusOf(core.readNamespacedService({ name: 'app', namespace: cluster.namespace }))) === undefined ? true : undefined), 5000);
  });

  test('after the drift settles, reconciles triggered by the watcher write nothing', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const settled = runs.length;
    await core.createNamespacedSecret({
      namespace: cluster.namespace,
      body: { metadata: { name: 'stray', labels: { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': DEVICE } } },
    });
    // An owned object nobody desires: the tick reconciles and prunes it, then the loop goes quiet.
    await waitFor('stray pruned', async () => ((await statusOf(core.readNamespacedSecret({ name: 'stray', namespace: cluster.namespace }))) === 404 ? true : undefined), 5000);
    await new Promise((r) => setTimeout(r, 500));
    const later = runs.slice(settled);
    expect(later.some((r) => r.outcome.kind === 'done' && r.outcome.pruned.includes('Secret/stray'))).toBe(true);
    // The bridge's own delete signals nothing; whatever ran after the prune (pods coming and
    // going) wrote nothing.
    const pruning = later.findIndex((r) => r.outcome.kind === 'done' && r.outcome.pruned.includes('Secret/stray'));
    for (const run of later.slice(pruning + 1)) expect(run.outcome).toEqual({ kind: 'done', writes: 0, applied: [], pruned: [] });
  });
});

describe("the bridge's own writes", () => {
  test('applies and deletes recorded from the answers signal nothing, and the cache holds them at once', async () => {
    const namespace = `${cluster.namespace}-own`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const cache = new InformerCache({ kubeConfig: cluster.kc, namespace, deviceId: DEVICE });
    const reconciler = new Reconciler({ kubeConfig: cluster.kc, namespace, deviceId: DEVICE, cache });
    await cache.start();
    let changes = 0;
    let observed = 0;
    const subs = [cache.changes$.subscribe(() => changes++), cache.observed$.subscribe(() => observed++)];
    try {
      // ClusterIP, no workloads: nothing but the bridge writes these objects (no controller, no
      // pods, no load balancer filling in a Service's status).
      const full = desiredOf(manifestOf({ app: { image: 'runs', port: 8080 } }), 1, namespace, DEVICE, { portBindingServiceType: 'ClusterIP' });
      const objects = full.objects.filter((o) => o.kind === 'Service' || o.kind === 'ServiceAccount');
      const applied = await reconciler.reconcile({ ...full, objects });
      expect(applied).toMatchObject({ kind: 'done', writes: objects.length });
      const services = objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name).sort();
      expect(services.length).toBeGreaterThan(0);
      expect(cache.list('Service').map((o) => o.metadata?.name).sort()).toEqual(services);
      await new Promise((r) => setTimeout(r, 500));
      expect([changes, observed]).toEqual([0, 0]);

      const pruned = await reconciler.reconcile({ ...full, objects: objects.filter((o) => o.kind !== 'Service') });
      expect(pruned).toMatchObject({ kind: 'done' });
      expect((pruned as { pruned: string[] }).pruned.sort()).toEqual(services.map((name) => `Service/${name}`));
      expect(cache.list('Service')).toEqual([]);
      await new Promise((r) => setTimeout(r, 500));
      expect([changes, observed]).toEqual([0, 0]);

      // Someone else's change still signals.
      await core.deleteNamespacedServiceAccount({ name: 'app', namespace });
      await waitFor('a change tick', async () => (changes > 0 && observed > 0 ? true : undefined), 5000);
    } finally {
      for (const sub of subs) sub.unsubscribe();
      await cache.stop();
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  });
});

describe('lifecycle', () => {
  test('a stopped watcher cannot be restarted, and its changes$ completes', async () => {
    const w = new InformerCache({ kubeConfig: cluster.kc, namespace: cluster.namespace, deviceId: DEVICE });
    let completed = false;
    w.changes$.subscribe({ complete: () => (completed = true) });
    await w.start();
    await w.stop();
    expect(completed).toBe(true);
    await expect(w.start()).rejects.toThrow('InformerCache was stopped; create a new one');
  });
});

describe('backoff', () => {
  test('failed lists are retried with exponential backoff through the injected delay', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:9', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const delays: number[] = [];
    const warnings: string[] = [];
    const w = new InformerCache({
      kubeConfig: kc,
      namespace: 'nowhere',
      deviceId: DEVICE,
      kinds: [kindSpec('Deployment')!],
      backoff: { initialMs: 100, maxMs: 400, jitter: 0.5 },
      random: () => 0.5,
      delay: async (ms) => {
        delays.push(ms);
        await new Promise((r) => setTimeout(r, 1));
      },
      log: (level, msg, fields) => level === 'warn' && warnings.push(`${msg} ${JSON.stringify(fields)}`),
    });
    await w.start();
    await waitFor('five retries', async () => (delays.length >= 5 ? true : undefined), 5000);
    await w.stop();
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 400, 400]);
    expect(warnings[0]).toMatch(/^watch failed; restarting after backoff .*"kind":"Deployment".*cannot reach the Kubernetes API/);
  });
});
