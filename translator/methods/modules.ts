/**
 * A device's modules as the cluster shows them: the bridge's own status code (`moduleStatuses`)
 * over the device's pods, workloads and Services and the deployment the bridge last applied
 * (its last-good Secret). `list` and `check` read them locally, and the bridge for RunDeviceChecks.
 */
import { WORKLOAD_KINDS, type KubeJson } from '../kinds/index.js';
import { CoreV1Api, RegistryObjectApi, type KubeConfig } from '../kube/index.js';
import type { DeploymentModel } from '../manifest/index.js';
import { KubeApiError, LAST_GOOD_KEY, LAST_GOOD_SECRET, decodeLastGood, toKubeError } from '../reconcile/index.js';
import { moduleStatuses, type DeploymentJson, type JobJson, type PodJson, type ReportedModule, type ServiceJson } from '../status/index.js';
import { ownedSelector } from '../translate/index.js';

/** The deployment the bridge last applied in `namespace` (its last-good Secret), or undefined when there is none. Throws the client's error otherwise. */
export async function lastGoodModel(kubeConfig: KubeConfig, namespace: string): Promise<DeploymentModel | undefined> {
  return (await lastGoodDeployment(kubeConfig, namespace))?.model;
}

/** The deployment the bridge last applied in `namespace` with its `$edgeAgent` desired version, or undefined. Throws the client's error otherwise. */
export async function lastGoodDeployment(kubeConfig: KubeConfig, namespace: string): Promise<{ version: number; model: DeploymentModel } | undefined> {
  const core = new CoreV1Api(kubeConfig);
  let data: string | undefined;
  try {
    data = (await core.readNamespacedSecret({ name: LAST_GOOD_SECRET, namespace })).data?.[LAST_GOOD_KEY];
  } catch (e) {
    const error = toKubeError(e, `reading Secret ${LAST_GOOD_SECRET}`);
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw e;
  }
  if (!data) return undefined;
  const { version, manifest } = decodeLastGood(data);
  const model = (manifest as { model?: DeploymentModel } | null)?.model;
  return model ? { version, model } : undefined;
}

/** edgeHub and every module of `model` as `$edgeAgent` would report them, computed from the device's objects. Throws the client's error. */
export async function clusterModules(kubeConfig: KubeConfig, namespace: string, deviceId: string, model: DeploymentModel): Promise<Record<string, ReportedModule>> {
  const api = RegistryObjectApi.forConfig(kubeConfig);
  const selector = ownedSelector(deviceId);
  const list = async (apiVersion: string, kind: string): Promise<KubeJson[]> =>
    ((await api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, selector)).items as KubeJson[]).map((o) => ({ ...o, apiVersion, kind }));
  const pods = (await list('v1', 'Pod')) as unknown as PodJson[];
  const workloads: (DeploymentJson | JobJson)[] = [];
  for (const kind of WORKLOAD_KINDS) workloads.push(...((await list(kind.apiVersion, kind.kind)) as unknown as (DeploymentJson | JobJson)[]));
  const services = (await list('v1', 'Service')) as unknown as ServiceJson[];
  return Object.fromEntries(moduleStatuses(model, { pods, workloads, services }));
}

/** The deployment the bridge last applied, with its version, and the modules the cluster shows for it. */
export interface ObservedDevice {
  version: number;
  model: DeploymentModel;
  modules: Record<string, ReportedModule>;
}

/** The last good deployment and its modules from the cluster, or undefined before the first deployment. Throws the client's error. */
export async function observedDevice(kubeConfig: KubeConfig, namespace: string, deviceId: string): Promise<ObservedDevice | undefined> {
  const lastGood = await lastGoodDeployment(kubeConfig, namespace);
  return lastGood && { ...lastGood, modules: await clusterModules(kubeConfig, namespace, deviceId, lastGood.model) };
}
