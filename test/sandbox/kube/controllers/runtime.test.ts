/**
 * The controllers' work queue: without a stream of client requests a batch runs on the next turn of the
 * event loop (a rollout's chain pays no batching window per step); while clients keep sending
 * requests the workload controllers' batches are at least the coalescing interval apart, and
 * the keys added meanwhile are one batch, each key handled once.
 */
import { describe, expect, test } from '@jest/globals';
import { ClientLoad, CONTROLLER_COALESCE_MS, STREAM_QUIET_MS, TimerSet, WorkQueue } from '../../../../sandbox/kube/controllers/runtime.js';

const timers = new TimerSet(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves after the callbacks queued with setImmediate before it ran. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

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
    const load = new ClientLoad();
    const handled: { key: string; at: number }[] = [];
    const queue = new WorkQueue((key) => handled.push({ key, at: performance.now() }), timers, CONTROLLER_COALESCE_MS, load);
    // One request (an apply at rest): its batch runs at once.
    load.request();
    queue.add('a');
    await nextTurn();
    await nextTurn();
    expect(handled.map((h) => h.key)).toEqual(['a']);
    const first = handled[0]!.at;
    // Applies keep coming: their keys wait for the interval and are handled once each.
    for (const key of ['b', 'a', 'b', 'c']) {
      load.request();
      queue.add(key);
      await sleep(2);
    }
    expect(handled.map((h) => h.key)).toEqual(['a']);
    while (handled.length < 4) await sleep(2);
    expect(handled.slice(1).map((h) => h.key)).toEqual(['b', 'a', 'c']);
    expect(handled[1]!.at - first).toBeGreaterThanOrEqual(CONTROLLER_COALESCE_MS - 1);
    queue.stop();
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
