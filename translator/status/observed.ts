/**
 * Groups a device's observed objects by module and computes every module's reported entry.
 * Objects are matched to modules by the `net.azure-devices.edge.original-moduleid` annotation
 * the translator puts on workloads, pod templates and Services, so the Kubernetes names the
 * translator chose never need to be recomputed here.
 */
import type { DeploymentModel, ModuleModel } from '../manifest/model.js';
import { ORIGINAL_MODULE_ID_ANNOTATION } from '../translate/labels.js';
import type { DeploymentJson, JobJson, ObjectMetaJson, PodJson, ServiceJson } from './kube-json.js';
import type { ReportedModule } from './reported-types.js';
import { moduleRuntimeStatus } from './runtime-status.js';

/** What the watches hold for one device (plain JSON; any order). */
export interface ObservedObjects {
  pods: readonly PodJson[];
  deployments: readonly Omit<DeploymentJson, 'kind'>[];
  jobs: readonly Omit<JobJson, 'kind'>[];
  services: readonly ServiceJson[];
}

function moduleIdOf(object: { metadata?: ObjectMetaJson }): string | undefined {
  return object.metadata?.annotations?.[ORIGINAL_MODULE_ID_ANNOTATION];
}

function byModule<T extends { metadata?: ObjectMetaJson }>(objects: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const o of objects) {
    const id = moduleIdOf(o);
    if (id !== undefined) out.set(id, [...(out.get(id) ?? []), o]);
  }
  return out;
}

/**
 * The reported entry of edgeHub and every user module of `model`, keyed by module id, for
 * {@link reportedDocument}. Pure.
 */
export function moduleStatuses(model: DeploymentModel, observed: ObservedObjects): Map<string, ReportedModule> {
  const pods = byModule(observed.pods);
  const deployments = byModule(observed.deployments);
  const jobs = byModule(observed.jobs);
  const services = byModule(observed.services);
  const modules: ModuleModel[] = [...(model.edgeHub ? [model.edgeHub] : []), ...model.modules];
  const result = new Map<string, ReportedModule>();
  for (const module of modules) {
    const deployment = deployments.get(module.name)?.[0];
    const job = jobs.get(module.name)?.[0];
    const workload: DeploymentJson | JobJson | undefined = job ? { ...job, kind: 'Job' } : deployment ? { ...deployment, kind: 'Deployment' } : undefined;
    // The module's headless Service (clusterIP None) only names it; the published one has the address.
    const service = services.get(module.name)?.find((s) => s.spec?.clusterIP !== 'None');
    result.set(
      module.name,
      moduleRuntimeStatus({ module, pods: pods.get(module.name) ?? [], ...(workload ? { workload } : {}), ...(service ? { service } : {}) }),
    );
  }
  return result;
}
