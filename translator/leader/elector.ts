/**
 * Leader election through a Lease, with the semantics of client-go's leaderelection package
 * (kubernetes/kubernetes, staging/src/k8s.io/client-go/tools/leaderelection/leaderelection.go):
 *
 * - Every `retryPeriod` a candidate reads the Lease. It takes it when the Lease is missing
 *   (create), released (empty holder) or expired, and the leader renews it (update with the
 *   resourceVersion it read: of two racing writers, one gets a 409 and stays a candidate).
 * - "Expired" is measured on the candidate's own monotonic clock: `leaseDuration` after the
 *   moment it *saw* the Lease change last (never the renewTime written in it), so clock skew
 *   between nodes does not matter, only their clock rates.
 * - The leader counts `renewDeadline` from the start of its last successful renewal. When it
 *   passes without another success (the API is unreachable, slow, or refuses), the leader loses
 *   leadership at that instant, on a timer, even while a request is still pending. A standby
 *   cannot take over before `leaseDuration` after it saw that same renewal, which is later than
 *   the renewal started: so the old leader has stopped at least `leaseDuration - renewDeadline`
 *   (5 s with the defaults) before anyone else may start.
 * - A leader that sees another holder in the Lease loses leadership at once.
 * - Leadership, once lost, is not sought again by this elector: the bridge exits and starts over
 *   as a standby (see docs/install.md, "High availability").
 * - stop() releases a held Lease (empty holder, 1 s duration, like client-go's
 *   ReleaseOnCancel) so a standby takes over at its next retry instead of after the duration.
 *
 * Unlike client-go, the candidates retry every `retryPeriod` without jitter, and a standby whose
 * view of the Lease expires before its next retry retries at that moment (so it takes over
 * `leaseDuration` after it saw the last renewal, not up to one retry period later).
 */
import type { ElectionClock } from './clock.js';
import { SYSTEM_CLOCK } from './clock.js';
import { holderRecord, releaseLease, type LeaseStore, type StoredLease } from './lease.js';

/** client-go's defaults (and kube-controller-manager's). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;

export type ElectionLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

/** What the elector knows: whether it leads, and who holds the Lease as far as it saw. */
export interface ElectionState {
  leading: boolean;
  /** The holder in the last Lease read or written; undefined when none (missing or released). */
  holder: string | undefined;
}

export interface LeaderElectorOptions {
  store: LeaseStore;
  /** This candidate's identity (the holderIdentity it writes). */
  identity: string;
  /** @default 15000 */
  leaseDurationMs?: number;
  /** @default 10000 */
  renewDeadlineMs?: number;
  /** @default 2000 */
  retryPeriodMs?: number;
  /** @default SYSTEM_CLOCK */
  clock?: ElectionClock;
  log?: ElectionLog;
  /** This candidate became the leader. */
  onStartedLeading?: () => void;
  /** This leader lost leadership (called synchronously at the instant it did); `reason` says why. */
  onStoppedLeading?: (reason: string) => void;
  /** The state changed (leading, or the holder seen). */
  onChange?: (state: ElectionState) => void;
}

/** Invalid durations (the same rules as client-go's NewLeaderElector). */
export class ElectionConfigError extends Error {
  override readonly name = 'ElectionConfigError';
}

type Phase = 'idle' | 'candidate' | 'leader' | 'lost' | 'stopped';

export class LeaderElector {
  private readonly clock: ElectionClock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: ElectionLog;
  private phase: Phase = 'idle';
  /** The last Lease read or written, and when (monotonic) it was first seen in that version. */
  private observed: StoredLease | undefined;
  private observedAt = 0;
  private cancelTick: (() => void) | undefined;
  private cancelDeadline: (() => void) | undefined;
  private lastState: ElectionState = { leading: false, holder: undefined };
  /** When a standby's view of the Lease expires before the next retry, it retries at that moment. */
  private expiresInMs: number | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    this.log = options.log ?? (() => undefined);
    if (!options.identity) throw new ElectionConfigError('the holder identity must not be empty');
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new ElectionConfigError(`the lease duration (${this.leaseDurationMs} ms) must be greater than the renew deadline (${this.renewDeadlineMs} ms)`);
    if (this.renewDeadlineMs <= this.retryPeriodMs) throw new ElectionConfigError(`the renew deadline (${this.renewDeadlineMs} ms) must be greater than the retry period (${this.retryPeriodMs} ms)`);
    if (this.retryPeriodMs <= 0) throw new ElectionConfigError(`the retry period (${this.retryPeriodMs} ms) must be positive`);
    if (this.leaseDurationMs % 1000 !== 0) throw new ElectionConfigError(`the lease duration (${this.leaseDurationMs} ms) must be whole seconds (the Lease stores seconds)`);
  }

  get identity(): string {
    return this.options.identity;
  }

  /** True from the acquisition until the instant leadership is lost or stop() is called. */
  get isLeader(): boolean {
    return this.phase === 'leader';
  }

  get state(): ElectionState {
    return this.lastState;
  }

  /** Starts competing for the Lease (the first attempt is immediate). */
  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'candidate';
    this.log('info', 'leader election: waiting to acquire the Lease', { lease: this.options.store.description, identity: this.identity });
    this.scheduleTick(0);
  }

  /** Stops competing; a leader stops leading at once and then releases the Lease (best effort). */
  async stop(): Promise<void> {
    const wasLeader = this.phase === 'leader';
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.cancelTimers();
    this.publish();
    if (wasLeader) await this.release();
  }

  private cancelTimers(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
  }

  private get active(): boolean {
    return this.phase === 'candidate' || this.phase === 'leader';
  }

  private scheduleTick(ms: number): void {
    this.cancelTick = this.clock.setTimer(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (!this.active) return;
    const startedAt = this.clock.now();
    this.expiresInMs = undefined;
    let renewed = false;
    try {
      renewed = await this.withinRenewDeadline(this.tryAcquireOrRenew(startedAt));
      this.lastError = undefined;
    } catch (e) {
      // Every failure of a leader; a candidate's only when it changes (not every retry period).
      const error = (e as Error).message;
      if (this.phase === 'leader' || error !== this.lastError) this.log('warn', `leader election: ${this.phase === 'leader' ? 'renewing' : 'acquiring'} the Lease failed`, { error, lease: this.options.store.description });
      this.lastError = error;
    }
    if (!this.active) return;
    if (renewed) {
      if (this.phase === 'candidate') {
        this.phase = 'leader';
        this.log('info', 'leader election: acquired the Lease; leading', { lease: this.options.store.description, identity: this.identity });
        this.armDeadline(startedAt);
        this.publish();
        this.options.onStartedLeading?.();
        if (!this.active) return;
      } else this.armDeadline(startedAt);
    }
    const expiresIn = this.expiresInMs === undefined ? Infinity : this.expiresInMs - (this.clock.now() - startedAt);
    this.scheduleTick(Math.max(0, Math.min(this.retryPeriodMs, expiresIn)));
  }

  /** A hung request must not stall a candidate forever: an attempt gives up after the renew deadline. */
  private async withinRenewDeadline<T>(attempt: Promise<T>): Promise<T> {
    let cancel: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.clock.setTimer(() => reject(new Error(`no answer within ${this.renewDeadlineMs} ms`)), this.renewDeadlineMs);
    });
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      cancel?.();
    }
  }

  /** The leader loses leadership `renewDeadline` after the start of its last successful renewal. */
  private armDeadline(renewStartedAt: number): void {
    this.cancelDeadline?.();
    const remaining = renewStartedAt + this.renewDeadlineMs - this.clock.now();
    this.cancelDeadline = this.clock.setTimer(() => this.lose(`the Lease was not renewed within the renew deadline (${this.renewDeadlineMs} ms)`), remaining);
  }

  private lose(reason: string): void {
    if (this.phase !== 'leader') return;
    this.phase = 'lost';
    this.cancelTimers();
    this.log('error', `leader election: lost leadership: ${reason}`, { lease: this.options.store.description, identity: this.identity });
    this.publish();
    this.options.onStoppedLeading?.(reason);
  }

  /** Records the Lease as seen at `at`; our own acquisition is published once we lead (by tick). */
  private see(lease: StoredLease, at: number): void {
    if (lease.resourceVersion !== this.observed?.resourceVersion) {
      this.observed = lease;
      this.observedAt = at;
    }
    if (this.phase === 'leader' || lease.record.holderIdentity !== this.identity) this.publish();
  }

  private publish(): void {
    const holder = this.observed?.record.holderIdentity || undefined;
    const state: ElectionState = { leading: this.phase === 'leader', holder };
    if (state.leading === this.lastState.leading && state.holder === this.lastState.holder) return;
    this.lastState = state;
    this.options.onChange?.(state);
  }

  /** One attempt: true when this candidate holds the Lease afterwards (acquired or renewed). */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const store = this.options.store;
    const time = this.clock.date().toISOString();
    const current = await store.get();
    if (!this.active) return false;
    if (!current) {
      const created = await store.create(holderRecord(undefined, this.identity, this.leaseDurationMs / 1000, time));
      if (created === 'conflict') return false;
      this.see(created, now);
      return true;
    }
    this.see(current, now);
    const { holderIdentity: holder } = current.record;
    const mine = holder === this.identity;
    if (holder !== '' && !mine) {
      if (this.phase === 'leader') {
        this.lose(`the Lease is held by ${holder}`);
        return false;
      }
      const durationMs = current.record.leaseDurationSeconds * 1000;
      if (this.observedAt + durationMs > now) {
        this.expiresInMs = this.observedAt + durationMs - now;
        return false;
      }
      this.log('info', 'leader election: the Lease expired; taking it over', { holder, lease: store.description });
    }
    const updated = await store.update(holderRecord(current.record, this.identity, this.leaseDurationMs / 1000, time), current);
    if (updated === 'conflict') return false;
    if (!this.active) return false;
    this.see(updated, now);
    return true;
  }

  /** Gives the Lease up (empty holder, 1 s duration) if it is still ours. */
  private async release(): Promise<void> {
    try {
      if (await releaseLease(this.options.store, this.identity, () => this.clock.date().toISOString())) this.log('info', 'leader election: released the Lease', { lease: this.options.store.description });
    } catch (e) {
      this.log('warn', 'leader election: could not release the Lease; a standby takes over when it expires', { error: (e as Error).message });
    }
  }
}
