/**
 * Job controller: runs pods until `completions` succeed, counts failures against
 * backoffLimit (pod failures for Never, container restarts for OnFailure), and
 * sets the Complete or Failed condition.
 */
import { findType } from '../resources.js';
import type { StoreEvent } from '../store.js';
import { clone, isObject, jsonEqual, type JsonObject, type KubeObject } from '../types.js';
import { podActive, podReady } from './replicaset.js';
import { controllerUid, createPodFromTemplate, keyOf, splitKey, WorkQueue, type ControllerContext } from './runtime.js';

const JOBS = findType('batch', 'jobs')!;
const PODS = findType('', 'pods')!;
const COMPONENT = 'job-controller';

function stamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function restartsOf(pod: KubeObject): number {
  const statuses = Array.isArray(pod.status?.containerStatuses) ? (pod.status.containerStatuses as JsonObject[]) : [];
  return statuses.reduce((n, s) => n + Number(s.restartCount ?? 0), 0);
}

function finished(job: KubeObject): boolean {
  const conditions = Array.isArray(job.status?.conditions) ? (job.status.conditions as JsonObject[]) : [];
  return conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** Starts the Job controller; returns its stop function. */
export function startJobController(ctx: ControllerContext): () => void {
  const { api } = ctx;
  const queue = new WorkQueue((key) => reconcile(key), ctx.timers);
  const nextCreate = new Map<string, number>();

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const job = api.tryGet(JOBS, namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    if (finished(job)) return;
    const spec = job.spec ?? {};
    const pods = api.store.ownedBy(PODS, job.metadata.uid, namespace).filter((p) => controllerUid(p) === job.metadata.uid);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failedPods = pods.filter((p) => p.status?.phase === 'Failed').length;
    const active = pods.filter(podActive);
    const template = isObject(spec.template) ? spec.template : {};
    const podSpec = isObject(template.spec) ? template.spec : {};
    const backoffLimit = Number(spec.backoffLimit ?? 6);
    const completions = Number(spec.completions ?? 1);
    const parallelism = Number(spec.parallelism ?? 1);
    const restarts = podSpec.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + restartsOf(p), 0) : 0;
    const failed = failedPods;
    const onFailureExceeded = podSpec.restartPolicy === 'OnFailure' && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
    const status: JsonObject = clone(job.status ?? {});
    status.startTime ??= stamp();
    let conditions = (Array.isArray(status.conditions) ? status.conditions : []) as JsonObject[];
    const addCondition = (type: string, reason: string, message: string) => {
      conditions = [...conditions, { type, status: 'True', lastProbeTime: stamp(), lastTransitionTime: stamp(), reason, message }];
    };
    if (succeeded >= completions) {
      addCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      addCondition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
      status.completionTime = stamp();
      ctx.recorder.record(JOBS, job, 'Normal', 'Completed', 'Job completed', COMPONENT);
    } else if (failed > backoffLimit || onFailureExceeded) {
      addCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      addCondition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      for (const pod of active) api.delete(PODS, namespace, pod.metadata.name ?? '');
      ctx.recorder.record(JOBS, job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', COMPONENT);
    } else if (spec.suspend !== true) {
      const wanted = Math.min(parallelism, completions - succeeded) - active.length;
      const notBefore = nextCreate.get(key) ?? 0;
      if (wanted > 0 && Date.now() < notBefore) queue.addAfter(key, (notBefore - Date.now()) / ctx.timeFactor);
      else {
        for (let i = 0; i < wanted; i++) {
          const pod = createPodFromTemplate(api, PODS, JOBS, job, template);
          active.push(pod);
          ctx.recorder.record(JOBS, job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
        }
        if (failed > 0) nextCreate.set(key, Date.now() + Math.min(10_000 * 2 ** (failed - 1), 360_000) * ctx.timeFactor);
      }
    }
    status.conditions = conditions.length > 0 ? conditions : undefined;
    status.active = active.length > 0 && !finished({ ...job, status: { conditions } }) ? active.length : undefined;
    status.ready = active.filter(podReady).length;
    status.succeeded = succeeded > 0 ? succeeded : undefined;
    status.failed = failed > 0 ? failed : undefined;
    status.terminating = 0;
    status.uncountedTerminatedPods = {};
    for (const k of Object.keys(status)) if (status[k] === undefined) delete status[k];
    if (jsonEqual(status, job.status ?? {})) return;
    const latest = api.get(JOBS, namespace, name);
    latest.status = status;
    api.update(JOBS, namespace, name, latest, { subresource: 'status', fieldManager: 'kube-controller-manager' });
  }

  const unsubscribe = api.store.subscribe((event: StoreEvent) => {
    if (event.resource === JOBS) {
      if (event.type !== 'DELETED') queue.add(keyOf(event.object));
      else nextCreate.delete(keyOf(event.object));
    } else if (event.resource === PODS) {
      const owner = (event.object.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'Job');
      if (owner) queue.add(`${event.object.metadata.namespace}/${owner.name}`);
    }
  });
  return () => {
    unsubscribe();
    queue.stop();
  };
}
