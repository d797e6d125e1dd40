import { describe, expect, it } from '@jest/globals';
import { Subject, firstValueFrom, take, toArray } from 'rxjs';
import { scheduleReconciles, type ReconcileOutcome, type ReconcileRun } from '../../../translator/reconcile/index.js';

const done: ReconcileOutcome = { kind: 'done', writes: 0, applied: [], pruned: [] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A reconcile function whose runs are recorded and finish when the test releases them. */
function controllable() {
  const calls: Array<{ key: string; release: (o: ReconcileOutcome) => void; at: number }> = [];
  let running = 0;
  let maxRunning = 0;
  const reconcile = (key: string) =>
    new Promise<ReconcileOutcome>((resolve) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      calls.push({
        key,
        at: Date.now(),
        release: (o) => {
          running--;
          resolve(o);
        },
      });
    });
  return { calls, reconcile, maxRunning: () => maxRunning };
}

describe('scheduleReconciles', () => {
  it('coalesces triggers during a run into exactly one follow-up and never runs two at once', async () => {
    const c = controllable();
    const triggers = new Subject<string>();
    const runs: ReconcileRun[] = [];
    const sub = scheduleReconciles({ triggers, reconcile: c.reconcile, resyncMs: 60_000 }).subscribe((r) => runs.push(r));
    triggers.next('dev');
    await sleep(5);
    for (let i = 0; i < 5; i++) triggers.next('dev');
    await sleep(5);
    expect(c.calls).toHaveLength(1);
    c.calls[0]!.release(done);
    await sleep(5);
    expect(c.calls).toHaveLength(2);
    c.calls[1]!.release(done);
    await sleep(20);
    expect(c.calls).toHaveLength(2);
    expect(c.maxRunning()).toBe(1);
    expect(runs.map((r) => r.cause)).toEqual(['trigger', 'follow-up']);
    sub.unsubscribe();
  });

  it('runs different keys independently', async () => {
    const c = controllable();
    const triggers = new Subject<string>();
    const sub = scheduleReconciles({ triggers, reconcile: c.reconcile, resyncMs: 60_000 }).subscribe();
    triggers.next('a');
    triggers.next('b');
    await sleep(5);
    expect(c.calls.map((x) => x.key)).toEqual(['a', 'b']);
    sub.unsubscribe();
  });

  it('backs off on retry outcomes (honouring afterMs), resets on success, and throws become retries', async () => {
    const outcomes: ReconcileOutcome[] = [
      { kind: 'retry', afterMs: 0, error: 'HTTP 500' },
      { kind: 'retry', afterMs: 120, error: 'HTTP 429' },
      done,
      { kind: 'retry', afterMs: 0, error: 'HTTP 503' },
    ];
    let call = 0;
    const times: number[] = [];
    const reconcile = async () => {
      times.push(Date.now());
      const o = outcomes[call++];
      if (!o) throw new Error('boom');
      return o;
    };
    const triggers = new Subject<string>();
    const runs = firstValueFrom(
      scheduleReconciles({ triggers, reconcile, resyncMs: 60_000, backoff: { initialMs: 20, maxMs: 1000, jitter: 0 } }).pipe(take(5), toArray()),
    );
    triggers.next('dev');
    await sleep(250);
    triggers.next('dev');
    const result = await runs;
    expect(result.map((r) => [r.cause, r.outcome.kind, r.retry?.attempt, r.retry?.delayMs])).toEqual([
      ['trigger', 'retry', 1, 20],
      ['retry', 'retry', 2, 120],
      ['retry', 'done', undefined, undefined],
      ['trigger', 'retry', 1, 20],
      ['retry', 'retry', 2, 40],
    ]);
    expect(result[4]!.outcome).toEqual({ kind: 'retry', afterMs: 0, error: 'reconcile threw: boom' });
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(18);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(115);
  });

  it('absorbs triggers during a backoff wait and does not retry terminal outcomes', async () => {
    let call = 0;
    const reconcile = async (): Promise<ReconcileOutcome> =>
      call++ === 0 ? { kind: 'retry', afterMs: 100, error: 'e' } : { kind: 'terminal', code: 400, description: 'bad' };
    const triggers = new Subject<string>();
    const runs: ReconcileRun[] = [];
    const sub = scheduleReconciles({ triggers, reconcile, resyncMs: 60_000, backoff: { initialMs: 10, jitter: 0 } }).subscribe((r) => runs.push(r));
    triggers.next('dev');
    await sleep(20);
    triggers.next('dev');
    triggers.next('dev');
    await sleep(250);
    expect(runs.map((r) => [r.cause, r.outcome.kind])).toEqual([
      ['trigger', 'retry'],
      ['retry', 'terminal'],
    ]);
    sub.unsubscribe();
  });

  it('resyncs every known key periodically', async () => {
    const keys: string[] = [];
    const triggers = new Subject<string>();
    const sub = scheduleReconciles({ triggers, reconcile: async (k) => (keys.push(k), done), resyncMs: 40 }).subscribe();
    await sleep(60);
    expect(keys).toEqual([]);
    triggers.next('dev');
    await sleep(150);
    expect(keys.length).toBeGreaterThanOrEqual(2); // the trigger, then resyncs
    expect(new Set(keys)).toEqual(new Set(['dev']));
    sub.unsubscribe();
    const after = keys.length;
    await sleep(100);
    expect(keys.length).toBe(after);
  });
});
