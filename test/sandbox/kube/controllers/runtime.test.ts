/**
 * The controllers' work queue: without a stream of client requests a batch runs on the next turn of the
 * event loop (a rollout's chain pays no batching window per step); while clients keep sending
 * requests the workload controllers' batches are at least the coalescing interval apart, and
 * the keys added meanwhile are one batch, each key handled once.
 */
import { describe, expect, test } from '@jest/globals';
import { Backlog, ClientLoad, CONTROLLER_COALESCE_MS, EVENT_MAX_DELAY_MS, EventRecorder, STREAM_QUIET_MS, TimerSet, WorkQueue } from '../../../../sandbox/kube/controllers/runtime.js';
import { findType } from '../../../../sandbox/kube/resources.js';
import type { KubeObject } from '../../../../sandbox/kube/types.js';
import { bareApi } from '../../../support/controller-context.js';

const timers = new TimerSet(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves after the callbacks queued with setImmediate before it ran. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A coalescing queue (`queue`, what it handled in `handled`) and another controller's queue
 * without coalescing (`upstream`) whose batch writes what gives `queue` the key `next-<key>`,
 * on one ClientLoad.
 */
function chainedQueues() {
  const load = new ClientLoad();
  const handled: Array<{ key: string; at: number }> = [];
  const queue = new WorkQueue((key) => handled.push({ key, at: performance.now() }), timers, CONTROLLER_COALESCE_MS, load);
  const upstream = new WorkQueue((key) => queue.add(`next-${key}`), timers, 0, load);
  const stop = () => {
    upstream.stop();
    queue.stop();
  };
  return { load, handled, queue, upstream, stop };
}

describe('ClientLoad', () => {
  test(`a stream starts with two requests within ${CONTROLLER_COALESCE_MS} ms and ends after ${STREAM_QUIET_MS} ms without one`, () => {
    const load = new ClientLoad();
    load.request(0);
    expect(load.active(STREAM_QUIET_MS, 1)).toBe(false); // one apply at rest
    load.request(CONTROLLER_COALESCE_MS + 10);
    expect(load.active(STREAM_QUIET_MS, CONTROLLER_COALESCE_MS + 11)).toBe(false); // too far apart
    load.request(CONTROLLER_COALESCE_MS + 20);
    expect(load.active(STREAM_QUIET_MS, CONTROLLER_COALESCE_MS + 21)).toBe(true);
    expect(load.active(STREAM_QUIET_MS, CONTROLLER_COALESCE_MS + 20 + STREAM_QUIET_MS - 1)).toBe(true);
    expect(load.active(STREAM_QUIET_MS, CONTROLLER_COALESCE_MS + 20 + STREAM_QUIET_MS)).toBe(false);
    // Ended: it takes two requests again.
    load.request(100);
    expect(load.active(STREAM_QUIET_MS, 101)).toBe(false);
  });

  test("the controllers' batches do not count as quiet: requests they held back still belong to the stream", () => {
    const load = new ClientLoad();
    load.request(0);
    load.request(5);
    load.busy(40); // a batch held the event loop from 5 to 45 ms
    expect(load.active(STREAM_QUIET_MS, 50)).toBe(true);
    expect(load.active(STREAM_QUIET_MS, 5 + 40 + STREAM_QUIET_MS)).toBe(false);
  });

  test('a stream found over by a check before its timer fired still calls the quiet listeners', () => {
    const load = new ClientLoad();
    let quiet = 0;
    load.onQuiet(() => quiet++);
    const t = performance.now();
    load.request(t);
    load.request(t + 1);
    // A queue schedules a batch (it asks whether the stream is on) once the stream is over, before the timer that checks it.
    expect(load.active(STREAM_QUIET_MS, t + 1 + STREAM_QUIET_MS)).toBe(false);
    expect(quiet).toBe(1);
    expect(load.active(STREAM_QUIET_MS, t + 2 + STREAM_QUIET_MS)).toBe(false);
    expect(quiet).toBe(1); // once per stream
  });
});

describe('WorkQueue', () => {
  test('no client request: each batch on the next turn, also the steps that follow one another', async () => {
    const handled: string[] = [];
    const queue = new WorkQueue((key) => handled.push(key), timers, CONTROLLER_COALESCE_MS, new ClientLoad());
    queue.add('a');
    queue.add('b');
    queue.add('a');
    await nextTurn();
    await nextTurn();
    expect(handled).toEqual(['a', 'b']);
    // The next step of a rollout (a key added by the controllers' own writes) runs on the next turn too.
    queue.add('c');
    await nextTurn();
    await nextTurn();
    expect(handled).toEqual(['a', 'b', 'c']);
    queue.stop();
  });

  test(`a stream of client requests: keys wait ${CONTROLLER_COALESCE_MS} ms and coalesce, each handled once`, async () => {
    // The case needs the applies to come as a stream (each within STREAM_QUIET_MS of the one
    // before, the first within CONTROLLER_COALESCE_MS of the apply at rest) and the check to come
    // within the interval; on a busy machine a 2 ms sleep can take longer than that, and such a
    // run (the stream over, the batch run early) proves nothing: it is run again.
    for (let attempt = 1; ; attempt++) {
      const load = new ClientLoad();
      const handled: { key: string; at: number }[] = [];
      const queue = new WorkQueue((key) => handled.push({ key, at: performance.now() }), timers, CONTROLLER_COALESCE_MS, load);
      // One request (an apply at rest): its batch runs at once.
      const atRest = performance.now();
      load.request(atRest);
      queue.add('a');
      await nextTurn();
      await nextTurn();
      expect(handled.map((h) => h.key)).toEqual(['a']);
      const first = handled[0]!.at;
      // Applies keep coming: their keys wait for the interval and are handled once each.
      const times = [atRest];
      for (const key of ['b', 'a', 'b', 'c']) {
        const now = performance.now();
        times.push(now);
        load.request(now);
        queue.add(key);
        await sleep(2);
      }
      const checkedAt = performance.now();
      const early = handled.map((h) => h.key);
      const asStream =
        times[1]! - atRest < CONTROLLER_COALESCE_MS && times.slice(2).every((t, i) => t - times[i + 1]! < STREAM_QUIET_MS) && checkedAt - times[1]! < CONTROLLER_COALESCE_MS;
      if (!asStream && attempt < 5) {
        queue.stop();
        continue;
      }
      expect(asStream).toBe(true);
      expect(early).toEqual(['a']);
      while (handled.length < 4) await sleep(2);
      expect(handled.slice(1).map((h) => h.key)).toEqual(['b', 'a', 'c']);
      expect(handled[1]!.at - first).toBeGreaterThanOrEqual(CONTROLLER_COALESCE_MS - 1);
      queue.stop();
      return;
    }
  });

  test(`when the stream ends (${STREAM_QUIET_MS} ms without a request) a batch waits no longer than ${CONTROLLER_COALESCE_MS} ms, however long the last batch took`, async () => {
    const load = new ClientLoad();
    const handled: Array<{ key: string; at: number }> = [];
    const queue = new WorkQueue(
      (key) => {
        if (key === 'slow') for (const start = performance.now(); performance.now() - start < 60; );
        handled.push({ key, at: performance.now() });
      },
      timers,
      CONTROLLER_COALESCE_MS,
      load,
    );
    load.request();
    load.request();
    queue.add('slow');
    while (handled.length < 1) await sleep(2);
    // A stream again; the next batch's window is stretched by twice the 60 ms batch (145 ms in all).
    load.request();
    load.request();
    const from = performance.now();
    queue.add('b');
    // No more requests: the stream ends 10 ms later, and the batch runs 25 ms after its window began.
    await sleep(90);
    expect(handled.map((h) => h.key)).toEqual(['slow', 'b']);
    expect(handled[1]!.at - from).toBeGreaterThanOrEqual(CONTROLLER_COALESCE_MS - 1);
    queue.stop();
  });

  test("when the stream ends, a batch of keys that came from the controllers' own writes runs on the next turn, without waiting out its window", async () => {
    const { load, handled, upstream, stop } = chainedQueues();
    let quietAt = 0;
    let handledAtQuiet = -1;
    const offQuiet = load.onQuiet(() => {
      quietAt = performance.now();
      handledAtQuiet = handled.length;
    });
    load.request();
    load.request(); // a stream
    upstream.add('a');
    while (quietAt === 0) await sleep(1);
    expect(handledAtQuiet).toBe(0); // during the stream the key waited for its window
    await nextTurn();
    await nextTurn();
    expect(handled.map((h) => h.key)).toEqual(['next-a']);
    expect(handled[0]!.at - quietAt).toBeLessThan(CONTROLLER_COALESCE_MS - STREAM_QUIET_MS);
    offQuiet();
    stop();
  });

  test("a client's key in a window opened by a controller's write keeps the window's plain interval when the stream ends", async () => {
    // The case needs 'b' to join the window while the stream runs (it ends STREAM_QUIET_MS after
    // the last request); on a busy machine the two turns before it can take longer than that, and
    // such a run (the stream over, 'next-a' run alone) proves nothing: it is run again.
    for (let attempt = 1; ; attempt++) {
      const { load, handled, queue, upstream, stop } = chainedQueues();
      load.request();
      load.request();
      const from = performance.now();
      upstream.add('a');
      await nextTurn();
      await nextTurn();
      const duringStream = handled.length === 0 && load.active(STREAM_QUIET_MS);
      queue.add('b'); // an apply's key (not a controller's write) joins the window
      while (handled.length < 2) await sleep(2);
      stop();
      if (!duringStream && attempt < 5) continue;
      expect(duringStream).toBe(true);
      expect(handled.map((h) => h.key)).toEqual(['next-a', 'b']);
      expect(handled[0]!.at - from).toBeGreaterThanOrEqual(CONTROLLER_COALESCE_MS - 1);
      return;
    }
  });

  test('without coalescing (the other controllers): the next turn, whatever the clients do', async () => {
    const load = new ClientLoad();
    const handled: string[] = [];
    const queue = new WorkQueue((key) => handled.push(key), timers, 0, load);
    queue.add('a');
    await nextTurn();
    load.request();
    queue.add('b');
    await nextTurn();
    await nextTurn();
    expect(handled).toEqual(['a', 'b']);
    queue.stop();
  });
});

describe('Backlog', () => {
  test("a queue's waiting keys make it busy until its batch handled them all; whenIdle runs then", async () => {
    const backlog = new Backlog();
    const idle: string[] = [];
    const handled: string[] = [];
    const queue = new WorkQueue((key) => {
      handled.push(key);
      if (key === 'a') queue.add('b'); // a step that leads to the next one: still busy
    }, timers, 0, undefined, backlog);
    expect(backlog.idle).toBe(true);
    queue.add('a');
    expect(backlog.idle).toBe(false);
    backlog.whenIdle(() => idle.push(`idle after ${handled.join(',')}`));
    while (handled.length < 2) await nextTurn();
    expect(backlog.idle).toBe(true);
    expect(idle).toEqual(['idle after a,b']);
    queue.stop();
  });
});

describe('Backlog.afterIdle', () => {
  test('runs the work on a turn after the queues are idle, or after its longest delay', async () => {
    const backlog = new Backlog();
    const ran: string[] = [];
    backlog.afterIdle(() => ran.push('idle at once'), 10_000);
    expect(ran).toEqual([]); // not in the caller's turn
    await nextTurn();
    expect(ran).toEqual(['idle at once']);
    backlog.enter();
    backlog.afterIdle(() => ran.push('after the queues'), 10_000);
    backlog.afterIdle(() => ran.push('deadline'), 30);
    await sleep(10);
    expect(ran).toEqual(['idle at once']);
    await sleep(40);
    expect(ran).toEqual(['idle at once', 'deadline']);
    backlog.leave();
    await nextTurn();
    expect(ran).toEqual(['idle at once', 'deadline', 'after the queues']);
  });
});

describe('EventRecorder', () => {
  const EVENTS = findType('', 'events')!;
  const PODS = findType('', 'pods')!;
  const setUp = () => {
    const api = bareApi();
    const pod = api.create(PODS, 'ns', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } }, { fieldManager: 'test' });
    const backlog = new Backlog();
    const recorder = new EventRecorder(api, 'node', backlog);
    const events = () => api.list(EVENTS, 'ns').items as Array<KubeObject & { reason?: string; count?: number; message?: string }>;
    return { api, pod, backlog, recorder, events };
  };

  test("Events wait while the workload controllers have keys waiting, then are written in one batch after their turn, repeats counted", async () => {
    const { pod, backlog, recorder, events } = setUp();
    backlog.enter();
    recorder.record(PODS, pod, 'Normal', 'Pulled', 'already present', 'kubelet', 'spec.containers{c}');
    recorder.record(PODS, pod, 'Normal', 'Started', 'Started container c', 'kubelet', 'spec.containers{c}');
    recorder.record(PODS, pod, 'Normal', 'Pulled', 'already present', 'kubelet', 'spec.containers{c}');
    await nextTurn();
    await nextTurn();
    expect(events()).toEqual([]);
    backlog.leave();
    expect(events()).toEqual([]); // after the controllers' turn, not inside it
    await nextTurn();
    await nextTurn();
    expect(events().map((e) => [e.reason, e.count])).toEqual([
      ['Pulled', 2],
      ['Started', 1],
    ]);
    expect(events().every((e) => /^p\.[0-9a-f]+$/.test(e.metadata.name ?? ''))).toBe(true);
    // A repeat of a written Event updates it.
    recorder.record(PODS, pod, 'Normal', 'Pulled', 'already present', 'kubelet', 'spec.containers{c}');
    await nextTurn();
    await nextTurn();
    expect(events().map((e) => [e.reason, e.count])).toEqual([
      ['Pulled', 3],
      ['Started', 1],
    ]);
    recorder.stop();
  });

  test('flush writes the waiting Events at once (the server calls it before a request on Events)', () => {
    const { pod, backlog, recorder, events } = setUp();
    backlog.enter();
    recorder.record(PODS, pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet');
    expect(events()).toEqual([]);
    recorder.flush();
    expect(events().map((e) => e.message)).toEqual(['Error: ErrImagePull']);
    recorder.stop();
  });

  test(`an Event waits at most ${EVENT_MAX_DELAY_MS} ms for the controllers`, async () => {
    const { pod, backlog, recorder, events } = setUp();
    backlog.enter();
    recorder.record(PODS, pod, 'Normal', 'Scheduled', 'Successfully assigned ns/p to node', 'default-scheduler');
    await sleep(EVENT_MAX_DELAY_MS / 2);
    expect(events()).toEqual([]);
    await sleep(EVENT_MAX_DELAY_MS / 2 + 100);
    expect(events().map((e) => e.reason)).toEqual(['Scheduled']);
    recorder.stop();
  });
});
