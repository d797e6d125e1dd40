/**
 * The Reconciler against a cluster (the emulator, or KUBECONFIG's cluster in a fresh
 * namespace), through @kubernetes/client-node only. Writes are counted at the client's HTTP
 * layer (see harness.ts), not inside the emulator.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFile } from '../../../translator/sources/index.js';
import { InformerCache, LAST_GOOD_SECRET, Reconciler, type DesiredDeployment, type ReconcileOutcome } from '../../../translator/reconcile/index.js';
import { KubeConfigLoader, type KubeConfig } from '../../../translator/kube/index.js';
import { startWireClock } from '../../support/wire-clock.js';
import { countingKubeConfig, desiredOf, manifestOf, openCluster, statusOf, waitFor, type CountingKubeConfig, type TestCluster, type TestModule } from './harness.js';

jest.setTimeout(process.env.KUBECONFIG ? 120_000 : 30_000);

const DEVICE = 'dev-1';
const emulatorOnly = process.env.KUBECONFIG ? test.skip : test;
const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

let cluster: TestCluster;
let apps: k8s.AppsV1Api;
let batch: k8s.BatchV1Api;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  cluster = await openCluster('reconcile');
  apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
  batch = cluster.kc.makeApiClient(k8s.BatchV1Api);
  core = cluster.kc.makeApiClient(k8s.CoreV1Api);
});


/** Informer caches made by the tests; stopped at the end. */
const caches: InformerCache[] = [];

function cacheFor(kubeConfig: KubeConfig, namespace: string): InformerCache {
  const cache = new InformerCache({ kubeConfig, namespace, deviceId: DEVICE });
  caches.push(cache);
  return cache;
}

/** A reconciler in its own namespace, with a counting client; its cache starts with the first reconcile. */
async function setup(name: string, options: { startupGroupTimeoutMs?: number } = {}) {
  const namespace = `${cluster.namespace}-${name}`;
  const counting = countingKubeConfig(cluster.kc);
  const logs: Array<{ level: string; msg: string; fields?: object }> = [];
  const reconciler = new Reconciler({
    kubeConfig: counting.kc,
    namespace,
    deviceId: DEVICE,
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
    cache: cacheFor(counting.kc, namespace),
    ...options,
  });
  await reconciler.ensureNamespace();
  counting.reset();
  const desired = (modules: Record<string, TestModule>, version = 1, edgeHubOrder = 0) => desiredOf(manifestOf(modules, edgeHubOrder), version, namespace, DEVICE);
  return { namespace, counting, reconciler, logs, desired };
}

function expectDone(outcome: ReconcileOutcome): Extract<ReconcileOutcome, { kind: 'done' }> {
  if (outcome.kind !== 'done') throw new Error(`expected done, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const writeLines = (c: CountingKubeConfig) => c.writes().map((w) => `${w.method} ${w.path.replace(/^.*\/namespaces\/[^/]+\//, '')}`);

afterAll(async () => {
  await Promise.all(caches.map((c) => c.stop()));
  // The per-test namespaces, then the cluster.
  if (core) {
    const namespaces = await core.listNamespace();
    for (const ns of namespaces.items) {
      const name = ns.metadata?.name ?? '';
      if (name.startsWith(`${cluster.namespace}-`)) await core.deleteNamespace({ name }).catch(() => undefined);
    }
  }
  await cluster?.close();
});

describe('apply', () => {
  test('the webserver sample: objects exist, and applying it again costs zero writes', async () => {
    const { namespace, counting, reconciler } = await setup('web');
    const compiled = await compileFile(join(repoRoot, 'deployment-manifests', 'webserver.json'), {}, { namespace, deviceId: DEVICE, hubHostname: 'hub.example.test' });
    expect(compiled.ok).toBe(true);
    const desired: DesiredDeployment = { version: 1, model: compiled.model!, objects: compiled.objects };
    const first = expectDone(await reconciler.reconcile(desired));
    expect(first.applied.sort()).toEqual(compiled.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    expect(first.writes).toBe(compiled.objects.length);
    expect(counting.writes()).toHaveLength(compiled.objects.length);
    expect(counting.writes().every((w) => w.method === 'PATCH')).toBe(true);

    const web = await apps.readNamespacedDeployment({ name: 'webserverapp', namespace });
    expect(web.spec?.template.spec?.containers[0]?.image).toBe('mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine');
    expect(web.metadata?.managedFields?.some((f) => f.manager === 'iotedge-k8s' && f.operation === 'Apply')).toBe(true);
    const service = await core.readNamespacedService({ name: 'webserverapp-published', namespace });
    expect(service.spec?.ports?.[0]?.port).toBe(8080);

    counting.reset();
    const second = expectDone(await reconciler.reconcile(desired));
    expect(second).toEqual({ kind: 'done', writes: 0, applied: [], pruned: [] });
    expect(counting.writes()).toEqual([]);
    expect(counting.requests).toEqual([]); // it looked at the informer cache: not one request
  });

  test('a changed image in a 5-module deployment writes only that module object', async () => {
    const { counting, reconciler, desired } = await setup('five');
    const modules: Record<string, TestModule> = { m1: { image: 'runs', port: 81 }, m2: { image: 'runs' }, m3: { image: 'runs', port: 83 }, m4: { image: 'runs' }, m5: { image: 'runs' } };
    expectDone(await reconciler.reconcile(desired(modules, 1)));
    counting.reset();
    const changed = expectDone(await reconciler.reconcile(desired({ ...modules, m3: { image: 'runsToo', port: 83 } }, 2)));
    expect(changed).toEqual({ kind: 'done', writes: 1, applied: ['Deployment/m3'], pruned: [] });
    expect(writeLines(counting)).toEqual(['PATCH deployments/m3']);
  });

  test('a removed module is pruned; unowned objects, even with the same name, are untouched', async () => {
    const { namespace, counting, reconciler, desired } = await setup('prune');
    const modules: Record<string, TestModule> = { keep: { image: 'runs' }, gone: { image: 'runs', port: 90 } };
    expectDone(await reconciler.reconcile(desired(modules)));
    // Not ours: same name, no labels; and an object of another device.
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'gone' }, stringData: { a: 'b' } } });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'gone', labels: { 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'net.azure-devices.edge.deviceid': DEVICE } } } });
    const other = desiredOf(manifestOf({ other: { image: 'runs' } }), 1, namespace, 'dev-2').objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'other')!;
    await apps.createNamespacedDeployment({ namespace, body: other as k8s.V1Deployment });
    counting.reset();

    const outcome = expectDone(await reconciler.reconcile(desired({ keep: modules.keep! }, 2)));
    // The module's headless Service (gone) and its published one (gone-published, port 90).
    expect(outcome.pruned).toEqual(['Deployment/gone', 'Service/gone', 'Service/gone-published', 'ServiceAccount/gone']);
    expect(outcome.writes).toBe(4);
    expect(writeLines(counting)).toEqual(['DELETE deployments/gone', 'DELETE services/gone', 'DELETE services/gone-published', 'DELETE serviceaccounts/gone']);
    expect(await statusOf(apps.readNamespacedDeployment({ name: 'gone', namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedService({ name: 'gone', namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedSecret({ name: 'gone', namespace }))).toBeUndefined();
    expect(await statusOf(core.readNamespacedConfigMap({ name: 'gone', namespace }))).toBeUndefined();
    expect(await statusOf(apps.readNamespacedDeployment({ name: 'other', namespace }))).toBeUndefined();
    expect(await statusOf(apps.readNamespacedDeployment({ name: 'keep', namespace }))).toBeUndefined();
  });

  test('an existing object it does not own is never taken over: terminal 400, object unchanged', async () => {
    const { namespace, counting, reconciler, desired } = await setup('foreign');
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'mine', labels: { team: 'x' } } } });
    counting.reset();
    const outcome = await reconciler.reconcile(desired({ mine: { image: 'runs' } }));
    expect(outcome).toEqual({
      kind: 'terminal',
      code: 400,
      description: `ServiceAccount/mine already exists in namespace '${namespace}' and is not managed by iotedge-k8s for device '${DEVICE}'; left untouched`,
    });
    expect(counting.writes()).toEqual([]);
    const sa = await core.readNamespacedServiceAccount({ name: 'mine', namespace });
    expect(sa.metadata?.labels).toEqual({ team: 'x' });
  });
});

describe('claims', () => {
  test('a claim is kept while a desired module mounts it and pruned with the last module that did', async () => {
    const { namespace, reconciler, desired } = await setup('claims');
    const first = expectDone(await reconciler.reconcile(desired({ a: { image: 'runs', volume: 'shared' }, b: { image: 'runs', volume: 'shared' } }, 1)));
    expect(first.applied).toContain('PersistentVolumeClaim/shared');
    const onlyB = expectDone(await reconciler.reconcile(desired({ b: { image: 'runs', volume: 'shared' } }, 2)));
    expect(onlyB.pruned).toEqual(['Deployment/a', 'Service/a', 'ServiceAccount/a']);
    expect(await statusOf(core.readNamespacedPersistentVolumeClaim({ name: 'shared', namespace }))).toBeUndefined();
    const none = expectDone(await reconciler.reconcile(desired({ c: { image: 'runs' } }, 3)));
    expect(none.pruned).toEqual(['Deployment/b', 'Service/b', 'PersistentVolumeClaim/shared', 'ServiceAccount/b']);
    await waitFor('claim gone', async () => ((await statusOf(core.readNamespacedPersistentVolumeClaim({ name: 'shared', namespace }))) === 404 ? true : undefined));
  });
});

describe('Jobs and stopped modules', () => {
  test('a changed Job is replaced (delete, wait, create); stopped removes it; a stopped Deployment has 0 replicas', async () => {
    const { namespace, counting, reconciler, desired } = await setup('jobs');
    const modules: Record<string, TestModule> = { task: { image: 'finishes', restartPolicy: 'never' }, svc: { image: 'runs' } };
    expectDone(await reconciler.reconcile(desired(modules, 1)));
    const before = await batch.readNamespacedJob({ name: 'task', namespace });

    counting.reset();
    const replaced = expectDone(await reconciler.reconcile(desired({ ...modules, task: { ...modules.task!, env: { RUN: '2' } } }, 2)));
    expect(replaced).toEqual({ kind: 'done', writes: 2, applied: ['Job/task'], pruned: [] });
    expect(writeLines(counting)).toEqual(['DELETE jobs/task', 'PATCH jobs/task']);
    const after = await batch.readNamespacedJob({ name: 'task', namespace });
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(after.spec?.template.spec?.containers[0]?.env).toContainEqual({ name: 'RUN', value: '2' });

    counting.reset();
    const stopped = expectDone(
      await reconciler.reconcile(desired({ task: { ...modules.task!, env: { RUN: '2' }, status: 'stopped' }, svc: { image: 'runs', status: 'stopped' } }, 3)),
    );
    expect(stopped.pruned).toEqual(['Job/task']);
    expect(stopped.applied).toEqual(['Deployment/svc']);
    expect(await statusOf(batch.readNamespacedJob({ name: 'task', namespace }))).toBe(404);
    expect((await apps.readNamespacedDeployment({ name: 'svc', namespace })).spec?.replicas).toBe(0);
  });
});

describe('startupOrder', () => {
  test('groups are applied in ascending order; a crash-looping group holds the next one only until the timeout', async () => {
    // A real cluster pulls images: give the healthy groups time to start.
    const timeout = process.env.KUBECONFIG ? 20_000 : 1500;
    const { namespace, counting, reconciler, desired, logs } = await setup('order', { startupGroupTimeoutMs: timeout });
    const stamps: Array<{ line: string; at: number }> = [];
    const hook = counting.kc.applyToHTTPSOptions.bind(counting.kc);
    // What the previous group's pods were doing when the next group's first write went out.
    const seen: Record<string, string[]> = {};
    const podStates = async (module: string) =>
      (await core.listNamespacedPod({ namespace, labelSelector: `net.azure-devices.edge.module=${module}` })).items.map((p) =>
        p.status?.containerStatuses?.[0]?.started ? 'started' : (p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? p.status?.phase ?? 'none'),
      );
    // The step the bridge's client (translator/kube) runs once for every request it sends.
    counting.kc.applyToHTTPSOptions = async (context) => {
      const request = context as { method?: string; path?: string };
      if (request.method === 'PATCH') {
        const line = (request.path ?? '').split('?')[0]!.replace(/^.*\/namespaces\/[^/]+\//, '');
        stamps.push({ line, at: Date.now() });
        if (line === 'serviceaccounts/first') seen.edgehub = await podStates('edgehub');
        if (line === 'serviceaccounts/crashing') seen.first = await podStates('first');
      }
      return hook(context);
    };
    const outcome = expectDone(
      await reconciler.reconcile(
        desired({ first: { image: 'runs', startupOrder: 1 }, crashing: { image: 'crashes', startupOrder: 2 }, last: { image: 'runs', startupOrder: 3 } }, 1, 0),
      ),
    );
    expect(outcome.applied).toEqual([
      'ServiceAccount/edgehub',
      'Service/edgehub',
      'Deployment/edgehub',
      'ServiceAccount/first',
      'Service/first',
      'Deployment/first',
      'ServiceAccount/crashing',
      'Service/crashing',
      'Deployment/crashing',
      'ServiceAccount/last',
      'Service/last',
      'Deployment/last',
    ]);
    expect(stamps.map((s) => s.line)).toEqual([
      'serviceaccounts/edgehub',
      'services/edgehub',
      'deployments/edgehub',
      'serviceaccounts/first',
      'services/first',
      'deployments/first',
      'serviceaccounts/crashing',
      'services/crashing',
      'deployments/crashing',
      'serviceaccounts/last',
      'services/last',
      'deployments/last',
    ]);
    expect(seen).toEqual({ edgehub: ['started'], first: ['started'] });
    const crashing = await podStates('crashing');
    expect(crashing.length).toBeGreaterThan(0);
    expect(crashing).not.toContain('started');
    const at = (line: string) => stamps.find((s) => s.line === line)!.at;
    // The crash-looping group was waited for, but no longer than the bound (plus one poll and the apply).
    const held = at('serviceaccounts/last') - at('deployments/crashing');
    expect(held).toBeGreaterThanOrEqual(timeout);
    expect(held).toBeLessThan(timeout + 1500);
    const messages = logs.filter((l) => l.msg.startsWith('startup group')).map((l) => [l.msg, (l.fields as { order: number }).order]);
    expect(messages).toEqual([
      ['startup group started', 0],
      ['startup group started', 1],
      ['startup group timed out; starting the next group', 2],
    ]);
  });
});

describe('startupOrder with a Job', () => {
  test('a Job-backed group counts as started once its pod runs or has run', async () => {
    const { reconciler, desired, logs } = await setup('jobgroup', { startupGroupTimeoutMs: process.env.KUBECONFIG ? 60_000 : 5000 });
    const started = Date.now();
    const outcome = expectDone(
      await reconciler.reconcile(desired({ prep: { image: 'finishes', restartPolicy: 'never', startupOrder: 1 }, app: { image: 'runs', startupOrder: 2 } }, 1, 0)),
    );
    expect(outcome.applied.indexOf('Job/prep')).toBeLessThan(outcome.applied.indexOf('Deployment/app'));
    const groupLogs = logs.filter((l) => l.msg.startsWith('startup group')).map((l) => [l.msg, (l.fields as { order: number }).order]);
    expect(groupLogs).toEqual([
      ['startup group started', 0],
      ['startup group started', 1],
    ]);
    if (!process.env.KUBECONFIG) expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('API errors', () => {
  emulatorOnly('injected 500s give retry outcomes, then the reconcile succeeds', async () => {
    const { reconciler, desired } = await setup('fivexx');
    const d = desired({ a: { image: 'runs' } });
    cluster.emulator!.faults.failNext(2, { method: 'PATCH' });
    const first = await reconciler.reconcile(d);
    expect(first).toMatchObject({ kind: 'retry', afterMs: 0 });
    expect((first as { error: string }).error).toMatch(/^apply ServiceAccount\/edgehub: 500/);
    expect(await reconciler.reconcile(d)).toMatchObject({ kind: 'retry' });
    const third = expectDone(await reconciler.reconcile(d));
    expect(third.applied).toHaveLength(6);
  });

  emulatorOnly('a 429 honours Retry-After', async () => {
    const { reconciler, desired } = await setup('throttle');
    cluster.emulator!.faults.throttleNext(1, 2, { method: 'GET' });
    expect(await reconciler.reconcile(desired({ a: { image: 'runs' } }))).toMatchObject({ kind: 'retry', afterMs: 2000 });
  });

  test('a connection failure is a retry outcome', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:9', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const reconciler = new Reconciler({ kubeConfig: kc, namespace: 'nowhere', deviceId: DEVICE, cache: cacheFor(kc, 'nowhere') });
    const outcome = await reconciler.reconcile(desiredOf(manifestOf({ a: { image: 'runs' } }), 1, 'nowhere', DEVICE));
    expect(outcome).toMatchObject({ kind: 'retry', afterMs: 0 });
    expect((outcome as { error: string }).error).toMatch(/^list Secret: cannot reach the Kubernetes API/);
  });

  test('a 422 is terminal with the API message; what runs stays', async () => {
    const { namespace, reconciler, desired } = await setup('invalid');
    expectDone(await reconciler.reconcile(desired({ a: { image: 'runs' } }, 1)));
    const bad = desired({ a: { image: 'runsToo' } }, 2);
    const deployment = bad.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'a')!;
    (deployment.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image = '';
    const outcome = await reconciler.reconcile(bad);
    expect(outcome.kind).toBe('terminal');
    expect(outcome).toMatchObject({ code: 400 });
    expect((outcome as { description: string }).description).toMatch(/spec\.template\.spec\.containers\[0\]\.image: Required value/);
    expect((await apps.readNamespacedDeployment({ name: 'a', namespace })).spec?.template.spec?.containers[0]?.image).toBe('busybox:1.36');
  });

  test('desired objects of another device are terminal before any write', async () => {
    const { namespace, counting, reconciler } = await setup('otherdev');
    const outcome = await reconciler.reconcile(desiredOf(manifestOf({ a: { image: 'runs' } }), 1, namespace, 'dev-2'));
    expect(outcome).toMatchObject({ kind: 'terminal', code: 400 });
    expect((outcome as { description: string }).description).toContain("does not carry the ownership labels of device 'dev-1'");
    expect(counting.requests).toEqual([]);
  });
});

describe('last good deployment', () => {
  test('round-trips through the Secret, is not pruned, and is absent at first', async () => {
    const { namespace, reconciler, desired, logs } = await setup('lastgood');
    expect(await reconciler.loadLastGood()).toBeUndefined();
    const manifest = manifestOf({ a: { image: 'runs' } });
    (manifest as { registryPassword?: string }).registryPassword = 'hunter2-SECRET';
    await reconciler.saveLastGood({ version: 4, manifest });
    expect(await reconciler.loadLastGood()).toEqual({ version: 4, manifest });
    const secret = await core.readNamespacedSecret({ name: LAST_GOOD_SECRET, namespace });
    expect(Object.keys(secret.data ?? {})).toEqual(['deployment']);
    expect(JSON.stringify(secret)).not.toContain('hunter2');
    expectDone(await reconciler.reconcile(desired({ a: { image: 'runs' } })));
    expect(await reconciler.loadLastGood()).toEqual({ version: 4, manifest });
    expect(JSON.stringify(logs)).not.toContain('hunter2');

    await core.patchNamespacedSecret(
      { name: LAST_GOOD_SECRET, namespace, body: { data: { deployment: Buffer.from('garbage').toString('base64') } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(await reconciler.loadLastGood()).toBeUndefined();
    expect(logs.some((l) => l.level === 'warn' && l.msg.includes('unreadable'))).toBe(true);
  });
});

describe('the work that goes alongside the last writes', () => {
  // The wire clock reads plain HTTP: the emulator's. What it checks is the client's own order.
  emulatorOnly("starts after the last wave's requests are on the wire, not before them", async () => {
    const namespace = `${cluster.namespace}-alongside`;
    const wire = await startWireClock(cluster.kc.getCurrentCluster()!.server);
    // The bridge's own client: it reuses connections, as in production.
    const kubeConfig = new KubeConfigLoader();
    kubeConfig.loadFromString(cluster.kc.exportConfig());
    kubeConfig.clusters = kubeConfig.clusters.map((c) => ({ ...c, server: wire.url }));
    const reconciler = new Reconciler({ kubeConfig, namespace, deviceId: DEVICE, cache: cacheFor(kubeConfig, namespace) });
    try {
      await reconciler.ensureNamespace();
      const desired = (value: string) => desiredOf(manifestOf({ a: { image: 'runs', env: { ROUND: value } }, b: { image: 'runs' } }), Number(value), namespace, DEVICE);
      expectDone(await reconciler.reconcile(desired('1')));
      // A change of one module: its Deployment is the last wave. The hook holds this thread for
      // 500 ms, as heavy work of the bridge's would (encoding the last-good Secret).
      let heldFrom = 0;
      let heldUntil = 0;
      const outcome = await reconciler.reconcile(desired('2'), {
        alongsideLastWrites: () => {
          heldFrom = Date.now();
          while (Date.now() - heldFrom < 500);
          heldUntil = Date.now();
          return Promise.resolve();
        },
      });
      expect(expectDone(outcome).applied).toEqual(['Deployment/a']);
      const patch = (await wire.arrivals()).filter((a) => a.line.startsWith('PATCH ') && a.line.includes('/deployments/a?'));
      expect(patch).toHaveLength(2);
      // While the hook held the thread (within its first half: the worker thread may wait for a
      // core on a busy machine), not after it let go.
      expect(heldUntil - heldFrom).toBeGreaterThanOrEqual(500);
      expect(patch[1]!.at).toBeLessThan(heldFrom + 250);
    } finally {
      await wire.close();
    }
  });
});

describe('namespace', () => {
  test('ensureNamespace creates a missing namespace and accepts an existing one', async () => {
    const namespace = `${cluster.namespace}-fresh`;
    const reconciler = new Reconciler({ kubeConfig: cluster.kc, namespace, deviceId: DEVICE, cache: cacheFor(cluster.kc, namespace) });
    await reconciler.ensureNamespace();
    await reconciler.ensureNamespace();
    expect((await core.readNamespace({ name: namespace })).metadata?.name).toBe(namespace);
    await waitFor('namespace listed', async () => ((await core.listNamespace()).items.some((n) => n.metadata?.name === namespace) ? true : undefined));
  });
});

describe('serialization', () => {
  test('concurrent reconcile calls run one after the other: the second finds nothing to write', async () => {
    const { counting, reconciler, desired } = await setup('serial');
    const d = desired({ a: { image: 'runs' }, b: { image: 'runs' } });
    const [first, second] = await Promise.all([reconciler.reconcile(d), reconciler.reconcile(d)]);
    expect(expectDone(first).writes).toBe(9);
    expect(second).toEqual({ kind: 'done', writes: 0, applied: [], pruned: [] });
    expect(counting.writes()).toHaveLength(9);
  });
});
