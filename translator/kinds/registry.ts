/**
 * The Kubernetes kinds the bridge writes and reads: one entry per kind, which translate,
 * reconcile, status and methods all read instead of naming kinds themselves.
 *
 * Adding a kind = one entry here plus its translation file in translate/ (which builds the
 * objects). Its apply and prune order, list/watch paths, informer, and, for a workload, how its
 * pods are found, when it has started and how a restart is done, all follow from the entry.
 *
 * Learned from controller-runtime's RESTMapper (`pkg/client/apiutil`): code asks the registry
 * for a kind's group, version, plural and scope instead of switching on kind names.
 */

/** The parts of any object the registry's rules read (plain JSON, as the API sends it). */
export interface KubeJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    uid?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: readonly { uid?: string }[];
    deletionTimestamp?: unknown;
  };
  spec?: unknown;
  status?: unknown;
}

/** See {@link WorkloadRules.rollout}. */
export type RolloutState = { kind: 'pending' | 'failed'; reason: string };

/** What the bridge does to a workload when RestartModule asks it to. */
export type RestartRule =
  /** Set the pod template's restartedAt annotation (`kubectl rollout restart`). */
  | 'rollout'
  /** Delete the running pods; the controller makes new ones. */
  | 'delete-pods';

/** Rules of a kind that runs a module's pods. */
export interface WorkloadRules {
  /**
   * Whether `pod` (already one of the same module's pods) belongs to this very object: a
   * replaced Job's pods may linger while they are garbage-collected.
   */
  ownsPod(workload: KubeJson, pod: KubeJson): boolean;
  /**
   * Whether the written workload has started, for startupOrder: `live` is the object as the
   * cluster holds it now, `appliedGeneration` the generation the apply answered, `pods` its pods.
   */
  started(live: KubeJson, appliedGeneration: number | undefined, pods: readonly KubeJson[]): boolean;
  /**
   * For a kind that runs to completion: 'complete' or 'failed' once it has ended, else
   * undefined (its pods tell the status). Absent for kinds that run until stopped.
   */
  completion?(live: KubeJson): 'complete' | 'failed' | undefined;
  /**
   * For the deployment status (`lastDesiredStatus`): why the workload cannot create pods
   * (`failed`), or why none of its current template can be judged yet (`pending`); undefined
   * when its newest pod tells. Absent for kinds whose pods always tell.
   */
  rollout?(live: KubeJson): RolloutState | undefined;
  /** True when the workload is scaled to zero (a stopped module). */
  stopped(live: KubeJson): boolean;
  restart: RestartRule;
  /** The pod template cannot change in place: a changed object is deleted and created again. */
  replaceOnChange: boolean;
  /**
   * Preference when a module has workloads of several kinds (only during a kind change):
   * the highest wins for status and methods.
   */
  statusPriority: number;
}

/** One kind. */
export interface KindSpec {
  apiVersion: string;
  kind: string;
  /** URL path segment of its collection. */
  plural: string;
  namespaced: boolean;
  /**
   * Position in apply order (lower first: what others refer to exists first); prune runs in
   * reverse. Undefined for kinds the bridge only reads.
   */
  applyOrder?: number;
  /**
   * `owned`: the bridge writes it and deletes the device's owned objects no longer desired.
   * `read`: the bridge only reads it (pods).
   */
  prune: 'owned' | 'read';
  /** Present for kinds that run a module's containers. */
  workload?: WorkloadRules;
}

interface PodLike {
  status?: { phase?: string; containerStatuses?: readonly { started?: boolean; state?: { running?: unknown } }[] };
}

interface DeploymentLike {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: readonly { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

/** A pod that runs with all containers started, or that already ran to an end. */
export function podStarted(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  if (phase !== 'Running') return false;
  const containers = pod.status?.containerStatuses ?? [];
  return containers.length > 0 && containers.every((c) => c.started === true || c.state?.running !== undefined);
}

/**
 * A Deployment whose applied generation is rolled out and available: the controller has seen
 * it and every replica of the new revision is updated and available. 0 replicas counts as started.
 */
export function deploymentStarted(deployment: DeploymentLike, appliedGeneration: number | undefined): boolean {
  const replicas = deployment.spec?.replicas ?? 1;
  if (replicas === 0) return true;
  const status = deployment.status ?? {};
  const generation = appliedGeneration ?? deployment.metadata?.generation ?? 0;
  return (
    (status.observedGeneration ?? 0) >= generation &&
    (status.updatedReplicas ?? 0) >= replicas &&
    (status.availableReplicas ?? 0) >= replicas &&
    (status.unavailableReplicas ?? 0) === 0
  );
}

/**
 * A Deployment's rollout, for the deployment status: failed when its pods cannot be created
 * (condition `ReplicaFailure`), pending until the controller has seen the applied generation and
 * made a pod of the current template.
 */
export function deploymentRollout(deployment: DeploymentLike): RolloutState | undefined {
  const failure = deployment.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) return { kind: 'failed', reason: `pods cannot be created (${reasonText(failure.reason, failure.message)})` };
  const generation = deployment.metadata?.generation;
  if (generation !== undefined && (deployment.status?.observedGeneration ?? 0) < generation) return { kind: 'pending', reason: 'Deployment not rolled out yet' };
  if ((deployment.status?.updatedReplicas ?? 0) < 1) return { kind: 'pending', reason: 'no pod of the current template yet' };
  return undefined;
}

/** A condition's or a container state's reason and message as one text: `Reason: message`. */
export function reasonText(reason: string | undefined, message: string | undefined): string {
  return [reason?.trim(), message?.trim()].filter(Boolean).join(': ') || 'unknown reason';
}

/** True when a condition of `type` has status `True`. */
export function conditionTrue(conditions: readonly { type?: string; status?: string }[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

const ownedByUid = (workload: KubeJson, pod: KubeJson): boolean =>
  workload.metadata?.uid !== undefined && (pod.metadata?.ownerReferences ?? []).some((ref) => ref.uid === workload.metadata?.uid);

/** Every kind the bridge knows, in apply order. */
export const KINDS: readonly KindSpec[] = [
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, applyOrder: 10, prune: 'owned' },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, applyOrder: 20, prune: 'owned' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, applyOrder: 30, prune: 'owned' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true, applyOrder: 40, prune: 'owned' },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    applyOrder: 50,
    prune: 'owned',
    workload: {
      // Its pods belong to its ReplicaSets; the module's pods are the Deployment's.
      ownsPod: () => true,
      started: (live, appliedGeneration) => deploymentStarted(live as DeploymentLike, appliedGeneration),
      rollout: (live) => deploymentRollout(live as DeploymentLike),
      stopped: (live) => ((live as DeploymentLike).spec?.replicas ?? 1) === 0,
      restart: 'rollout',
      replaceOnChange: false,
      statusPriority: 1,
    },
  },
  {
    apiVersion: 'batch/v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
    applyOrder: 60,
    prune: 'owned',
    workload: {
      ownsPod: ownedByUid,
      // One of its own pods runs with every container started, or has already finished.
      started: (live, _generation, pods) => pods.some((pod) => ownedByUid(live, pod) && podStarted(pod as PodLike)),
      completion: (live) => {
        const conditions = (live.status as { conditions?: readonly { type?: string; status?: string }[] } | undefined)?.conditions;
        return conditionTrue(conditions, 'Complete') ? 'complete' : conditionTrue(conditions, 'Failed') ? 'failed' : undefined;
      },
      stopped: () => false,
      restart: 'delete-pods',
      replaceOnChange: true,
      statusPriority: 2,
    },
  },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, prune: 'read' },
];

/** The kinds the bridge writes (and prunes), in apply order. */
export const MANAGED_KINDS: readonly KindSpec[] = KINDS.filter((k) => k.prune === 'owned').sort((a, b) => (a.applyOrder ?? 0) - (b.applyOrder ?? 0));

/** The kinds that run a module's pods, highest status priority first. */
export const WORKLOAD_KINDS: readonly (KindSpec & { workload: WorkloadRules })[] = KINDS.filter((k): k is KindSpec & { workload: WorkloadRules } => k.workload !== undefined).sort(
  (a, b) => b.workload.statusPriority - a.workload.statusPriority,
);

/** The Pod kind (the workloads' pods). */
export const POD_KIND: KindSpec = KINDS.find((k) => k.kind === 'Pod')!;

const BY_KIND = new Map(KINDS.map((k) => [k.kind, k]));

/** The entry of a kind name, or undefined when the bridge does not know it. */
export function kindSpec(kind: string): KindSpec | undefined {
  return BY_KIND.get(kind);
}

/** The workload rules of a kind name, or undefined for a kind that runs no pods. */
export function workloadRules(kind: string): WorkloadRules | undefined {
  return BY_KIND.get(kind)?.workload;
}

/** Apply rank of a kind name; unknown kinds sort last. */
export function applyRank(kind: string): number {
  return BY_KIND.get(kind)?.applyOrder ?? Number.MAX_SAFE_INTEGER;
}

/** `/api/v1/namespaces/NS/pods` or `/apis/apps/v1/namespaces/NS/deployments`. */
export function collectionPath(kind: Pick<KindSpec, 'apiVersion' | 'plural' | 'namespaced'>, namespace: string): string {
  const root = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return kind.namespaced ? `${root}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}` : `${root}/${kind.plural}`;
}

/** "Deployment/web": how objects are named in outcomes, logs and caches. */
export function objectKey(object: { kind?: string; metadata?: { name?: string } }): string {
  return `${object.kind ?? ''}/${object.metadata?.name ?? ''}`;
}

/** Read access to a device's objects as an informer cache holds them (status and methods read it). */
export interface ObjectReader {
  /** The device's owned objects of a kind (plain JSON, with `kind` set), in no order. */
  list(kind: string): readonly KubeJson[];
}
