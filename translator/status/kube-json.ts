/**
 * The few fields of Kubernetes objects the status stage reads, as plain JSON (what the API
 * server sends and a watch cache holds). Structural types of our own, so callers can pass
 * objects from any client without conversion; every field is optional because we never trust
 * a status to be complete.
 */

/** A time as JSON carries it (RFC 3339), or as @kubernetes/client-node deserializes it. */
export type Timestamp = string | Date;

/** `metadata` of any object. */
export interface ObjectMetaJson {
  name?: string;
  namespace?: string;
  creationTimestamp?: Timestamp;
  deletionTimestamp?: Timestamp;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A terminated container state. */
export interface TerminatedJson {
  exitCode?: number;
  reason?: string;
  message?: string;
  startedAt?: Timestamp;
  finishedAt?: Timestamp;
}

/** One of `running`, `waiting`, `terminated` (or none). */
export interface ContainerStateJson {
  running?: { startedAt?: Timestamp };
  waiting?: { reason?: string; message?: string };
  terminated?: TerminatedJson;
}

export interface ContainerStatusJson {
  name?: string;
  state?: ContainerStateJson;
  lastState?: ContainerStateJson;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  image?: string;
  imageID?: string;
}

export interface PodConditionJson {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface ContainerSpecJson {
  name?: string;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
}

/** A Pod as plain JSON. */
export interface PodJson {
  kind?: string;
  metadata?: ObjectMetaJson;
  spec?: { containers?: ContainerSpecJson[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: PodConditionJson[];
    containerStatuses?: ContainerStatusJson[];
  };
}

/** A workload condition (Deployment or Job). */
export interface WorkloadConditionJson {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** A Deployment as plain JSON. */
export interface DeploymentJson {
  kind: 'Deployment';
  metadata?: ObjectMetaJson;
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; updatedReplicas?: number; observedGeneration?: number; conditions?: WorkloadConditionJson[] };
}

/** A Job as plain JSON. */
export interface JobJson {
  kind: 'Job';
  metadata?: ObjectMetaJson;
  status?: { active?: number; succeeded?: number; failed?: number; conditions?: WorkloadConditionJson[] };
}

/** A Service as plain JSON. */
export interface ServiceJson {
  kind?: string;
  metadata?: ObjectMetaJson;
  spec?: { type?: string; clusterIP?: string; ports?: { port?: number; protocol?: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}
