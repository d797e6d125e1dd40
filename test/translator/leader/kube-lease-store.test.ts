/**
 * The Lease on the Kubernetes API (the emulator, or KUBECONFIG's cluster): create, 409 on a
 * second create and on an update from a stale resourceVersion, MicroTime times; and two
 * electors on the real API with short durations, of which exactly one leads at any time.
 */
import { CoordinationV1Api } from '@kubernetes/client-node';
import { KubeLeaseStore, LEASE_NAME, LeaderElector, STARTED_AT_ANNOTATION, type LeaseRecord, type StoredLease } from '../../../translator/leader/index.js';
import { openCluster, type TestCluster } from '../../support/cluster.js';
import { waitFor } from '../../support/wait.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await openCluster('lease', { tls: false });
}, 30_000);

afterAll(async () => {
  await cluster?.close();
});

const record = (holderIdentity: string, renewTime: string): LeaseRecord => ({ holderIdentity, leaseDurationSeconds: 15, acquireTime: '2026-01-01T00:00:00.000Z', renewTime, leaseTransitions: 0 });

describe('KubeLeaseStore', () => {
  it('creates, reads and updates the Lease iotedge-k8s with optimistic concurrency', async () => {
    const store = new KubeLeaseStore(cluster.kc, cluster.namespace);
    expect(await store.get()).toBeUndefined();
    const created = (await store.create(record('a', '2026-01-01T00:00:00.000Z'))) as StoredLease;
    // Lease times are MicroTime: six fractional digits on the wire, as the API server requires.
    expect(created.record).toEqual({ ...record('a', '2026-01-01T00:00:00.000000Z'), acquireTime: '2026-01-01T00:00:00.000000Z' });
    expect(await store.create(record('b', '2026-01-01T00:00:01.000Z'))).toBe('conflict');
    const read = (await store.get())!;
    expect(read).toEqual(created);
    const renewed = (await store.update(record('a', '2026-01-01T00:00:02.000Z'), read)) as StoredLease;
    expect(renewed.resourceVersion).not.toBe(read.resourceVersion);
    // A writer that read before the renewal loses: the API answers 409.
    expect(await store.update(record('b', '2026-01-01T00:00:03.000Z'), read)).toBe('conflict');
    const lease = await cluster.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: LEASE_NAME, namespace: cluster.namespace });
    expect(lease.spec?.holderIdentity).toBe('a');
    expect(renewed.record.renewTime).toBe('2026-01-01T00:00:02.000000Z');
  });

  it("writes the bridge's start time as an annotation; a writer without one removes it, other annotations stay", async () => {
    const name = 'started';
    const api = cluster.kc.makeApiClient(CoordinationV1Api);
    const bridge = new KubeLeaseStore(cluster.kc, cluster.namespace, name, { startedAt: '2026-01-01T00:00:00.123Z' });
    const created = (await bridge.create(record('a', '2026-01-01T00:00:01.000Z'))) as StoredLease;
    expect(created.startedAt).toBe('2026-01-01T00:00:00.123Z');
    const lease = await api.readNamespacedLease({ name, namespace: cluster.namespace });
    expect(lease.metadata?.annotations).toEqual({ [STARTED_AT_ANNOTATION]: '2026-01-01T00:00:00.123Z' });
    await api.replaceNamespacedLease({ name, namespace: cluster.namespace, body: { ...lease, metadata: { ...lease.metadata, annotations: { ...lease.metadata?.annotations, team: 'edge' } } } });
    const other = new KubeLeaseStore(cluster.kc, cluster.namespace, name);
    const taken = (await other.update(record('b', '2026-01-01T00:00:02.000Z'), (await other.get())!)) as StoredLease;
    expect(taken.startedAt).toBeUndefined();
    expect((await api.readNamespacedLease({ name, namespace: cluster.namespace })).metadata?.annotations).toEqual({ team: 'edge' });
    const back = (await bridge.update(record('a', '2026-01-01T00:00:03.000Z'), (await bridge.get())!)) as StoredLease;
    expect(back.startedAt).toBe('2026-01-01T00:00:00.123Z');
    expect((await api.readNamespacedLease({ name, namespace: cluster.namespace })).metadata?.annotations).toEqual({ team: 'edge', [STARTED_AT_ANNOTATION]: '2026-01-01T00:00:00.123Z' });
  });

  it('two electors on the API: exactly one leads, and the other takes over after the leader stops', async () => {
    const namespace = `${cluster.namespace}`;
    const name = 'race';
    const electors = ['a', 'b'].map((identity) => new LeaderElector({ store: new KubeLeaseStore(cluster.kc, namespace, name), identity, leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 200 }));
    const both: boolean[] = [];
    const sampler = setInterval(() => both.push(electors.every((e) => e.isLeader)), 20);
    try {
      for (const e of electors) e.start();
      const leader = await waitFor('a leader', () => electors.find((e) => e.isLeader));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(electors.filter((e) => e.isLeader)).toEqual([leader]);
      await leader.stop();
      const next = await waitFor('the other to lead', () => electors.find((e) => e.isLeader), 5_000);
      expect(next).not.toBe(leader);
      expect(both.some(Boolean)).toBe(false);
    } finally {
      clearInterval(sampler);
      for (const e of electors) await e.stop();
    }
  }, 20_000);
});
