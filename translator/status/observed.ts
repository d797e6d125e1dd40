/**
 * Groups a device's observed objects by module and computes every module's reported entry.
 * Objects are matched to modules by the `net.azure-devices.edge.original-moduleid` annotation
 * the translator puts on workloads, pod templates and Services, so the Kubernetes names the
 * translator chose never need to be recomputed here.
 */
import { WORKLOAD_KINDS } from '../kinds/index.js';
import type { DeploymentModel, ModuleModel } from '../manifest/index.js';
import { ORIGINAL_MODULE_ID_ANNOTATION } from '../translate/index.js';
import type { DeploymentJson, JobJson, ObjectMetaJson, PodJson, ServiceJson } from './kube-json.js';
import type { ReportedModule } from './reported-types.js';
import { moduleRuntimeStatus } from './runtime-status.js';

/** What the watches hold for one device (plain JSON; any order). */
export interface ObservedObjects {
  pods: readonly PodJson[];
  /** Objects of the kind registry's workload kinds, each with its `kind`. */
  workloads: readonly (DeploymentJson | JobJson)[];
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
  const workloads = byModule(observed.workloads);
  // During a kind change a module may have two workloads: the registry's priority decides.
  const rank = (w: { kind: string }) => WORKLOAD_KINDS.findIndex((k) => k.kind === w.kind);
  for (const list of workloads.values()) list.sort((a, b) => rank(a) - rank(b));
  const services = byModule(observed.services);
  const modules: ModuleModel[] = [...(model.edgeHub ? [model.edgeHub] : []), ...model.modules];
  const result = new Map<string, ReportedModule>();
  for (const module of modules) {
    const workload = workloads.get(module.name)?.find((w) => rank(w) >= 0);
    // The module's headless Service (clusterIP None) only names it; the published one has the address.
    const service = services.get(module.name)?.find((s) => s.spec?.clusterIP !== 'None');
    result.set(
      module.name,
      moduleRuntimeStatus({ module, pods: pods.get(module.name) ?? [], ...(workload ? { workload } : {}), ...(service ? { service } : {}) }),
    );
  }
  return result;
}
