/**
 * The apply plan, a pure function of what is desired and what the cluster holds:
 * which objects to write (grouped by the modules' startupOrder), which Jobs to replace and
 * which owned objects to prune. The reconciler only executes it.
 */
import type { DeploymentModel } from '../manifest/index.js';
import type { KubeObject } from '../translate/index.js';
import { changeReason, withHashAnnotation } from './compare.js';
import { applyRank, kindSpec, objectKey, workloadRules } from '../kinds/index.js';
import { MODULE_LABEL, ORIGINAL_MODULE_ID_ANNOTATION, isOwnedBy } from '../translate/index.js';

/** One object to write. `replace`: a workload whose pod template cannot change in place (a Job): delete, wait until gone, create. */
export interface WriteAction {
  object: KubeObject;
  mode: 'apply' | 'replace';
  reason: 'missing' | 'changed' | 'drifted';
}

/** The objects of the modules sharing one startupOrder value. */
export interface StartupGroup {
  /** startupOrder; shared objects (pull Secrets, shared claims) come first with -Infinity. */
  order: number;
  /** Kubernetes names of the group's modules. */
  modules: string[];
  writes: WriteAction[];
}

export interface Plan {
  /** Ascending startupOrder; within a group, writes in apply order of kinds (the kind registry). */
  groups: StartupGroup[];
  /** Owned objects that are no longer desired, in prune order (workloads first). */
  prune: KubeObject[];
  /** Owned claims that are no longer desired but still mounted by a desired module: kept. */
  keptClaims: string[];
  /** Desired objects that need no write. */
  unchanged: number;
}

/** A desired object that cannot be applied as it is. */
export interface DesiredProblem {
  key: string;
  message: string;
}

/** Checks the desired objects belong to this device and namespace and are of a managed kind. */
export function desiredProblems(objects: readonly KubeObject[], namespace: string, deviceId: string): DesiredProblem[] {
  const problems: DesiredProblem[] = [];
  const seen = new Set<string>();
  for (const object of objects) {
    const key = objectKey(object);
    const managed = kindSpec(object.kind);
    if (!managed || managed.prune !== 'owned' || managed.apiVersion !== object.apiVersion)
      problems.push({ key, message: `${key}: ${object.apiVersion} ${object.kind} is not a kind the bridge manages` });
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace)
      problems.push({ key, message: `${key}: namespace '${object.metadata.namespace}' is not the device namespace '${namespace}'` });
    if (!isOwnedBy(object.metadata.labels, deviceId)) problems.push({ key, message: `${key}: does not carry the ownership labels of device '${deviceId}'` });
    if (seen.has(key)) problems.push({ key, message: `${key}: desired twice` });
    seen.add(key);
  }
  return problems;
}

/** startupOrder of each module by its original id (edgeHub and user modules). */
function startupOrders(model: DeploymentModel): Map<string, number> {
  const orders = new Map<string, number>();
  for (const m of [...(model.edgeHub ? [model.edgeHub] : []), ...model.modules]) orders.set(m.name, m.startupOrder);
  return orders;
}

/** Claim names mounted by the desired workloads' pod templates. */
export function claimsInUse(objects: readonly KubeObject[]): Set<string> {
  const used = new Set<string>();
  for (const object of objects) {
    if (!workloadRules(object.kind)) continue;
    const spec = object.spec as { template?: { spec?: { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> } } } | undefined;
    for (const volume of spec?.template?.spec?.volumes ?? []) {
      const claim = volume.persistentVolumeClaim?.claimName;
      if (claim) used.add(claim);
    }
  }
  return used;
}

/**
 * Plans a reconcile. `desired` are the translated objects (namespace set), `live` the owned
 * objects the cluster has (by "Kind/name").
 */
export function planReconcile(desired: readonly KubeObject[], live: ReadonlyMap<string, KubeObject>, model: DeploymentModel): Plan {
  const orders = startupOrders(model);
  const groups = new Map<number, StartupGroup>();
  let unchanged = 0;
  const group = (order: number): StartupGroup => {
    let g = groups.get(order);
    if (!g) groups.set(order, (g = { order, modules: [], writes: [] }));
    return g;
  };
  for (const object of desired) {
    const moduleId = object.metadata.annotations?.[ORIGINAL_MODULE_ID_ANNOTATION];
    const moduleName = object.metadata.labels?.[MODULE_LABEL];
    const order = moduleId === undefined ? -Infinity : (orders.get(moduleId) ?? Number.MAX_SAFE_INTEGER);
    const g = group(order);
    if (moduleId !== undefined && moduleName !== undefined && !g.modules.includes(moduleName)) g.modules.push(moduleName);
    const applied = withHashAnnotation(object);
    const current = live.get(objectKey(object));
    const reason = changeReason(applied, current);
    if (!reason) {
      unchanged++;
      continue;
    }
    const mode = workloadRules(object.kind)?.replaceOnChange && current !== undefined ? 'replace' : 'apply';
    g.writes.push({ object: applied, mode, reason });
  }
  const wanted = new Set(desired.map(objectKey));
  const inUse = claimsInUse(desired);
  const keptClaims: string[] = [];
  const prune = [...live.values()]
    .filter((o) => !wanted.has(objectKey(o)))
    .filter((o) => {
      if (o.kind !== 'PersistentVolumeClaim' || !inUse.has(o.metadata.name)) return true;
      keptClaims.push(o.metadata.name);
      return false;
    })
    .sort((a, b) => applyRank(b.kind) - applyRank(a.kind) || (a.metadata.name < b.metadata.name ? -1 : 1));
  const kindRank = (w: WriteAction) => applyRank(w.object.kind);
  for (const g of groups.values()) g.writes.sort((a, b) => kindRank(a) - kindRank(b));
  return { groups: [...groups.values()].sort((a, b) => a.order - b.order), prune, keptClaims, unchanged };
}
