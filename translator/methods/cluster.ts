/**
 * The Kubernetes reads and writes the direct methods need, through the bridge's Kubernetes client (translator/kube):
 * a device's module pods and workloads (found by the managed-by and device labels and the
 * original-moduleid annotation), pod logs, a Deployment rollout restart and pod deletion.
 * API failures become {@link MethodError}s with status 500 and a message without secrets.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { POD_KIND, WORKLOAD_KINDS, type KindSpec, type KubeJson, type ObjectReader, type WorkloadRules } from '../kinds/index.js';
import { ApiException, CoreV1Api, PatchStrategy, RegistryObjectApi, type KubeConfig } from '../kube/index.js';
import { KubeApiError, KubeConnectionError, toKubeError } from '../reconcile/index.js';
import { MODULE_RESTARTS_ANNOTATION } from '../status/index.js';
import { ORIGINAL_MODULE_ID_ANNOTATION, ownedSelector } from '../translate/index.js';
import { MethodError } from './requests.js';

/** The pod template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** A module's workload: its kind's entry in the kind registry and the object. */
export interface Workload {
  kind: KindSpec & { workload: WorkloadRules };
  object: KubeJson;
}

/** A client failure as the 500 a method answers, through reconcile's normaliser of client errors. */
function apiError(e: unknown, what: string): MethodError {
  if (e instanceof MethodError) return e;
  const error = toKubeError(e, what);
  if (error instanceof KubeApiError) return new MethodError(500, `${what} failed (Kubernetes API ${error.status}): ${error.apiMessage}`);
  if (error instanceof KubeConnectionError) return new MethodError(500, `${what} failed: cannot reach the Kubernetes API: ${error.causeMessage}`);
  return new MethodError(500, `${what} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
}

function moduleIdOf(object: { metadata?: { annotations?: Record<string, string> } }): string | undefined {
  return object.metadata?.annotations?.[ORIGINAL_MODULE_ID_ANNOTATION];
}

/** Cluster access scoped to one device's namespace and objects. */
export class DeviceCluster {
  private readonly core: CoreV1Api;
  private readonly objects: RegistryObjectApi;
  private readonly selector: string;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
    deviceId: string,
    /** The bridge's informer cache: pods and workloads are read from it instead of the API. */
    private readonly cache?: ObjectReader,
  ) {
    this.core = new CoreV1Api(kubeConfig);
    this.objects = RegistryObjectApi.forConfig(kubeConfig);
    this.selector = ownedSelector(deviceId);
  }

  /** The device's pods grouped by module id. */
  async podsByModule(): Promise<Map<string, V1Pod[]>> {
    let pods: V1Pod[];
    try {
      pods = this.cache ? (this.cache.list(POD_KIND.kind) as V1Pod[]) : (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.selector })).items;
    } catch (e) {
      throw apiError(e, 'listing pods');
    }
    const byModule = new Map<string, V1Pod[]>();
    for (const pod of pods) {
      const id = moduleIdOf(pod);
      if (id === undefined) continue;
      byModule.set(id, [...(byModule.get(id) ?? []), pod]);
    }
    return byModule;
  }

  /** The workload of a module (of the registry's workload kinds, by their priority), or undefined. */
  async workloadOf(moduleId: string): Promise<Workload | undefined> {
    try {
      for (const kind of WORKLOAD_KINDS) {
        const items = this.cache
          ? this.cache.list(kind.kind)
          : (await this.objects.list(kind.apiVersion, kind.kind, this.namespace, undefined, undefined, undefined, undefined, this.selector)).items;
        const object = items.find((o) => moduleIdOf(o) === moduleId);
        if (object) return { kind, object: object as KubeJson };
      }
      return undefined;
    } catch (e) {
      throw apiError(e, `finding the workload of module '${moduleId}'`);
    }
  }

  /** Rollout restart: sets the restartedAt annotation of the workload's pod template and counts the restart. */
  async rolloutRestart(workload: Workload, at: Date): Promise<void> {
    const name = workload.object.metadata?.name ?? '';
    const template = (workload.object as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }).spec?.template;
    const before = Number(template?.metadata?.annotations?.[MODULE_RESTARTS_ANNOTATION] ?? 0);
    const restarts = (Number.isInteger(before) && before > 0 ? before : 0) + 1;
    const body = {
      apiVersion: workload.kind.apiVersion,
      kind: workload.kind.kind,
      metadata: { name, namespace: this.namespace },
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at.toISOString(), [MODULE_RESTARTS_ANNOTATION]: String(restarts) } } } },
    };
    try {
      await this.objects.patch(body as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    } catch (e) {
      throw apiError(e, `restarting ${workload.kind.kind} '${name}'`);
    }
  }

  /** Deletes a pod (its controller creates a new one). */
  async deletePod(name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ name, namespace: this.namespace });
    } catch (e) {
      throw apiError(e, `deleting pod '${name}'`);
    }
  }

  /**
   * The log of a pod's first container with timestamps; `undefined` when the container has not
   * started (the kubelet answers 400 then). `since` and `tailLines` narrow what the kubelet sends.
   */
  async podLog(pod: V1Pod, range: { since?: Date; tailLines?: number } = {}): Promise<string | undefined> {
    const sinceTime = range.since;
    const name = pod.metadata?.name ?? '';
    const container = pod.spec?.containers?.[0]?.name;
    try {
      const text = await this.core.readNamespacedPodLog({
        name,
        namespace: this.namespace,
        timestamps: true,
        ...(container ? { container } : {}),
        ...(range.tailLines !== undefined ? { tailLines: range.tailLines } : {}),
        ...(sinceTime ? { sinceSeconds: Math.max(1, Math.ceil((Date.now() - sinceTime.getTime()) / 1000)) } : {}),
      });
      return typeof text === 'string' ? text : String(text ?? '');
    } catch (e) {
      if (e instanceof ApiException && (e.code === 400 || e.code === 404)) return undefined;
      throw apiError(e, `reading the log of pod '${name}'`);
    }
  }
}
