/**
 * The level-triggered reconcile loop. A trigger is only a key (a device); the reconcile reads
 * the latest desired state and the cluster itself. Per key:
 * - never two reconciles at once; triggers arriving while one runs coalesce into exactly one
 *   follow-up run;
 * - a `retry` outcome (or an exception) schedules a run after max(Retry-After, exponential
 *   backoff with jitter); triggers during that wait are absorbed by it; `done` resets the
 *   backoff; `terminal` waits for the next trigger;
 * - every key seen so far is resynced periodically (default every 5 minutes), so a lost event
 *   can never leave a device unreconciled for long.
 */
import { Observable, asyncScheduler, interval, timer, type SchedulerLike, type Subscription } from 'rxjs';
import { backoffDelay, type BackoffOptions } from '../shared/index.js';
import type { ReconcileOutcome } from './types.js';

/** Default resync period. */
export const DEFAULT_RESYNC_MS = 5 * 60_000;

/** Why a run started. */
export type RunCause = 'trigger' | 'follow-up' | 'retry' | 'resync';

/** One finished reconcile, as emitted by {@link scheduleReconciles}. */
export interface ReconcileRun<K extends string = string> {
  key: K;
  /** Sequence number of the run (1-based, across keys). */
  id: number;
  cause: RunCause;
  outcome: ReconcileOutcome;
  durationMs: number;
  /** For a retry outcome: consecutive retry outcomes so far, and the delay before the next run. */
  retry?: { attempt: number; delayMs: number };
}

export interface ScheduleOptions<K extends string = string> {
  /** Each emission asks for a reconcile of that key. */
  triggers: Observable<K>;
  /** Reconciles one key from its latest desired state; an exception counts as a retry outcome. */
  reconcile: (key: K) => Promise<ReconcileOutcome>;
  /** Period of the resync of every key seen so far. @default 300000 (5 min) */
  resyncMs?: number;
  /** Backoff of retry outcomes. @default 500 ms doubling to 30 s, jitter 0.2 */
  backoff?: BackoffOptions;
  /** Random source of the jitter. @default Math.random */
  random?: () => number;
  /** rxjs scheduler of the timers (tests may pass a virtual one). @default asyncScheduler */
  scheduler?: SchedulerLike;
}

interface KeyState {
  running: boolean;
  pending: boolean;
  attempts: number;
  retryTimer?: Subscription;
}

/**
 * Runs reconciles as triggers, retries and resyncs demand, one at a time per key. Subscribing
 * starts the loop, unsubscribing stops it (a reconcile in flight finishes unobserved).
 */
export function scheduleReconciles<K extends string>(options: ScheduleOptions<K>): Observable<ReconcileRun<K>> {
  return new Observable<ReconcileRun<K>>((subscriber) => {
    const scheduler = options.scheduler ?? asyncScheduler;
    const states = new Map<K, KeyState>();
    let runs = 0;
    let closed = false;

    const state = (key: K): KeyState => {
      let s = states.get(key);
      if (!s) states.set(key, (s = { running: false, pending: false, attempts: 0 }));
      return s;
    };

    const request = (key: K, cause: RunCause): void => {
      const s = state(key);
      if (s.running) s.pending = true;
      else if (!s.retryTimer) void run(key, cause);
    };

    const run = async (key: K, cause: RunCause): Promise<void> => {
      const s = state(key);
      s.running = true;
      s.pending = false;
      const id = ++runs;
      const started = scheduler.now();
      let outcome: ReconcileOutcome;
      try {
        outcome = await options.reconcile(key);
      } catch (error) {
        outcome = { kind: 'retry', afterMs: 0, error: `reconcile threw: ${error instanceof Error ? error.message : String(error)}` };
      }
      s.running = false;
      if (closed) return;
      const result: ReconcileRun<K> = { key, id, cause, outcome, durationMs: scheduler.now() - started };
      if (outcome.kind === 'retry') {
        s.attempts++;
        const delayMs = Math.max(outcome.afterMs, backoffDelay(s.attempts, options.backoff, options.random));
        result.retry = { attempt: s.attempts, delayMs };
        s.pending = false;
        s.retryTimer = timer(delayMs, scheduler).subscribe(() => {
          s.retryTimer = undefined;
          void run(key, 'retry');
        });
      } else if (outcome.kind === 'done') s.attempts = 0;
      subscriber.next(result);
      if (s.pending && !s.retryTimer && !closed) void run(key, 'follow-up');
    };

    const triggers = options.triggers.subscribe({
      next: (key) => request(key, 'trigger'),
      error: (error: unknown) => subscriber.error(error),
    });
    const resync = interval(options.resyncMs ?? DEFAULT_RESYNC_MS, scheduler).subscribe(() => {
      for (const key of states.keys()) request(key, 'resync');
    });
    return () => {
      closed = true;
      triggers.unsubscribe();
      resync.unsubscribe();
      for (const s of states.values()) s.retryTimer?.unsubscribe();
    };
  });
}
