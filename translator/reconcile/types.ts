/** Public types of the reconcile stage. */
import type { KubeConfig } from '../kube/index.js';
import type { DeploymentModel } from '../manifest/index.js';
import type { KubeObject } from '../translate/index.js';
import type { InformerCache } from './informer.js';

/** One desired deployment: its version (twin `$version` or local save counter), model and translated objects. */
export interface DesiredDeployment {
  version: number;
  model: DeploymentModel;
  objects: KubeObject[];
}

/**
 * What one reconcile achieved.
 * - `done`: the cluster matches; `writes` API writes were made (apply, delete), `applied` and
 *   `pruned` name the objects ("Kind/name").
 * - `retry`: a transient failure (5xx, 429, connection); try again after at least `afterMs`
 *   (Retry-After when the server sent one, else 0: the scheduler's backoff decides).
 * - `terminal`: the desired state cannot be applied (invalid objects, API 4xx: code 400) or an
 *   internal error (code 500); reported, not retried until something changes.
 */
export type ReconcileOutcome =
  | { kind: 'done'; writes: number; applied: string[]; pruned: string[] }
  | { kind: 'retry'; afterMs: number; error: string }
  | { kind: 'terminal'; code: 400 | 500; description: string };

/** Log function; `fields` never carry Secret content. */
export type ReconcileLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

export interface ReconcilerOptions {
  kubeConfig: KubeConfig;
  /** The device's namespace (one device per namespace). */
  namespace: string;
  /** IoT Hub device id; its label value selects the owned objects. */
  deviceId: string;
  /** Server-side apply field manager. @default 'iotedge-k8s' */
  fieldManager?: string;
  /** Longest wait for a startupOrder group's pods before the next group starts. @default 60000 */
  startupGroupTimeoutMs?: number;
  log?: ReconcileLog;
  /**
   * The namespace as the bridge knows it: planning, pruning and startup waits read it instead
   * of the API. Started by the first reconcile when not yet started; the caller stops it.
   */
  cache: InformerCache;
}
