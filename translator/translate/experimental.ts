/**
 * `k8s-experimental`: Kubernetes fragments inside createOptions, as the IoT Edge on Kubernetes
 * preview and Azure Stack Edge accept them. Keys are case-insensitive. Supported: nodeSelector,
 * resources, volumes ([{volume, volumeMounts}]), securityContext (pod level), serviceOptions
 * ({type, loadBalancerIP}), strategy, tolerations, affinity. Values are type-checked here and
 * otherwise passed on verbatim; unknown keys warn.
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { Experimental, Quantities, Resources } from './spec.js';
import { isIpAddress, isObject, readArray, readObject, readString, readStringMap, typeName } from './values.js';
import { parseQuantity } from './resources.js';
import { quantityString, volumeWithQuantityStrings } from './quantity.js';
import { isDns1123Label, isQualifiedName } from './names.js';
import { hasBacksteps } from './volumes.js';
import { readPodSecurityContext } from './pod-security-context.js';
import { sortedKeys } from '../shared/index.js';
import { canonicalFragment, sortedRecord } from './canonical.js';

const KEYS = ['nodeSelector', 'resources', 'volumes', 'securityContext', 'serviceOptions', 'strategy', 'tolerations', 'affinity'] as const;
type Key = (typeof KEYS)[number];

/** The object's keys matched case-insensitively to `known`; duplicates (by case) are errors, unknown keys warn. */
function matchKeys<K extends string>(
  obj: Record<string, unknown>,
  known: readonly K[],
  pointer: string,
  issues: Issues,
  what: string,
): Map<K, { key: string; value: unknown }> {
  const out = new Map<K, { key: string; value: unknown }>();
  for (const key of sortedKeys(obj)) {
    const match = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (match === undefined) {
      issues.warn(joinPointer(pointer, key), `${what} key '${key}' is not supported and is ignored (supported: ${known.join(', ')})`);
      continue;
    }
    const previous = out.get(match);
    if (previous) {
      issues.error(joinPointer(pointer, key), `${what} key '${key}' repeats '${previous.key}' (keys are case-insensitive)`);
      continue;
    }
    out.set(match, { key, value: obj[key] });
  }
  return out;
}

/** Container resource names the API server accepts without a domain prefix. */
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Why a container resource name is refused by the API server, or undefined. */
export function resourceNameProblem(name: string): string | undefined {
  if (STANDARD_RESOURCES.has(name)) return undefined;
  if (/^hugepages-/.test(name)) return parseQuantity(name.slice('hugepages-'.length)) !== undefined ? undefined : 'hugepages-<size> needs a page size quantity (hugepages-2Mi)';
  if (!name.includes('/')) return `a resource without a domain prefix must be one of ${[...STANDARD_RESOURCES].join(', ')} or hugepages-<size> (extended resources look like nvidia.com/gpu)`;
  if (!isQualifiedName(name)) return 'an extended resource name must be a qualified name: a DNS subdomain prefix, a slash, and a name of letters, digits, -, _ or .';
  const prefix = name.slice(0, name.lastIndexOf('/'));
  if (prefix === 'kubernetes.io' || prefix.endsWith('.kubernetes.io') || name.startsWith('requests.')) return `the prefix '${prefix}' is reserved by Kubernetes`;
  return undefined;
}

function readQuantities(value: unknown, pointer: string, issues: Issues): Quantities | undefined {
  const obj = readObject(value, pointer, issues);
  if (!obj) return undefined;
  const out: Quantities = {};
  for (const [name, q] of Object.entries(obj)) {
    const p = joinPointer(pointer, name);
    const nameProblem = resourceNameProblem(name);
    if (nameProblem !== undefined) issues.error(p, `resource name '${name}' is not one Kubernetes accepts: ${nameProblem}`);
    else if ((typeof q === 'string' || typeof q === 'number') && parseQuantity(q) !== undefined && parseQuantity(q)! >= 0) out[name] = quantityString(q);
    else issues.error(p, `resource '${name}' must be a quantity such as "500m", "128Mi" or 2, found ${JSON.stringify(q)}`);
  }
  return out;
}

function readResources(value: unknown, pointer: string, issues: Issues): Partial<Resources> | undefined {
  const obj = readObject(value, pointer, issues);
  if (!obj) return undefined;
  const keys = matchKeys(obj, ['limits', 'requests'] as const, pointer, issues, 'resources');
  const out: Partial<Resources> = {};
  for (const [k, { key, value: v }] of keys) {
    const q = readQuantities(v, joinPointer(pointer, key), issues);
    if (q) out[k] = q;
  }
  return out;
}

function readObjectList(value: unknown, pointer: string, issues: Issues): Record<string, unknown>[] | undefined {
  const list = readArray(value, pointer, issues);
  if (!list) return undefined;
  let ok = true;
  list.forEach((item, i) => {
    if (!isObject(item)) {
      issues.error(joinPointer(pointer, i), `expected an object at ${joinPointer(pointer, i)}, found ${typeName(item)}`);
      ok = false;
    }
  });
  return ok ? (list as Record<string, unknown>[]) : undefined;
}

function readExperimentalVolumes(value: unknown, pointer: string, issues: Issues): Experimental['volumes'] {
  const list = readObjectList(value, pointer, issues);
  if (!list) return undefined;
  const out: NonNullable<Experimental['volumes']> = [];
  list.forEach((entry, i) => {
    const p = joinPointer(pointer, i);
    const keys = matchKeys(entry, ['volume', 'volumeMounts'] as const, p, issues, 'volumes entry');
    const volumeKey = keys.get('volume');
    const volume = readObject(volumeKey?.value, joinPointer(p, volumeKey?.key ?? 'volume'), issues);
    const mountsKey = keys.get('volumeMounts');
    const mounts = readObjectList(mountsKey?.value ?? [], joinPointer(p, mountsKey?.key ?? 'volumeMounts'), issues);
    if (!volume || !mounts) {
      if (volumeKey === undefined) issues.error(p, `volumes entry ${p} needs a "volume" object`);
      return;
    }
    if (typeof volume.name !== 'string' || !isDns1123Label(volume.name)) {
      issues.error(joinPointer(p, volumeKey!.key, 'name'), `volume name ${JSON.stringify(volume.name)} must be a DNS-1123 label`);
      return;
    }
    const hostPath = isObject(volume.hostPath) ? volume.hostPath : undefined;
    if (hostPath && typeof hostPath.path === 'string' && hasBacksteps(hostPath.path)) {
      issues.error(joinPointer(p, volumeKey!.key, 'hostPath', 'path'), `hostPath path '${hostPath.path}' must not contain '..' (Kubernetes refuses it)`);
      return;
    }
    mounts.forEach((m, j) => {
      if (typeof m.mountPath !== 'string' || !m.mountPath.startsWith('/'))
        issues.error(joinPointer(p, mountsKey!.key, j, 'mountPath'), 'volumeMounts entries need an absolute mountPath');
    });
    out.push({ volume: canonicalFragment(volumeWithQuantityStrings(volume)), volumeMounts: mounts.map((m) => canonicalFragment({ ...m, name: volume.name })) });
  });
  return out;
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;

function readServiceOptions(value: unknown, pointer: string, issues: Issues): Experimental['serviceOptions'] {
  const obj = readObject(value, pointer, issues);
  if (!obj) return undefined;
  const keys = matchKeys(obj, ['type', 'loadBalancerIP'] as const, pointer, issues, 'serviceOptions');
  const out: NonNullable<Experimental['serviceOptions']> = {};
  const typeKey = keys.get('type');
  if (typeKey) {
    const type = readString(typeKey.value, joinPointer(pointer, typeKey.key), issues);
    const match = SERVICE_TYPES.find((t) => t.toLowerCase() === type?.toLowerCase());
    if (type !== undefined && match === undefined)
      issues.error(joinPointer(pointer, typeKey.key), `serviceOptions type '${type}' must be one of ${SERVICE_TYPES.join(', ')}`);
    out.type = match;
  }
  const ipKey = keys.get('loadBalancerIP');
  if (ipKey) {
    const ip = readString(ipKey.value, joinPointer(pointer, ipKey.key), issues);
    if (ip !== undefined && !isIpAddress(ip)) issues.error(joinPointer(pointer, ipKey.key), `loadBalancerIP '${ip}' is not an IP address`);
    else out.loadBalancerIP = ip;
  }
  return out;
}

function readStrategy(value: unknown, pointer: string, issues: Issues): Record<string, unknown> | undefined {
  const obj = readObject(value, pointer, issues);
  if (!obj) return undefined;
  const type = readString(obj.type, joinPointer(pointer, 'type'), issues);
  if (type !== 'Recreate' && type !== 'RollingUpdate') {
    issues.error(joinPointer(pointer, 'type'), `strategy type must be "Recreate" or "RollingUpdate", found ${JSON.stringify(obj.type)}`);
    return undefined;
  }
  if (type === 'Recreate' && obj.rollingUpdate !== undefined) {
    issues.error(joinPointer(pointer, 'rollingUpdate'), 'strategy rollingUpdate is not allowed with type Recreate');
    return undefined;
  }
  return canonicalFragment(obj);
}

/**
 * Kubernetes fragments pass on verbatim, but in canonical order (keys sorted at every level,
 * nulls dropped: see canonical.ts), because the objects they go into are not walked again.
 */
function fragment<T extends object>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : canonicalFragment(value);
}

/** A string map read from the manifest (a fresh record), keys in canonical order. */
function orderedMap(map: Record<string, string> | undefined): Record<string, string> | undefined {
  return map === undefined ? undefined : sortedRecord(map);
}

/** Reads `k8s-experimental` into spec.experimental. */
export function readExperimental(value: unknown, pointer: string, experimental: Experimental, issues: Issues): void {
  const obj = readObject(value, pointer, issues);
  if (!obj) return;
  const keys = matchKeys<Key>(obj, KEYS, pointer, issues, 'k8s-experimental');
  for (const [k, { key, value: v }] of keys) {
    const p = joinPointer(pointer, key);
    switch (k) {
      case 'nodeSelector':
        experimental.nodeSelector = orderedMap(readStringMap(v, p, issues));
        break;
      case 'resources':
        experimental.resources = readResources(v, p, issues);
        break;
      case 'volumes':
        experimental.volumes = readExperimentalVolumes(v, p, issues);
        break;
      case 'securityContext':
        experimental.securityContext = fragment(readPodSecurityContext(v, p, issues));
        break;
      case 'serviceOptions':
        experimental.serviceOptions = readServiceOptions(v, p, issues);
        break;
      case 'strategy':
        experimental.strategy = readStrategy(v, p, issues);
        break;
      case 'tolerations':
        experimental.tolerations = fragment(readObjectList(v, p, issues));
        break;
      case 'affinity':
        experimental.affinity = fragment(readObject(v, p, issues));
        break;
    }
  }
}
