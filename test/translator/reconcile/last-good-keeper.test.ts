/** The last good deployment policy, kept by a real Reconciler in the cluster (emulator or KUBECONFIG). */
import * as k8s from '@kubernetes/client-node';
import { InformerCache, LAST_GOOD_SECRET, LastGoodKeeper, Reconciler } from '../../../translator/reconcile/index.js';
import { countingKubeConfig, desiredOf, manifestOf, openCluster, type TestCluster } from './harness.js';

const DEVICE = 'dev-keeper';
let cluster: TestCluster;
const caches: InformerCache[] = [];

beforeAll(async () => {
  cluster = await openCluster('keeper');
});

afterAll(async () => {
  await Promise.all(caches.map((c) => c.stop()));
  await cluster?.close();
});

async function setup() {
  const counting = countingKubeConfig(cluster.kc);
  const logs: Array<{ level: string; msg: string }> = [];
  const cache = new InformerCache({ kubeConfig: counting.kc, namespace: cluster.namespace, deviceId: DEVICE });
  caches.push(cache);
  const reconciler = new Reconciler({ kubeConfig: counting.kc, namespace: cluster.namespace, deviceId: DEVICE, cache, log: (level, msg) => logs.push({ level, msg }) });
  const keeper = () => new LastGoodKeeper(reconciler, (level, msg) => logs.push({ level, msg }));
  counting.reset();
  return { counting, reconciler, keeper, logs };
}

test('writes only a model the cluster does not hold yet, and a new keeper restores the newest one without writing it again', async () => {
  const { counting, keeper } = await setup();
  const first = keeper();
  expect(await first.restore()).toBeUndefined();
  const v1 = desiredOf(manifestOf({ a: { image: 'runs' } }), 1, cluster.namespace, DEVICE);
  const v2 = desiredOf(manifestOf({ a: { image: 'runs' }, b: { image: 'runsToo' } }), 2, cluster.namespace, DEVICE);
  counting.reset();
  expect(await first.keep(v1)).toBe(true);
  expect(await first.keep(v1)).toBe(false);
  expect(await first.keep(v2)).toBe(true);
  expect(counting.writes().map((w) => w.method)).toEqual(['PATCH', 'PATCH']);

  const second = keeper();
  const restored = await second.restore();
  expect(restored?.version).toBe(2);
  expect(restored?.model.modules.filter((m) => !m.system).map((m) => m.name).sort()).toEqual(['a', 'b']);
  counting.reset();
  expect(await second.keep({ version: 2, model: restored!.model })).toBe(false);
  expect(await second.keep(v1)).toBe(true);
  expect(counting.writes()).toHaveLength(1);
});

test('a push that only re-spaces a module\'s createOptions text writes nothing (the kept model does not hold the text\'s length)', async () => {
  const { counting, keeper } = await setup();
  const doc = manifestOf({ a: { image: 'runs', port: 8080 } });
  const respaced = JSON.parse(JSON.stringify(doc)) as typeof doc;
  const settings = (respaced as { modulesContent: { $edgeAgent: { 'properties.desired': { modules: { a: { settings: { createOptions: string } } } } } } })
    .modulesContent.$edgeAgent['properties.desired'].modules.a.settings;
  settings.createOptions = JSON.stringify(JSON.parse(settings.createOptions), null, 2);
  const v1 = desiredOf(doc, 1, cluster.namespace, DEVICE);
  const v2 = desiredOf(respaced, 2, cluster.namespace, DEVICE);
  const lengthOf = (d: typeof v1) => d.model.modules.find((m) => m.name === 'a')!.createOptionsLength;
  expect(lengthOf(v2)).toBeGreaterThan(lengthOf(v1)!);
  const k = keeper();
  await k.keep(v1);
  counting.reset();
  expect(await k.keep(v2)).toBe(false);
  expect(counting.writes()).toHaveLength(0);
  const restored = await keeper().restore();
  expect(restored?.model.modules.find((m) => m.name === 'a')?.createOptionsLength).toBeUndefined();
});

test('a Secret that holds no model, or that cannot be read, restores nothing (logged)', async () => {
  const { reconciler, keeper, logs } = await setup();
  await reconciler.saveLastGood({ version: 7, manifest: 'not a model backup' });
  expect(await keeper().restore()).toBeUndefined();

  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  await core.patchNamespacedSecret(
    { name: LAST_GOOD_SECRET, namespace: cluster.namespace, body: { data: { deployment: Buffer.from('garbage').toString('base64') } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  expect(await keeper().restore()).toBeUndefined();
  expect(logs.some((l) => l.level === 'warn' && l.msg.includes('unreadable'))).toBe(true);
});

test('a store that fails restores nothing and says so', async () => {
  const logs: string[] = [];
  const failing = { loadLastGood: () => Promise.reject(new Error('forbidden')), saveLastGood: () => Promise.resolve(false) };
  expect(await new LastGoodKeeper(failing, (_level, msg) => logs.push(msg)).restore()).toBeUndefined();
  expect(logs).toEqual(['the last good deployment could not be read; starting without it']);
});
