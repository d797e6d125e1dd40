/**
 * Field sets for server-side apply: the set of fields a manager owns, kept as
 * path strings and converted to and from the FieldsV1 wire form
 * (`{"f:spec":{"f:replicas":{}}}`, `k:{"name":"app"}` for keyed list items,
 * `v:"x"` for set members, `.` for an owned item that also has children).
 */
import { itemKey, itemKeyString, listKind } from './list-keys.js';
import { isObject, jsonEqual, type JsonObject } from './types.js';

/** A path of FieldsV1 elements, e.g. `['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image']`. */
export type FieldPath = string[];

/** A set of owned paths, each stored as its JSON text. */
export type FieldSet = Set<string>;

/** Metadata fields the server never tracks ownership of. */
const UNTRACKED_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** Which part of an object a write covers: the main resource (no status) or the status subresource. */
export type FieldScope = 'main' | 'status';

/** Every owned leaf (and keyed list item) of an object, for the given scope. */
export function fieldsOf(obj: JsonObject, scope: FieldScope): FieldSet {
  const out: FieldSet = new Set();
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || value === undefined) continue;
    if ((key === 'status') !== (scope === 'status')) continue;
    if (key === 'metadata' && isObject(value)) {
      for (const [mk, mv] of Object.entries(value)) {
        if (UNTRACKED_METADATA.has(mk) || mv === undefined) continue;
        walk(mv, ['metadata'], mk, ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    walk(value, [], key, [`f:${key}`], out);
  }
  return out;
}

function walk(value: unknown, names: string[], field: string, path: FieldPath, out: FieldSet): void {
  if (Array.isArray(value)) {
    const kind = listKind(names, field);
    if (kind.type === 'atomic' || value.length === 0) {
      out.add(JSON.stringify(path));
      return;
    }
    for (const item of value) {
      if (kind.type === 'set') {
        out.add(JSON.stringify([...path, `v:${JSON.stringify(item)}`]));
        continue;
      }
      const itemPath = [...path, `k:${itemKeyString(item, kind.keys)}`];
      out.add(JSON.stringify(itemPath));
      if (isObject(item)) {
        for (const [k, v] of Object.entries(item)) {
          if (v !== undefined) walk(v, [...names, field], k, [...itemPath, `f:${k}`], out);
        }
      }
    }
    return;
  }
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) walk(v, [...names, field], k, [...path, `f:${k}`], out);
    }
    return;
  }
  out.add(JSON.stringify(path));
}

/** FieldsV1 JSON for a set (keys sorted). */
export function toFieldsV1(set: FieldSet): JsonObject {
  interface Node {
    owned: boolean;
    children: Map<string, Node>;
  }
  const root: Node = { owned: false, children: new Map() };
  for (const text of set) {
    let node = root;
    for (const element of JSON.parse(text) as FieldPath) {
      let child = node.children.get(element);
      if (!child) {
        child = { owned: false, children: new Map() };
        node.children.set(element, child);
      }
      node = child;
    }
    node.owned = true;
  }
  const render = (node: Node): JsonObject => {
    const out: JsonObject = {};
    if (node.owned && node.children.size > 0) out['.'] = {};
    for (const key of [...node.children.keys()].sort()) out[key] = render(node.children.get(key)!);
    return out;
  };
  return render(root);
}

/** The set a FieldsV1 JSON value describes. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const out: FieldSet = new Set();
  const visit = (node: unknown, path: FieldPath): void => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(JSON.stringify(path));
    for (const key of keys) {
      if (key === '.') out.add(JSON.stringify(path));
      else visit(node[key], [...path, key]);
    }
  };
  visit(fields, []);
  return out;
}

/** Finds the list item an element `k:{...}` or `v:...` names. */
function findItem(list: unknown[], element: string): number {
  const body = JSON.parse(element.slice(2)) as unknown;
  if (element.startsWith('v:')) return list.findIndex((item) => jsonEqual(item, body));
  const keys = Object.keys(body as JsonObject);
  return list.findIndex((item) => jsonEqual(itemKey(item, keys), body));
}

/** The value at a field path, or undefined. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let cur: unknown = obj;
  for (const element of path) {
    if (element.startsWith('f:')) cur = isObject(cur) ? cur[element.slice(2)] : undefined;
    else if (Array.isArray(cur)) cur = cur[findItem(cur, element)];
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the value at a field path (a key, a list item or a set member); no-op when absent. */
export function removeAt(obj: unknown, path: FieldPath): void {
  if (path.length === 0) return;
  const parent = valueAt(obj, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (last.startsWith('f:') && isObject(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const index = findItem(parent, last);
    if (index >= 0) parent.splice(index, 1);
  }
}

/** Paths of `set` at or below `prefix`. */
export function hasPathUnder(set: FieldSet, prefix: FieldPath): boolean {
  const start = JSON.stringify(prefix).slice(0, -1);
  for (const text of set) if (text === `${start}]` || text.startsWith(`${start},`)) return true;
  return false;
}

/** Leaves whose values differ between two objects (added, changed or removed), as paths. */
export function changedFields(before: JsonObject | undefined, after: JsonObject, scope: FieldScope): { changed: FieldSet; removed: FieldSet } {
  const oldSet = before ? fieldsOf(before, scope) : new Set<string>();
  const newSet = fieldsOf(after, scope);
  const changed: FieldSet = new Set();
  for (const text of newSet) {
    const path = JSON.parse(text) as FieldPath;
    if (!oldSet.has(text) || !jsonEqual(valueAt(before, path), valueAt(after, path))) changed.add(text);
  }
  const removed: FieldSet = new Set([...oldSet].filter((text) => !newSet.has(text)));
  return { changed, removed };
}

/** Merges an applied configuration into a live object: maps recursively, keyed lists by key, sets by value. */
export function mergeApplied(live: unknown, applied: unknown, names: string[] = [], field = ''): unknown {
  if (Array.isArray(applied)) {
    const kind = listKind(names, field);
    if (kind.type === 'atomic' || !Array.isArray(live)) return structuredClone(applied);
    if (kind.type === 'set') return [...live, ...applied.filter((v) => !live.some((l) => jsonEqual(l, v)))];
    const result = [...live];
    for (const item of applied) {
      const key = itemKeyString(item, kind.keys);
      const index = result.findIndex((existing) => itemKeyString(existing, kind.keys) === key);
      if (index >= 0) result[index] = mergeApplied(result[index], item, [...names, field], '');
      else result.push(structuredClone(item));
    }
    return result;
  }
  if (isObject(applied)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    const childNames = field === '' ? names : [...names, field];
    for (const [key, value] of Object.entries(applied)) {
      if (value === undefined) continue;
      out[key] = value === null ? null : mergeApplied(out[key], value, childNames, key);
    }
    return out;
  }
  return applied;
}
