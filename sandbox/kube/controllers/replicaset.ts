/**
 * ReplicaSet controller: keeps spec.replicas pods carrying the template, and
 * reports replicas/readyReplicas/availableReplicas (ready for minReadySeconds).
 */
import { findType } from '../resources.js';
import type { StoreEvent } from '../store.js';
import { jsonEqual, type KubeObject } from '../types.js';
import { controllerUid, createPodFromTemplate, keyOf, splitKey, WorkQueue, CONTROLLER_COALESCE_MS, type ControllerContext } from './runtime.js';

const RS = findType('apps', 'replicasets')!;
const PODS = findType('', 'pods')!;
const COMPONENT = 'replicaset-controller';

/** True when the pod's Ready condition is True. */
export function podReady(pod: KubeObject): boolean {
  const conditions = Array.isArray(pod.status?.conditions) ? (pod.status.conditions as Array<Record<string, unknown>>) : [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** True when the pod is not finished and not being deleted. */
export function podActive(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Starts the ReplicaSet controller; returns its stop function. */
export function startReplicaSetController(ctx: ControllerContext): () => void {
  const { api } = ctx;
  const queue = new WorkQueue((key) => reconcile(key), ctx.timers, CONTROLLER_COALESCE_MS, ctx.load, ctx.backlog);
  /** Real time each pod was first seen ready (conditions only keep whole seconds). */
  const readySince = new Map<string, number>();

  const podsOf = (rs: KubeObject): KubeObject[] =>
    api.store.ownedBy(PODS, rs.metadata.uid, rs.metadata.namespace).filter((p) => controllerUid(p) === rs.metadata.uid);

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const rs = api.tryPeek(RS, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = rs.spec ?? {};
    const desired = Number(spec.replicas ?? 1);
    const pods = podsOf(rs).filter(podActive);
    if (pods.length < desired) {
      for (let i = pods.length; i < desired; i++) {
        const pod = createPodFromTemplate(api, PODS, RS, rs, spec.template);
        ctx.recorder.record(RS, rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
      }
    } else if (pods.length > desired) {
      const victims = [...pods]
        .sort((a, b) => Number(podReady(a)) - Number(podReady(b)) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))
        .slice(0, pods.length - desired);
      for (const pod of victims) {
        api.delete(PODS, namespace, pod.metadata.name ?? '');
        ctx.recorder.record(RS, rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, COMPONENT);
      }
    }
    updateStatus(rs);
  }

  function updateStatus(rs: KubeObject): void {
    const pods = podsOf(rs).filter(podActive);
    const readyPods = pods.filter(podReady);
    const minReadyMs = Number(rs.spec?.minReadySeconds ?? 0) * 1000;
    let available = 0;
    for (const pod of readyPods) {
      const uid = pod.metadata.uid ?? '';
      const since = readySince.get(uid) ?? Date.now();
      readySince.set(uid, since);
      const waited = (Date.now() - since) / ctx.timeFactor;
      if (waited >= minReadyMs) available++;
      else queue.addAfter(keyOf(rs), minReadyMs - waited + 1);
    }
    for (const pod of pods) if (!podReady(pod)) readySince.delete(pod.metadata.uid ?? '');
    const status: Record<string, unknown> = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: readyPods.length,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation,
    };
    for (const k of ['readyReplicas', 'availableReplicas', 'fullyLabeledReplicas']) if (status[k] === 0) delete status[k];
    if (jsonEqual(status, rs.status ?? {})) return;
    const latest = { ...api.peek(RS, rs.metadata.namespace, rs.metadata.name ?? ''), status };
    api.update(RS, rs.metadata.namespace, rs.metadata.name ?? '', latest, { spread: true, shared: true, trusted: true, subresource: 'status', fieldManager: 'kube-controller-manager' });
  }

  const unsubscribe = api.store.subscribe((event: StoreEvent) => {
    if (event.resource === RS) {
      if (event.type !== 'DELETED') queue.add(keyOf(event.object));
    } else if (event.resource === PODS) {
      if (event.type === 'DELETED') readySince.delete(event.object.metadata.uid ?? '');
      const owner = (event.object.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'ReplicaSet');
      if (owner) queue.add(`${event.object.metadata.namespace}/${owner.name}`);
    }
  });
  return () => {
    unsubscribe();
    queue.stop();
  };
}
