/**
 * The simulated kubelet's scheduling against the workload controllers: a deleted pod's containers
 * are stopped once the controllers' queues are idle (or after at most a second), so that stopping
 * old pods does not hold back the steps of the rollouts in flight.
 */
import { describe, expect, test } from '@jest/globals';
import { ImageCatalog } from '../../../../sandbox/kube/catalog.js';
import { Kubelet } from '../../../../sandbox/kube/controllers/kubelet.js';
import { controllerContexts } from '../../../support/controller-context.js';
import { until } from '../../../support/wait.js';
import { findType } from '../../../../sandbox/kube/resources.js';

const PODS = findType('', 'pods')!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const startAlone = controllerContexts();
/** Simulated durations at real speed: an image pull takes 500 ms. */
const startAtRealSpeed = controllerContexts(1);

function setUp(start = startAlone) {
  const { api, ctx } = start((ctx) => {
    const kubelet = new Kubelet(ctx, new ImageCatalog({ 'app:1': { kind: 'run', lines: ['hi'] } }), { networkSlot: 31 });
    return () => kubelet.stop();
  });
  const pod = () => api.tryGet(PODS, 'ns', 'p');
  const running = () => pod()?.status?.phase === 'Running';
  /** Creates pod `p` with one container of `app:1` (pulled first with `Always`). */
  const createPod = (imagePullPolicy?: 'Always') =>
    api.create(PODS, 'ns', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'app:1', ...(imagePullPolicy ? { imagePullPolicy } : {}) }] } }, { fieldManager: 'test' });
  /** Runs pod `p`, then deletes it while the workload controllers have keys waiting. */
  const deleteRunningWhileBusy = async () => {
    createPod();
    await until('running', running);
    ctx.backlog.enter();
    api.delete(PODS, 'ns', 'p');
  };
  return { api, backlog: ctx.backlog, pod, running, createPod, deleteRunningWhileBusy };
}

describe('Kubelet: stopping deleted pods', () => {
  test("while the workload controllers have keys waiting, a deleted pod keeps running (marked); once they are idle it stops and goes", async () => {
    const { backlog, pod, deleteRunningWhileBusy } = setUp();
    await deleteRunningWhileBusy();
    // Stopping takes 1 s simulated (10 ms here): 100 ms later it has not begun.
    await sleep(100);
    expect(pod()?.metadata.deletionTimestamp).toBeDefined();
    expect((pod()?.status?.containerStatuses as Array<{ state: { running?: unknown } }> | undefined)?.[0]?.state.running).toBeDefined();
    backlog.leave();
    await until('gone', () => pod() === undefined, 500);
  });

  test('the stop waits at most a second for the controllers', async () => {
    const { backlog, pod, deleteRunningWhileBusy } = setUp();
    await deleteRunningWhileBusy();
    await until('gone', () => pod() === undefined, 2000);
    expect(backlog.idle).toBe(false);
  });
});

describe('Kubelet: image pulls in the backlog', () => {
  test('while an image is pulled the controllers are not idle (work that waits for them, e.g. stopping old pods, comes after the start); once it runs they are', async () => {
    const { backlog, running, createPod } = setUp();
    createPod('Always');
    await until('the pull begun', () => !backlog.idle, 500);
    const order: string[] = [];
    backlog.whenIdle(() => order.push(running() ? 'idle after the start' : 'idle before the start'));
    await until('running', running);
    await until('idle', () => backlog.idle, 500);
    expect(order).toEqual(['idle after the start']);
  });

  test("a new pod waiting for the scheduler's turn counts in the backlog until it is bound", async () => {
    const { backlog, pod, createPod } = setUp();
    const order: string[] = [];
    createPod();
    expect(backlog.idle).toBe(false);
    backlog.whenIdle(() => order.push(pod()?.spec?.nodeName ? 'idle once bound' : 'idle before the binding'));
    await until('idle', () => backlog.idle, 500);
    expect(order).toEqual(['idle once bound']);
  });

  test('a pod deleted while its image is pulled leaves the backlog idle', async () => {
    // At real speed, so that the 500 ms pull is surely under way when the pod goes.
    const { api, backlog, pod, createPod } = setUp(startAtRealSpeed);
    createPod('Always');
    const waiting = () => (pod()?.status?.containerStatuses as Array<{ state: { waiting?: { reason?: string } } }> | undefined)?.[0]?.state.waiting?.reason;
    await until('the pull begun', () => waiting() === 'ContainerCreating', 500);
    const deleted = Date.now();
    api.delete(PODS, 'ns', 'p', { gracePeriodSeconds: 0 });
    await until('gone', () => pod() === undefined, 2000);
    await until('idle', () => backlog.idle, 500);
    // Idle because the pull ended with the pod, not because it ran out.
    expect(Date.now() - deleted).toBeLessThan(400);
  });
});
