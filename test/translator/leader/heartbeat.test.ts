/**
 * The heartbeat on the Kubernetes API (the emulator, or KUBECONFIG's cluster), with short
 * durations: it creates the Lease `iotedge-k8s` with its identity and the bridge's start time,
 * renews it with one replace per beat, takes it back from another writer (saying so once),
 * recreates it when deleted, releases it on stop; and a bridge with leader election stands by
 * while a bridge without election beats on the same Lease (the mixed misconfiguration).
 */
import { CoordinationV1Api } from '@kubernetes/client-node';
import { ElectionConfigError, Heartbeat, KubeLeaseStore, LEASE_NAME, LeaderElector, STARTED_AT_ANNOTATION } from '../../../translator/leader/index.js';
import { startCountingProxy, type CountingProxy } from '../../support/counting-proxy.js';
import { openCluster, type TestCluster } from '../../support/cluster.js';
import { waitFor } from '../../support/wait.js';

let cluster: TestCluster;
let proxy: CountingProxy;
let leases: CoordinationV1Api;

beforeAll(async () => {
  cluster = await openCluster('heartbeat', { tls: false });
  proxy = await startCountingProxy(cluster.kc);
  leases = cluster.kc.makeApiClient(CoordinationV1Api);
}, 30_000);

afterAll(async () => {
  await proxy?.close();
  await cluster?.close();
});

const STARTED = '2026-12-01T10:00:00.123Z';
const read = (name = LEASE_NAME) => leases.readNamespacedLease({ name, namespace: cluster.namespace });
const micros = (t: unknown) => (t instanceof Date ? t.getTime() : Date.parse(String(t)));

function heartbeat(name: string, identity: string, logs: string[] = [], leaseDurationMs = 1_000): Heartbeat {
  return new Heartbeat({
    store: new KubeLeaseStore(proxy.kc, cluster.namespace, name, { startedAt: STARTED }),
    identity,
    leaseDurationMs,
    renewMs: 200,
    log: (level, msg) => logs.push(`${level} ${msg}`),
  });
}

it('creates the Lease with its identity and start time, renews it with one replace per beat, and releases it on stop', async () => {
  const beat = heartbeat(LEASE_NAME, 'bridge-a');
  proxy.reset();
  beat.start();
  try {
    const first = await waitFor('the Lease', () => read().catch(() => undefined));
    expect(first.spec).toMatchObject({ holderIdentity: 'bridge-a', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(first.metadata?.annotations?.[STARTED_AT_ANNOTATION]).toBe(STARTED);
    await new Promise((r) => setTimeout(r, 1_100));
    const later = await read();
    expect(micros(later.spec?.renewTime)).toBeGreaterThan(micros(first.spec?.renewTime));
    expect(micros(later.spec?.acquireTime)).toBe(micros(first.spec?.acquireTime));
    // Past the start (a GET of the missing Lease and its create), each beat is one PUT and nothing else.
    const mine = proxy.requests.filter((q) => q.url.includes(`/leases`));
    expect(mine.slice(0, 2).map((q) => `${q.method} ${q.status}`)).toEqual(['GET 404', 'POST 201']);
    const beats = mine.slice(2);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.every((q) => q.method === 'PUT' && q.status === 200)).toBe(true);
  } finally {
    await beat.stop();
  }
  const released = await read();
  expect(released.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  expect(released.metadata?.annotations?.[STARTED_AT_ANNOTATION]).toBe(STARTED);
  // Stopped: no beat afterwards.
  const count = proxy.requests.length;
  await new Promise((r) => setTimeout(r, 500));
  expect(proxy.requests.length).toBe(count);
}, 20_000);

it('takes the Lease back from another writer (said once), and recreates it when deleted', async () => {
  const name = 'taken';
  const logs: string[] = [];
  const beat = heartbeat(name, 'bridge-a', logs);
  beat.start();
  try {
    await waitFor('the Lease', () => read(name).catch(() => undefined));
    for (let i = 0; i < 2; i++) {
      const current = await read(name);
      await leases.replaceNamespacedLease({ name, namespace: cluster.namespace, body: { ...current, spec: { ...current.spec, holderIdentity: 'bridge-b' } } });
      await waitFor('the Lease held again', async () => ((await read(name)).spec?.holderIdentity === 'bridge-a' ? true : undefined));
    }
    expect((await read(name)).spec?.leaseTransitions).toBe(2);
    expect(logs.filter((l) => l.includes('held by bridge-b'))).toEqual([expect.stringMatching(/^warn heartbeat: the Lease was held by bridge-b, another bridge of this namespace/)]);
    await leases.deleteNamespacedLease({ name, namespace: cluster.namespace });
    const back = await waitFor('the Lease recreated', () => read(name).catch(() => undefined));
    expect(back.spec?.holderIdentity).toBe('bridge-a');
  } finally {
    await beat.stop();
  }
}, 20_000);

it('a bridge with --leader-elect stands by while one without beats on the same Lease, and leads once it released it', async () => {
  const name = 'mixed';
  const beat = heartbeat(name, 'plain', [], 3_000);
  const elector = new LeaderElector({ store: new KubeLeaseStore(proxy.kc, cluster.namespace, name), identity: 'elected', leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 200 });
  beat.start();
  try {
    await waitFor('the Lease', () => read(name).catch(() => undefined));
    elector.start();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(elector.isLeader).toBe(false);
    expect(elector.state.holder).toBe('plain');
    // Released: the elected bridge leads at its next retry (200 ms), not after the Lease's duration (3 s).
    const stopped = Date.now();
    await beat.stop();
    await waitFor('the elected bridge to lead', () => (elector.isLeader ? true : undefined), 5_000);
    expect(Date.now() - stopped).toBeLessThan(1_500);
  } finally {
    await beat.stop();
    await elector.stop();
  }
}, 20_000);

it('a leading bridge with --leader-elect loses leadership when a bridge without election starts beating on its Lease', async () => {
  const name = 'mixed-late';
  const lost: string[] = [];
  const elector = new LeaderElector({ store: new KubeLeaseStore(proxy.kc, cluster.namespace, name), identity: 'elected', leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 200, onStoppedLeading: (reason) => lost.push(reason) });
  const logs: string[] = [];
  const beat = heartbeat(name, 'plain', logs, 3_000);
  elector.start();
  try {
    await waitFor('the elected bridge to lead', () => (elector.isLeader ? true : undefined), 5_000);
    beat.start();
    await waitFor('leadership lost', () => (lost.length > 0 ? true : undefined), 5_000);
    expect(lost).toEqual(['the Lease is held by plain']);
    expect((await read(name)).spec?.holderIdentity).toBe('plain');
    expect(logs.some((l) => l.startsWith('warn heartbeat: the Lease was held by elected'))).toBe(true);
  } finally {
    await beat.stop();
    await elector.stop();
  }
}, 20_000);

it('refuses timings the Lease cannot hold', () => {
  const store = new KubeLeaseStore(proxy.kc, cluster.namespace);
  expect(() => new Heartbeat({ store, identity: 'x', leaseDurationMs: 1_500 })).toThrow(ElectionConfigError);
  expect(() => new Heartbeat({ store, identity: 'x', leaseDurationMs: 1_000, renewMs: 1_000 })).toThrow(/renew interval \(1000 ms\) must be positive and shorter/);
  expect(() => new Heartbeat({ store, identity: '' })).toThrow(/identity/);
});

