/**
 * Which lists are associative (merged by key) and which are sets, following the
 * `x-kubernetes-list-map-keys` / `x-kubernetes-patch-merge-key` markers of the
 * official schemas for the kinds the emulator serves. Lists not named here are atomic.
 */

/** How a list at a path is merged. */
export type ListKind = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/**
 * The merge rule for the list stored under `field`, given the names of the fields
 * leading to it (`path`, list indexes and keys omitted).
 */
export function listKind(path: readonly string[], field: string): ListKind {
  const parent = path[path.length - 1];
  if (CONTAINER_LISTS.has(field)) return { type: 'map', keys: ['name'] };
  if (field === 'ports') {
    if (parent !== undefined && CONTAINER_LISTS.has(parent)) return { type: 'map', keys: ['containerPort', 'protocol'] };
    if (parent === 'spec') return { type: 'map', keys: ['port', 'protocol'] };
  }
  switch (field) {
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return { type: 'map', keys: ['name'] };
    case 'volumeMounts':
      return { type: 'map', keys: ['mountPath'] };
    case 'volumeDevices':
      return { type: 'map', keys: ['devicePath'] };
    case 'conditions':
      return { type: 'map', keys: ['type'] };
    case 'ownerReferences':
      return { type: 'map', keys: ['uid'] };
    case 'hostAliases':
      return { type: 'map', keys: ['ip'] };
    case 'finalizers':
      return path.length === 1 && path[0] === 'metadata' ? { type: 'set' } : { type: 'atomic' };
    default:
      return { type: 'atomic' };
  }
}

/** Default values the server fills into key fields before matching items. */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

/** The key object of a list item (missing defaulted keys filled in). */
export function itemKey(item: unknown, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const obj = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
  for (const k of [...keys].sort()) {
    const v = obj[k] ?? KEY_DEFAULTS[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A stable string form of an item key, used for lookups and FieldsV1 `k:` elements. */
export function itemKeyString(item: unknown, keys: string[]): string {
  return JSON.stringify(itemKey(item, keys));
}
