/**
 * Deployment controller: one ReplicaSet per pod template (named with
 * pod-template-hash), RollingUpdate and Recreate, status and conditions
 * (Available, Progressing incl. ProgressDeadlineExceeded), revision history.
 */
import { findType } from '../resources.js';
import type { StoreEvent } from '../store.js';
import { clone, isObject, jsonEqual, type JsonObject, type KubeObject } from '../types.js';
import { podActive } from './replicaset.js';
import { controllerRef, controllerUid, keyOf, safeHash, splitKey, WorkQueue, CONTROLLER_COALESCE_MS, type ControllerContext } from './runtime.js';

const DEPLOYMENTS = findType('apps', 'deployments')!;
const RS = findType('apps', 'replicasets')!;
const PODS = findType('', 'pods')!;
const COMPONENT = 'deployment-controller';
const REVISION = 'deployment.kubernetes.io/revision';

/** Resolves an int-or-percent against a total (percentages round up or down). */
export function resolveIntOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.endsWith('%')) {
    const n = (Number(value.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(n) : Math.floor(n);
  }
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return 0;
}

function revisionOf(rs: KubeObject): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0);
}

function replicasOf(rs: KubeObject): number {
  return Number(rs.spec?.replicas ?? 0);
}

function statusNumber(obj: KubeObject, key: string): number {
  return Number(obj.status?.[key] ?? 0);
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

function nowStamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function setCondition(conditions: Condition[], next: Condition, progressed: boolean): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const now = nowStamp();
  const merged: Condition = {
    type: next.type,
    status: next.status,
    lastUpdateTime: existing && existing.reason === next.reason && existing.status === next.status && !progressed ? existing.lastUpdateTime : now,
    lastTransitionTime: existing && existing.status === next.status ? existing.lastTransitionTime : now,
    reason: next.reason,
    message: next.message,
  };
  return [...conditions.filter((c) => c.type !== next.type), merged].sort((a, b) => (a.type < b.type ? -1 : 1));
}

/**
 * The replicas a new ReplicaSet is created with, as the real controller's NewRSNewReplicas
 * (pkg/controller/deployment/util/deployment_util.go): RollingUpdate creates it scaled up as far
 * as maxSurge allows beside the old ReplicaSets' replicas (one write, not a create at 0 and a
 * scale); Recreate (here) at 0 while an old ReplicaSet still has replicas, else at `replicas`.
 */
function initialReplicas(strategy: JsonObject, olds: KubeObject[], replicas: number, surge: number): number {
  const current = olds.reduce((n, rs) => n + replicasOf(rs), 0);
  if (strategy.type === 'Recreate') return current > 0 ? 0 : replicas;
  return Math.max(0, Math.min(replicas + surge - current, replicas));
}

/** The pods a rollout may add beyond `replicas` (0 for Recreate): its maxSurge, resolved. */
function surgeOf(strategy: JsonObject, replicas: number): number {
  if (strategy.type === 'Recreate') return 0;
  const rolling = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  return Math.max(0, resolveIntOrPercent(rolling.maxSurge ?? '25%', replicas, true));
}

/**
 * Real milliseconds a Deployment's follow-up (see {@link rolledOut}) waits at most for the
 * workload controllers to be idle.
 */
export const FOLLOW_UP_MAX_DELAY_MS = 1000;

/**
 * True when the Deployment's status already shows its current template rolled out: the latest
 * generation observed, every replica updated and as many available. What a reconcile can still
 * do then is its follow-up: scale old ReplicaSets down, clean up history and report it, work no
 * other rollout's step waits for (a real controller manager runs it beside the other
 * controllers, not before their next steps). A new generation, a replica lost or not available
 * yet, or a paused Deployment is not rolled out.
 */
function rolledOut(d: KubeObject): boolean {
  const status = d.status ?? {};
  const replicas = Number(d.spec?.replicas ?? 1);
  return (
    replicas > 0 &&
    d.spec?.paused !== true &&
    status.observedGeneration === d.metadata.generation &&
    Number(status.updatedReplicas ?? 0) >= replicas &&
    Number(status.availableReplicas ?? 0) >= replicas
  );
}

/** pod-template-hash of stored templates (never changed in place; a status write shares its Deployment's template). */
const templateHashes = new WeakMap<object, string>();

function templateHash(template: JsonObject): string {
  let hash = templateHashes.get(template);
  if (hash === undefined) {
    hash = safeHash(template);
    templateHashes.set(template, hash);
  }
  return hash;
}

/** Starts the Deployment controller; returns its stop function. */
export function startDeploymentController(ctx: ControllerContext): () => void {
  const { api } = ctx;
  const queue = new WorkQueue((key) => handle(key), ctx.timers, CONTROLLER_COALESCE_MS, ctx.load, ctx.backlog);
  /** Keys of rolled-out Deployments whose follow-up waits for the workload controllers to be idle. */
  const followUps = new Set<string>();
  /** Keys handed back to the queue once the controllers were idle: reconciled whatever their status shows. */
  const released = new Set<string>();
  let followUpScheduled = false;
  /** Real time of the last observed progress per Deployment (conditions only keep whole seconds). */
  const lastProgress = new Map<string, number>();

  /** Shallow copies of the Deployment's ReplicaSets: scale() updates their spec as it goes (stored objects never change). */
  function replicaSetsOf(d: KubeObject): KubeObject[] {
    return api.store
      .ownedBy(RS, d.metadata.uid, d.metadata.namespace)
      .filter((rs) => controllerUid(rs) === d.metadata.uid)
      .map((rs) => ({ ...rs }));
  }

  function scale(d: KubeObject, rs: KubeObject, replicas: number): void {
    if (replicasOf(rs) === replicas) return;
    const from = replicasOf(rs);
    const stored = api.peek(RS, rs.metadata.namespace, rs.metadata.name ?? '');
    const latest: KubeObject = {
      ...stored,
      spec: { ...(stored.spec ?? {}), replicas },
      metadata: {
        ...stored.metadata,
        annotations: { ...(stored.metadata.annotations ?? {}), 'deployment.kubernetes.io/desired-replicas': String(d.spec?.replicas ?? 1) },
      },
    };
    api.update(RS, rs.metadata.namespace, rs.metadata.name ?? '', latest, { spread: true, shared: true, trusted: true, fieldManager: 'kube-controller-manager' });
    rs.spec = latest.spec;
    const verb = replicas > from ? 'up' : 'down';
    ctx.recorder.record(DEPLOYMENTS, d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${replicas}`, COMPONENT);
  }

  /**
   * Reconciles `key` now, or, when its Deployment is rolled out ({@link rolledOut}), once the work
   * queues are idle (Backlog.afterIdle, at most {@link FOLLOW_UP_MAX_DELAY_MS}): the follow-ups of
   * finished rollouts do not hold back the steps of the rollouts still in flight. At rest that is
   * the next turn.
   */
  function handle(key: string): void {
    if (released.delete(key)) return reconcile(key);
    const { namespace, name } = splitKey(key);
    const d = api.tryPeek(DEPLOYMENTS, namespace, name);
    if (!d || !rolledOut(d)) return reconcile(key);
    followUps.add(key);
    if (followUpScheduled) return;
    followUpScheduled = true;
    ctx.backlog.afterIdle(() => {
      followUpScheduled = false;
      for (const k of followUps) {
        released.add(k);
        queue.add(k);
      }
      followUps.clear();
    }, FOLLOW_UP_MAX_DELAY_MS);
  }

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const d = api.tryPeek(DEPLOYMENTS, namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = d.spec ?? {};
    const replicas = Number(spec.replicas ?? 1);
    const stored = isObject(spec.template) ? spec.template : {};
    const hash = templateHash(stored);
    const all = replicaSetsOf(d);
    let newRS = all.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const olds = all.filter((rs) => rs !== newRS);
    const maxRevision = Math.max(0, ...all.map(revisionOf));
    let created = false;
    if (spec.paused === true) {
      updateStatus(d, newRS, olds, false);
      return;
    }
    if (!newRS) {
      const template = clone(stored);
      const labels = { ...((template.metadata as JsonObject | undefined)?.labels as Record<string, string> | undefined), 'pod-template-hash': hash };
      const selector = clone(isObject(spec.selector) ? spec.selector : {});
      selector.matchLabels = { ...((selector.matchLabels as Record<string, string>) ?? {}), 'pod-template-hash': hash };
      const rsTemplate = { ...template, metadata: { ...((template.metadata as JsonObject) ?? {}), labels } };
      const strategy = isObject(spec.strategy) ? spec.strategy : {};
      const surge = surgeOf(strategy, replicas);
      const initial = initialReplicas(strategy, olds, replicas, surge);
      newRS = {
        ...api.create(
          RS,
          namespace,
          {
            metadata: {
              name: `${name}-${hash}`,
              namespace,
              labels,
              annotations: {
                'deployment.kubernetes.io/desired-replicas': String(replicas),
                'deployment.kubernetes.io/max-replicas': String(replicas + surge),
                [REVISION]: String(maxRevision + 1),
              },
              ownerReferences: [controllerRef(DEPLOYMENTS, d)],
            },
            spec: { replicas: initial, minReadySeconds: spec.minReadySeconds ?? 0, selector, template: rsTemplate },
          },
          { fieldManager: 'kube-controller-manager', spread: true, shared: true, trusted: true },
        ),
      };
      created = true;
      if (initial > 0) {
        ctx.recorder.record(DEPLOYMENTS, d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRS.metadata.name} from 0 to ${initial}`, COMPONENT);
      }
    } else if (revisionOf(newRS) < maxRevision) {
      const stored = api.peek(RS, namespace, newRS.metadata.name ?? '');
      const latest = { ...stored, metadata: { ...stored.metadata, annotations: { ...(stored.metadata.annotations ?? {}), [REVISION]: String(maxRevision + 1) } } };
      newRS = { ...api.update(RS, namespace, newRS.metadata.name ?? '', latest, { spread: true, shared: true, trusted: true, fieldManager: 'kube-controller-manager' }) };
    }
    const strategy = isObject(spec.strategy) ? spec.strategy : {};
    if (strategy.type === 'Recreate') recreate(d, newRS, olds, replicas);
    else rollingUpdate(d, newRS, olds, replicas, isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {});
    cleanup(d, olds);
    // The revision annotation goes with the status, in one write of the status subresource, as the
    // real controller's getNewReplicaSet sends it (kubernetes pkg/controller/deployment/sync.go).
    updateStatus(d, newRS, olds, created, String(revisionOf(newRS)));
  }

  function recreate(d: KubeObject, newRS: KubeObject, olds: KubeObject[], replicas: number): void {
    for (const rs of olds) if (replicasOf(rs) > 0) scale(d, rs, 0);
    const oldPods = olds.flatMap((rs) => api.store.ownedBy(PODS, rs.metadata.uid, d.metadata.namespace).filter((p) => controllerUid(p) === rs.metadata.uid && podActive(p)));
    if (oldPods.length === 0) scale(d, newRS, replicas);
  }

  function rollingUpdate(d: KubeObject, newRS: KubeObject, olds: KubeObject[], replicas: number, rolling: JsonObject): void {
    let maxSurge = resolveIntOrPercent(rolling.maxSurge ?? '25%', replicas, true);
    let maxUnavailable = resolveIntOrPercent(rolling.maxUnavailable ?? '25%', replicas, false);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    maxSurge = Math.max(0, maxSurge);
    const total = () => replicasOf(newRS) + olds.reduce((n, rs) => n + replicasOf(rs), 0);
    if (replicasOf(newRS) > replicas) scale(d, newRS, replicas);
    else if (replicasOf(newRS) < replicas) {
      const room = replicas + maxSurge - total();
      if (room > 0) scale(d, newRS, Math.min(replicas, replicasOf(newRS) + room));
    }
    const minAvailable = replicas - maxUnavailable;
    const newUnavailable = replicasOf(newRS) - statusNumber(newRS, 'availableReplicas');
    let maxScaledDown = total() - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;
    const sorted = [...olds].sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of sorted) {
      if (maxScaledDown <= 0) break;
      const unhealthy = Math.min(maxScaledDown, replicasOf(rs) - statusNumber(rs, 'availableReplicas'));
      if (unhealthy > 0) {
        scale(d, rs, replicasOf(rs) - unhealthy);
        maxScaledDown -= unhealthy;
      }
    }
    const availableAll = statusNumber(newRS, 'availableReplicas') + olds.reduce((n, rs) => n + Math.min(statusNumber(rs, 'availableReplicas'), replicasOf(rs)), 0);
    let budget = availableAll - minAvailable;
    for (const rs of sorted) {
      if (budget <= 0) break;
      const cut = Math.min(replicasOf(rs), budget);
      if (cut > 0) {
        scale(d, rs, replicasOf(rs) - cut);
        budget -= cut;
      }
    }
  }

  function cleanup(d: KubeObject, olds: KubeObject[]): void {
    const limit = Number(d.spec?.revisionHistoryLimit ?? 10);
    const idle = olds.filter((rs) => replicasOf(rs) === 0 && statusNumber(rs, 'replicas') === 0).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      api.delete(RS, rs.metadata.namespace, rs.metadata.name ?? '');
    }
  }

  /** Writes the Deployment's status (and `revision` as its revision annotation, when given) if either changed. */
  function updateStatus(d: KubeObject, newRS: KubeObject | undefined, olds: KubeObject[], created: boolean, revision?: string): void {
    const current = api.peek(DEPLOYMENTS, d.metadata.namespace, d.metadata.name ?? '');
    const spec = current.spec ?? {};
    const replicas = Number(spec.replicas ?? 1);
    const all = newRS ? [newRS, ...olds] : olds;
    const fresh = all.map((rs) => api.store.get(RS, rs.metadata.namespace, rs.metadata.name ?? '') ?? rs);
    const newFresh = newRS ? fresh[0] : undefined;
    const sum = (key: string) => fresh.reduce((n, rs) => n + statusNumber(rs, key), 0);
    const updated = newFresh ? statusNumber(newFresh, 'replicas') : 0;
    const available = sum('availableReplicas');
    const totalPods = sum('replicas');
    const strategy = isObject(spec.strategy) ? spec.strategy : {};
    const maxUnavailable =
      strategy.type === 'Recreate' ? 0 : resolveIntOrPercent((strategy.rollingUpdate as JsonObject | undefined)?.maxUnavailable ?? '25%', replicas, false);
    const old = current.status ?? {};
    let conditions = (Array.isArray(old.conditions) ? clone(old.conditions) : []) as Condition[];
    const progressed =
      updated !== Number(old.updatedReplicas ?? 0) || available !== Number(old.availableReplicas ?? 0) || totalPods !== Number(old.replicas ?? 0) || created;
    conditions = setCondition(
      conditions,
      available >= replicas - maxUnavailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      false,
    );
    const rsName = newFresh?.metadata.name ?? '';
    const complete = newFresh !== undefined && updated === replicas && totalPods === replicas && available === replicas && replicasOf(newFresh) === replicas;
    const previousProgress = conditions.find((c) => c.type === 'Progressing');
    const deadline = Number(spec.progressDeadlineSeconds ?? 600);
    if (complete) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, progressed);
    } else if (created) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, true);
    } else if (progressed || !previousProgress || previousProgress.reason === 'NewReplicaSetAvailable') {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, true);
    } else if (previousProgress.reason !== 'ProgressDeadlineExceeded') {
      const since = lastProgress.get(keyOf(current)) ?? Date.now();
      const elapsedSimulated = (Date.now() - since) / ctx.timeFactor;
      if (elapsedSimulated >= deadline * 1000) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, true);
      } else {
        queue.addAfter(keyOf(current), deadline * 1000 - elapsedSimulated + 10);
      }
    }
    if (progressed || created || !lastProgress.has(keyOf(current))) lastProgress.set(keyOf(current), Date.now());
    if (!complete && (progressed || created)) queue.addAfter(keyOf(current), deadline * 1000 + 10);
    const status: JsonObject = {
      observedGeneration: current.metadata.generation,
      replicas: totalPods,
      updatedReplicas: updated,
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, replicas - available),
      conditions,
    };
    for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (status[k] === 0) delete status[k];
    const annotations = current.metadata.annotations;
    const revised = revision !== undefined && annotations?.[REVISION] !== revision;
    if (!revised && jsonEqual(status, old)) return;
    const metadata = revised ? { ...current.metadata, annotations: { ...(annotations ?? {}), [REVISION]: revision } } : current.metadata;
    api.update(DEPLOYMENTS, current.metadata.namespace, current.metadata.name ?? '', { ...current, metadata, status }, {
      spread: true,
      shared: true,
      trusted: true,
      subresource: 'status',
      fieldManager: 'kube-controller-manager',
    });
  }

  const unsubscribe = api.store.subscribe((event: StoreEvent) => {
    if (event.resource === DEPLOYMENTS) {
      if (event.type !== 'DELETED') queue.add(keyOf(event.object));
      else lastProgress.delete(keyOf(event.object));
    } else if (event.resource === RS) {
      const owner = (event.object.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'Deployment');
      if (owner) queue.add(`${event.object.metadata.namespace}/${owner.name}`);
    }
  });
  return () => {
    unsubscribe();
    queue.stop();
  };
}
