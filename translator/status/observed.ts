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

/** Observed objects by module id; each module's workloads in the kind registry's priority order. */
export interface ModuleObjects {
  pods: Map<string, PodJson[]>;
  workloads: Map<string, (DeploymentJson | JobJson)[]>;
  services: Map<string, ServiceJson[]>;
}

const workloadRank = (w: { kind: string }) => WORKLOAD_KINDS.findIndex((k) => k.kind === w.kind);

/** Groups the observed objects by module (the reported statuses and the applied version's progress both read them so). */
export function objectsByModule(observed: ObservedObjects): ModuleObjects {
  const workloads = byModule(observed.workloads);
  for (const list of workloads.values()) list.sort((a, b) => workloadRank(a) - workloadRank(b));
  return { pods: byModule(observed.pods), workloads, services: byModule(observed.services) };
}

/** A module's workload: during a kind change a module may have two, and the registry's priority decides. */
export function workloadOf(objects: ModuleObjects, moduleId: string): DeploymentJson | JobJson | undefined {
  return objects.workloads.get(moduleId)?.find((w) => workloadRank(w) >= 0);
}

/**
 * The reported entry of edgeHub and every user module of `model`, keyed by module id, for
 * {@link reportedDocument}. Pure.
 */
export function moduleStatuses(model: DeploymentModel, observed: ObservedObjects): Map<string, ReportedModule> {
  const objects = objectsByModule(observed);
  const modules: ModuleModel[] = [...(model.edgeHub ? [model.edgeHub] : []), ...model.modules];
  const result = new Map<string, ReportedModule>();
  for (const module of modules) {
    const workload = workloadOf(objects, module.name);
    // The module's headless Service (clusterIP None) only names it; the published one has the address.
    const service = objects.services.get(module.name)?.find((s) => s.spec?.clusterIP !== 'None');
    result.set(
      module.name,
      moduleRuntimeStatus({ module, pods: objects.pods.get(module.name) ?? [], ...(workload ? { workload } : {}), ...(service ? { service } : {}) }),
    );
  }
  return result;
}
