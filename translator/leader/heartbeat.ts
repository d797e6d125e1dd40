/**
 * The bridge's heartbeat without leader election: it keeps the Lease `iotedge-k8s` of its
 * namespace saying that it is alive, the way the kubelet keeps its node's Lease in
 * `kube-node-lease` (kubernetes/kubernetes, staging/src/k8s.io/component-helpers/apimachinery/lease/controller.go:
 * the holder renews every quarter of the lease duration; 10 s and 40 s here). A local `list`
 * reads it to show a bridge that runs outside the cluster (liveness.ts). With `--leader-elect`
 * the elector's own renewals are the heartbeat and this class is not used.
 *
 * - The first beat reads the Lease and creates it, or takes it over; later beats replace it with
 *   the resourceVersion of the last write (one request per beat). When someone wrote in between
 *   (a 409), the beat reads it again and writes over it: a bridge without election writes to the
 *   cluster whatever the Lease says, so its Lease says so too. A holder other than itself is
 *   another bridge of the same namespace, a misconfiguration, and is logged once per holder.
 * - A failed beat is logged (each distinct error once) and retried at the next one; three
 *   misses in a row leave the Lease to expire.
 * - stop() releases the Lease (empty holder, as the elector does), so a local `list` says the
 *   bridge stopped, and a bridge with `--leader-elect` may lead at its next retry. A bridge that
 *   dies without stopping leaves its Lease to expire.
 *
 * The same Lease as the elector's on purpose: with one bridge run with `--leader-elect` and one
 * without in the same namespace (a mixed misconfiguration), the elected one sees the other as
 * the holder and stands by, so its write fence keeps it from writing: one writer instead of two.
 * A Lease of its own would let both write the same objects unseen.
 */
import type { ElectionClock } from './clock.js';
import { SYSTEM_CLOCK } from './clock.js';
import type { ElectionLog } from './elector.js';
import { ElectionConfigError } from './elector.js';
import { holderRecord, releaseLease, type LeaseRecord, type LeaseStore, type StoredLease } from './lease.js';

/** The kubelet's node lease duration. */
export const DEFAULT_HEARTBEAT_DURATION_MS = 40_000;
/** A quarter of the duration, as the kubelet renews. */
export const DEFAULT_HEARTBEAT_RENEW_MS = 10_000;

export interface HeartbeatOptions {
  store: LeaseStore;
  /** This bridge's identity (the holderIdentity it writes). */
  identity: string;
  /** @default 40000 (whole seconds: the Lease stores seconds) */
  leaseDurationMs?: number;
  /** @default 10000 */
  renewMs?: number;
  /** @default SYSTEM_CLOCK */
  clock?: ElectionClock;
  log?: ElectionLog;
}

export class Heartbeat {
  private readonly clock: ElectionClock;
  private readonly leaseDurationMs: number;
  private readonly renewMs: number;
  private readonly log: ElectionLog;
  /** Our last write; the basis of the next beat. */
  private last: StoredLease | undefined;
  private cancelTimer: (() => void) | undefined;
  private beating: Promise<void> | undefined;
  private phase: 'idle' | 'beating' | 'stopped' = 'idle';
  private lastError: string | undefined;
  private readonly othersSeen = new Set<string>();

  constructor(private readonly options: HeartbeatOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_HEARTBEAT_DURATION_MS;
    this.renewMs = options.renewMs ?? DEFAULT_HEARTBEAT_RENEW_MS;
    this.log = options.log ?? (() => undefined);
    if (!options.identity) throw new ElectionConfigError('the holder identity must not be empty');
    if (this.leaseDurationMs % 1000 !== 0 || this.leaseDurationMs <= 0) throw new ElectionConfigError(`the heartbeat's lease duration (${this.leaseDurationMs} ms) must be whole seconds (the Lease stores seconds)`);
    if (this.renewMs <= 0 || this.renewMs >= this.leaseDurationMs) throw new ElectionConfigError(`the heartbeat's renew interval (${this.renewMs} ms) must be positive and shorter than its lease duration (${this.leaseDurationMs} ms)`);
  }

  /** Beats at once, then every renew interval. */
  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'beating';
    this.schedule(0);
  }

  /** Stops beating and releases the Lease if it is still ours (best effort). */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    const wasBeating = this.phase === 'beating';
    this.phase = 'stopped';
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.beating;
    if (wasBeating) await this.release();
  }

  private schedule(ms: number): void {
    this.cancelTimer = this.clock.setTimer(() => {
      this.beating = this.beat().finally(() => {
        this.beating = undefined;
        if (this.phase === 'beating') this.schedule(this.renewMs);
      });
    }, ms);
  }

  private record(basis: StoredLease | undefined, time: string): LeaseRecord {
    return holderRecord(basis?.record, this.options.identity, this.leaseDurationMs / 1000, time);
  }

  /** One renewal: a replace on our last write, else read and create or write over. */
  private async beat(): Promise<void> {
    const store = this.options.store;
    try {
      const time = this.clock.date().toISOString();
      if (this.last) {
        const renewed = await store.update(this.record(this.last, time), this.last);
        if (renewed !== 'conflict') return this.wrote(renewed);
      }
      const current = await store.get();
      if (this.phase !== 'beating') return;
      if (!current) {
        const created = await store.create(this.record(undefined, time));
        // Someone created it meanwhile: the next beat reads it.
        if (created !== 'conflict') this.wrote(created);
        return;
      }
      this.noteHolder(current);
      const written = await store.update(this.record(current, time), current);
      if (written !== 'conflict') this.wrote(written);
    } catch (e) {
      // Read again at the next beat (the Lease may have been deleted).
      this.last = undefined;
      const error = (e as Error).message;
      if (error !== this.lastError) this.log('warn', 'heartbeat: renewing the Lease failed; retrying at the next beat', { error, lease: store.description });
      this.lastError = error;
    }
  }

  private wrote(lease: StoredLease): void {
    if (this.lastError !== undefined) this.log('info', 'heartbeat: the Lease is renewed again', { lease: this.options.store.description });
    this.lastError = undefined;
    this.last = lease;
  }

  /** Another live holder is another bridge of this namespace: said once per holder. */
  private noteHolder(current: StoredLease): void {
    const holder = current.record.holderIdentity;
    if (holder === '' || holder === this.options.identity || this.othersSeen.has(holder)) return;
    this.othersSeen.add(holder);
    this.log('warn', `heartbeat: the Lease was held by ${holder}, another bridge of this namespace; two bridges write the same objects. Run one bridge per namespace (several only with --leader-elect, all of them); this one takes the Lease, so a bridge with --leader-elect stands by`, {
      holder,
      lease: this.options.store.description,
    });
  }

  /** Gives the Lease up (empty holder, 1 s duration, as the elector does) if it is still ours. */
  private async release(): Promise<void> {
    try {
      if (await releaseLease(this.options.store, this.options.identity, () => this.clock.date().toISOString())) this.log('info', 'heartbeat: released the Lease', { lease: this.options.store.description });
    } catch (e) {
      this.log('warn', 'heartbeat: could not release the Lease; it expires on its own', { error: (e as Error).message, lease: this.options.store.description });
    }
  }
}
