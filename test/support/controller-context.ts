/**
 * A simulated controller (or the kubelet) run alone on a bare API (no server, no other
 * controllers), with the namespace `ns`. Call {@link controllerContexts} once at a test file's
 * top level: it stops, after each test, what the test started.
 */
import { afterEach } from '@jest/globals';
import { KubeApi } from '../../sandbox/kube/api.js';
import { SimpleAllocator } from '../../sandbox/kube/cluster.js';
import { Backlog, ClientLoad, EventRecorder, TimerSet, type ControllerContext } from '../../sandbox/kube/controllers/runtime.js';
import { findType } from '../../sandbox/kube/resources.js';
import { ObjectStore } from '../../sandbox/kube/store.js';

/** Starts a component with `start` (which returns its stop function) on a fresh context; returns the API and the context. */
export type StartAlone = (start: (ctx: ControllerContext) => () => void) => { api: KubeApi; ctx: ControllerContext };

/** A bare API (no server, no controllers) holding the namespace `ns`. */
export function bareApi(): KubeApi {
  const api = new KubeApi(new ObjectStore(), new SimpleAllocator());
  api.create(findType('', 'namespaces')!, undefined, { metadata: { name: 'ns' } }, { fieldManager: 'test' });
  return api;
}

export function controllerContexts(timeFactor = 0.01): StartAlone {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });
  return (start) => {
    const api = bareApi();
    const backlog = new Backlog();
    const timers = new TimerSet(timeFactor);
    const ctx: ControllerContext = { api, timeFactor, recorder: new EventRecorder(api, 'node', backlog), timers, load: new ClientLoad(), backlog };
    const stop = start(ctx);
    stops.push(() => {
      stop();
      timers.stop();
      ctx.recorder.stop();
    });
    return { api, ctx };
  };
}
