/**
 * Field sets for server-side apply: the set of fields a manager owns, kept as
 * path strings and converted to and from the FieldsV1 wire form
 * (`{"f:spec":{"f:replicas":{}}}`, `k:{"name":"app"}` for keyed list items,
 * `v:"x"` for set members, `.` for an owned item that also has children).
 */
import { itemKey, itemKeyString, listKind } from './list-keys.js';
import { clone, isObject, jsonEqual, type JsonObject } from './types.js';

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

/**
 * Called for every owned path of an object (text as in a {@link FieldSet}) with its value
 * and the value at the same path in another object (`before`), looked up as valueAt does.
 */
type FieldVisitor = (text: string, value: unknown, before: unknown) => void;

const elementText = (element: string) => JSON.stringify(element);

/** Walks every owned leaf (and keyed list item) of an object, for the given scope, beside `before`. */
function walkFields(obj: JsonObject, scope: FieldScope, before: unknown, visit: FieldVisitor, skipShared = false, statusMetadata = false): void {
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (key === 'apiVersion' || key === 'kind' || value === undefined) continue;
    // With statusMetadata, the status scope covers metadata too: a status update's changes include
    // the metadata its kind's status strategy lets through (a Deployment's annotations, see api.ts).
    if ((key === 'status') !== (scope === 'status') && !(key === 'metadata' && statusMetadata)) continue;
    const old = isObject(before) ? before[key] : undefined;
    if (key === 'metadata' && isObject(value)) {
      for (const mk of Object.keys(value)) {
        const mv = value[mk];
        if (UNTRACKED_METADATA.has(mk) || mv === undefined) continue;
        walk(mv, METADATA_NAMES, mk, `"f:metadata",${elementText(`f:${mk}`)}`, isObject(old) ? old[mk] : undefined, visit, skipShared);
      }
      continue;
    }
    walk(value, [], key, elementText(`f:${key}`), old, visit, skipShared);
  }
}

const METADATA_NAMES = ['metadata'];

/**
 * One value: `prefix` is the path's JSON text without its brackets, `names` the field
 * names leading to `field` (for list merge rules), `before` the other object's value there.
 */
function walk(value: unknown, names: string[], field: string, prefix: string, before: unknown, visit: FieldVisitor, skipShared: boolean): void {
  // With skipShared, a value that is the other object's value at this path (one object shared by
  // two versions) is left out: every path below is in both walks, with equal values.
  if (skipShared && value === before && typeof value === 'object' && value !== null) return;
  if (Array.isArray(value)) {
    const kind = listKind(names, field);
    if (kind.type === 'atomic' || value.length === 0) {
      visit(`[${prefix}]`, value, before);
      return;
    }
    const childNames = [...names, field];
    const oldItems = Array.isArray(before) ? before : undefined;
    // A map list's old items by key (the first of each key, as a search would find it), built once per list.
    let oldByKey: Map<string, unknown> | undefined;
    if (kind.type !== 'set' && oldItems) {
      oldByKey = new Map();
      for (const candidate of oldItems) {
        const key = itemKeyString(candidate, kind.keys);
        if (!oldByKey.has(key)) oldByKey.set(key, candidate);
      }
    }
    for (const item of value) {
      if (kind.type === 'set') {
        const old = oldItems?.find((candidate) => jsonEqual(candidate, item));
        visit(`[${prefix},${elementText(`v:${JSON.stringify(item)}`)}]`, item, old);
        continue;
      }
      const key = itemKeyString(item, kind.keys);
      const itemPrefix = `${prefix},${elementText(`k:${key}`)}`;
      const old = oldByKey?.get(key);
      if (skipShared && item === old && typeof item === 'object' && item !== null) continue;
      visit(`[${itemPrefix}]`, item, old);
      if (isObject(item)) {
        for (const k of Object.keys(item)) {
          const v = item[k];
          if (v !== undefined) walk(v, childNames, k, `${itemPrefix},${elementText(`f:${k}`)}`, isObject(old) ? old[k] : undefined, visit, skipShared);
        }
      }
    }
    return;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length > 0) {
      const childNames = [...names, field];
      for (const k of keys) {
        const v = value[k];
        if (v !== undefined) walk(v, childNames, k, `${prefix},${elementText(`f:${k}`)}`, isObject(before) ? before[k] : undefined, visit, skipShared);
      }
      return;
    }
  }
  visit(`[${prefix}]`, value, before);
}

/** Every owned leaf (and keyed list item) of an object, for the given scope. */
export function fieldsOf(obj: JsonObject, scope: FieldScope): FieldSet {
  const out: FieldSet = new Set();
  walkFields(obj, scope, undefined, (text) => out.add(text));
  return out;
}

const parsedPaths = new Map<string, FieldPath>();

/** The elements of a path text (memoised: the same field paths recur in every object of a kind; read only). */
export function parsePathText(text: string): FieldPath {
  let path = parsedPaths.get(text);
  if (!path) {
    if (parsedPaths.size >= 50_000) parsedPaths.clear();
    path = JSON.parse(text) as FieldPath;
    parsedPaths.set(text, path);
  }
  return path;
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
    for (const element of parsePathText(text)) {
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
  const visit = (node: unknown, prefix: string): void => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && prefix !== '') out.add(`[${prefix}]`);
    for (const key of keys) {
      if (key === '.') out.add(`[${prefix}]`);
      else visit(node[key], prefix === '' ? elementText(key) : `${prefix},${elementText(key)}`);
    }
  };
  visit(fields, '');
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
  // Both walks leave out what the two versions share (same objects): unchanged, and in both sets.
  const oldSet: FieldSet = new Set();
  // An update of the status subresource owns what it changed in metadata (fieldsOf, for applies, does not look there).
  const statusMetadata = scope === 'status';
  if (before) walkFields(before, scope, after, (text) => oldSet.add(text), true, statusMetadata);
  const newSet: FieldSet = new Set();
  const changed: FieldSet = new Set();
  // One walk of `after` beside `before` (the values at each path compared as they are reached).
  walkFields(after, scope, before, (text, value, old) => {
    newSet.add(text);
    if (!oldSet.has(text) || !jsonEqual(old, value)) changed.add(text);
  }, true, statusMetadata);
  const removed: FieldSet = new Set();
  for (const text of oldSet) if (!newSet.has(text)) removed.add(text);
  return { changed, removed };
}

/** Merges an applied configuration into a live object: maps recursively, keyed lists by key, sets by value. */
export function mergeApplied(live: unknown, applied: unknown, names: string[] = [], field = ''): unknown {
  if (Array.isArray(applied)) {
    const kind = listKind(names, field);
    if (kind.type === 'atomic' || !Array.isArray(live)) return clone(applied);
    if (kind.type === 'set') return [...live, ...applied.filter((v) => !live.some((l) => jsonEqual(l, v)))];
    const result = [...live];
    for (const item of applied) {
      const key = itemKeyString(item, kind.keys);
      const index = result.findIndex((existing) => itemKeyString(existing, kind.keys) === key);
      if (index >= 0) result[index] = mergeApplied(result[index], item, [...names, field], '');
      else result.push(clone(item));
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
