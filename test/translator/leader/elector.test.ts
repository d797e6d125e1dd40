/**
 * The elector's rules, on a manual clock: acquisition, standby, takeover only after the lease
 * duration as the standby measured it, the renew-deadline rule (a leader whose renewals fail
 * or hang stops at the deadline, before any standby may start), optimistic concurrency and
 * release. The Lease lives in a small in-memory store with the API server's resourceVersion
 * rule (the real store against the API is in kube-lease-store.test.ts).
 */
import { ElectionConfigError, LeaderElector, type ElectionClock, type LeaderElectorOptions, type LeaseRecord, type LeaseStore, type StoredLease } from '../../../translator/leader/index.js';
import { holderIdentity } from '../../../translator/leader/identity.js';

class ManualClock implements ElectionClock {
  t = 0;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  date(): Date {
    return new Date(Date.UTC(2026, 0, 1) + this.t);
  }
  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((x) => x !== timer));
  }
  /** Moves time forward by `ms`, firing due timers in order and letting promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** The Lease in memory; each candidate reaches it through its own link, which can fail or hang. */
class MemoryLease {
  lease: StoredLease | undefined;
  private version = 0;
  writes: { by: string; at: number; record: LeaseRecord }[] = [];
  constructor(private readonly clock: ManualClock) {}

  link(name: string): LeaseStore & { mode: 'up' | 'failing' | 'hanging' } {
    const call = async <T>(op: () => T): Promise<T> => {
      await Promise.resolve();
      if (link.mode === 'failing') throw new Error('500 InternalError');
      if (link.mode === 'hanging') return new Promise<T>(() => undefined);
      return op();
    };
    const link = {
      mode: 'up' as 'up' | 'failing' | 'hanging',
      description: 'Lease test/iotedge-k8s',
      get: () => call(() => (this.lease ? structuredClone(this.lease) : undefined)),
      create: (record: LeaseRecord) => call(() => (this.lease ? ('conflict' as const) : this.store(name, record))),
      update: (record: LeaseRecord, basis: StoredLease) => call(() => (this.lease?.resourceVersion !== basis.resourceVersion ? ('conflict' as const) : this.store(name, record))),
    };
    return link;
  }

  /** Someone else writes the Lease (an operator, another program). */
  overwrite(record: Partial<LeaseRecord>): void {
    this.store('someone', { ...this.lease!.record, ...record });
  }

  private store(by: string, record: LeaseRecord): StoredLease {
    this.lease = { record: structuredClone(record), resourceVersion: String(++this.version) };
    this.writes.push({ by, at: this.clock.t, record: structuredClone(record) });
    return structuredClone(this.lease);
  }
}

let clock: ManualClock;
let lease: MemoryLease;

beforeEach(() => {
  clock = new ManualClock();
  lease = new MemoryLease(clock);
});

interface Candidate {
  elector: LeaderElector;
  link: ReturnType<MemoryLease['link']>;
  started: number[];
  stopped: { at: number; reason: string }[];
}

function candidate(identity: string, options: Partial<LeaderElectorOptions> = {}): Candidate {
  const link = lease.link(identity);
  const c: Candidate = { link, started: [], stopped: [], elector: undefined as unknown as LeaderElector };
  c.elector = new LeaderElector({
    store: link,
    identity,
    clock,
    onStartedLeading: () => c.started.push(clock.t),
    onStoppedLeading: (reason) => c.stopped.push({ at: clock.t, reason }),
    ...options,
  });
  return c;
}

/** Time of the last write by `who` before `before`. */
function lastWriteBy(who: string, before = Infinity): number {
  return lease.writes.filter((w) => w.by === who && w.at < before).at(-1)!.at;
}

describe('LeaderElector', () => {
  it('creates a missing Lease and leads at once, with the default durations', async () => {
    const a = candidate('a');
    a.elector.start();
    await clock.advance(0);
    expect(a.elector.isLeader).toBe(true);
    expect(a.started).toEqual([0]);
    expect(lease.lease!.record).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2026-01-01T00:00:00.000Z', renewTime: '2026-01-01T00:00:00.000Z', leaseTransitions: 0 });
    expect(a.elector.state).toEqual({ leading: true, holder: 'a' });
  });

  it('renews every retry period; a second candidate stands by and never writes', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(60_000);
    expect(b.elector.isLeader).toBe(false);
    expect(b.started).toEqual([]);
    expect(b.elector.state).toEqual({ leading: false, holder: 'a' });
    expect(lease.writes.filter((w) => w.by === 'b')).toEqual([]);
    // Renewed at 0, 2 s, 4 s, ... 60 s, keeping acquireTime and the transitions.
    expect(lease.writes.map((w) => w.at)).toEqual(Array.from({ length: 31 }, (_, i) => i * 2000));
    expect(lease.lease!.record).toMatchObject({ holderIdentity: 'a', acquireTime: '2026-01-01T00:00:00.000Z', renewTime: '2026-01-01T00:01:00.000Z', leaseTransitions: 0 });
  });

  it('a leader whose renewals fail stops exactly at the renew deadline, counted from the start of its last renewal', async () => {
    const a = candidate('a');
    a.elector.start();
    await clock.advance(4_000); // renewed at 0, 2 s, 4 s
    a.link.mode = 'failing';
    await clock.advance(9_999);
    expect(a.elector.isLeader).toBe(true);
    await clock.advance(1);
    expect(a.elector.isLeader).toBe(false);
    expect(a.stopped).toEqual([{ at: 14_000, reason: 'the Lease was not renewed within the renew deadline (10000 ms)' }]);
    // It does not try again: the bridge exits and restarts as a standby.
    a.link.mode = 'up';
    const writes = lease.writes.length;
    await clock.advance(30_000);
    expect(lease.writes.length).toBe(writes);
    expect(a.elector.isLeader).toBe(false);
  });

  it('a leader whose renewal hangs stops at the deadline while the request is pending; the standby takes over only after the lease duration it measured', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(6_000); // a renewed at 0, 2 s, 4 s, 6 s; b (retrying at 0, 2 s, ...) saw each right after
    a.link.mode = 'hanging';
    await clock.advance(30_000);
    const lastRenewal = lastWriteBy('a');
    expect(lastRenewal).toBe(6_000);
    expect(a.stopped).toEqual([{ at: 16_000, reason: 'the Lease was not renewed within the renew deadline (10000 ms)' }]);
    expect(b.started).toHaveLength(1);
    const takeover = b.started[0]!;
    // b saw the 6 s renewal at 6 s: the Lease is expired for it from 21 s, and it retries right then.
    expect(takeover).toBe(21_000);
    expect(takeover - a.stopped[0]!.at).toBeGreaterThanOrEqual(5_000);
    expect(lease.lease!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, acquireTime: '2026-01-01T00:00:21.000Z' });
  });

  it('a leader that finds another holder in the Lease stops at once', async () => {
    const a = candidate('a');
    a.elector.start();
    await clock.advance(2_500);
    lease.overwrite({ holderIdentity: 'intruder' });
    await clock.advance(1_500);
    expect(a.stopped).toEqual([{ at: 4_000, reason: 'the Lease is held by intruder' }]);
    expect(a.elector.isLeader).toBe(false);
    expect(lease.lease!.record.holderIdentity).toBe('intruder');
  });

  it('of two candidates racing for a missing Lease, exactly one wins (the other gets a conflict)', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    b.elector.start();
    await clock.advance(20_000);
    expect([a.elector.isLeader, b.elector.isLeader].sort()).toEqual([false, true]);
    expect(lease.writes.filter((w) => w.at === 0)).toHaveLength(1);
  });

  it('of two standbys racing for an expired Lease, exactly one takes it', async () => {
    const a = candidate('a');
    a.elector.start();
    await clock.advance(0);
    const b = candidate('b');
    const c = candidate('c');
    b.elector.start();
    c.elector.start();
    await clock.advance(1_000);
    a.link.mode = 'hanging';
    await clock.advance(40_000);
    expect([b.elector.isLeader, c.elector.isLeader].sort()).toEqual([false, true]);
    expect(b.started.length + c.started.length).toBe(1);
    expect(lease.lease!.record.leaseTransitions).toBe(1);
  });

  it('stop() releases the Lease, and a standby takes over at its next retry', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(5_000);
    await a.elector.stop();
    expect(a.elector.isLeader).toBe(false);
    expect(lease.lease!.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await clock.advance(2_000);
    expect(b.started).toEqual([6_000]);
    expect(a.stopped).toEqual([]);
  });

  it('stop() of a standby leaves the Lease alone', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    b.elector.start();
    await clock.advance(3_000);
    const standby = a.elector.isLeader ? b : a;
    const writes = lease.writes.length;
    await standby.elector.stop();
    expect(lease.writes.length).toBe(writes);
  });

  it('a restarted bridge with the same identity renews its own Lease at once', async () => {
    lease.link('x');
    const first = candidate('pod-1');
    first.elector.start();
    await clock.advance(2_000);
    first.link.mode = 'hanging';
    const again = candidate('pod-1');
    again.elector.start();
    await clock.advance(0);
    expect(again.elector.isLeader).toBe(true);
    expect(lease.lease!.record).toMatchObject({ holderIdentity: 'pod-1', leaseTransitions: 0 });
  });

  it('reports its state changes', async () => {
    const states: unknown[] = [];
    const a = candidate('a');
    const b = candidate('b', { onChange: (s) => states.push(s) });
    a.elector.start();
    await clock.advance(0);
    b.elector.start();
    await clock.advance(0);
    await a.elector.stop();
    await clock.advance(2_000);
    expect(states).toEqual([
      { leading: false, holder: 'a' },
      { leading: false, holder: undefined },
      { leading: true, holder: 'b' },
    ]);
  });

  it.each([
    [{ leaseDurationMs: 10_000 }, 'the lease duration (10000 ms) must be greater than the renew deadline (10000 ms)'],
    [{ renewDeadlineMs: 2_000 }, 'the renew deadline (2000 ms) must be greater than the retry period (2000 ms)'],
    [{ leaseDurationMs: 15_500 }, 'the lease duration (15500 ms) must be whole seconds (the Lease stores seconds)'],
    [{ identity: '' }, 'the holder identity must not be empty'],
  ])('refuses %j', (options, message) => {
    expect(() => candidate('a', options)).toThrow(new ElectionConfigError(message));
  });
});

describe('holderIdentity', () => {
  it('is POD_NAME, else host name and pid', () => {
    expect(holderIdentity({ POD_NAME: 'iotedge-k8s-5d9c-abcde' }, 'host', 42)).toBe('iotedge-k8s-5d9c-abcde');
    expect(holderIdentity({ POD_NAME: ' ' }, 'host', 42)).toBe('host_42');
    expect(holderIdentity({}, 'host', 42)).toBe('host_42');
  });
});
