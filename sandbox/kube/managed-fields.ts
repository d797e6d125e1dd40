/**
 * Field ownership (metadata.managedFields) for updates and server-side apply.
 */
import { KubeApiError } from './errors.js';
import {
  changedFields,
  fieldsOf,
  fromFieldsV1,
  hasPathUnder,
  mergeApplied,
  parsePathText,
  removeAt,
  toFieldsV1,
  valueAt,
  type FieldPath,
  type FieldScope,
  type FieldSet,
} from './fieldset.js';
import { clone, isObject, jsonEqual, type JsonObject, type KubeObject, type ManagedFieldsEntry } from './types.js';

/** One manager's ownership as a set. */
interface Ownership {
  entry: ManagedFieldsEntry;
  set: FieldSet;
  /** The set differs from `entry.fieldsV1`, or that was not rendered by writeOwnership. */
  dirty: boolean;
}

function scopeOf(entry: ManagedFieldsEntry): FieldScope {
  return entry.subresource === 'status' ? 'status' : 'main';
}

/**
 * FieldsV1 values rendered by writeOwnership, with their sets. Stored objects share these
 * (read-only) values from one version to the next, so an entry nobody's write touched is
 * neither parsed nor rendered again.
 */
const rendered = new WeakMap<object, FieldSet>();

/**
 * The ownership entries of `obj`. Entries whose fieldsV1 is one of `known`'s (the stored
 * object's, all rendered here) start clean; any other (e.g. sent by a client) is rendered again.
 */
function readOwnership(obj: KubeObject, known: KubeObject | undefined): Ownership[] {
  const knownEntries = known?.metadata.managedFields ?? [];
  return (obj.metadata.managedFields ?? []).map((entry) => {
    const same = knownEntries.find(
      (k) => k.manager === entry.manager && k.operation === entry.operation && k.subresource === entry.subresource && rendered.has(k.fieldsV1),
    );
    // A copy of a stored entry (e.g. an object read, changed and sent back) compares equal.
    if (same && (same.fieldsV1 === entry.fieldsV1 || jsonEqual(same.fieldsV1, entry.fieldsV1))) {
      return { entry: { ...entry, fieldsV1: same.fieldsV1 }, set: new Set(rendered.get(same.fieldsV1)), dirty: false };
    }
    return { entry, set: fromFieldsV1(entry.fieldsV1), dirty: true };
  });
}

/** FieldsV1 values by their paths: objects of one shape (events, pods of one template) own the same paths. */
const renderings = new Map<string, JsonObject>();

/** toFieldsV1 of a set, shared (read only) with every other set of the same paths in the same order. */
function render(set: FieldSet): JsonObject {
  const key = [...set].join('\n');
  let fieldsV1 = renderings.get(key);
  if (!fieldsV1) {
    if (renderings.size >= 10_000) renderings.clear();
    fieldsV1 = toFieldsV1(set);
    renderings.set(key, fieldsV1);
  }
  return fieldsV1;
}

/** Copies of the ownership entries of a stored object, sharing their (read-only) fieldsV1. */
export function copyManagedFields(entries: ManagedFieldsEntry[] | undefined): ManagedFieldsEntry[] | undefined {
  return entries?.map((e) => ({ ...e }));
}

function writeOwnership(obj: KubeObject, owners: Ownership[]): void {
  const entries = owners
    .filter((o) => o.set.size > 0)
    .map((o) => {
      if (!o.dirty && o.entry.fieldsType === 'FieldsV1') return { ...o.entry };
      const fieldsV1 = render(o.set);
      if (!rendered.has(fieldsV1)) rendered.set(fieldsV1, o.set);
      return { ...o.entry, fieldsType: 'FieldsV1' as const, fieldsV1 };
    });
  if (entries.length > 0) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

function sameManager(entry: ManagedFieldsEntry, manager: string, operation: 'Apply' | 'Update', scope: FieldScope): boolean {
  return entry.manager === manager && entry.operation === operation && scopeOf(entry) === scope;
}

/** A field path as the real server prints it in conflicts: `.spec.containers[name="a"].image`. */
export function pathText(text: string): string {
  return (JSON.parse(text) as FieldPath)
    .map((element) => {
      const body = element.slice(2);
      if (element.startsWith('f:')) return `.${body}`;
      if (element.startsWith('v:')) return `[=${body}]`;
      const key = JSON.parse(body) as Record<string, unknown>;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

/** Ownership entries equal apart from their timestamps. */
export function managedFieldsEqual(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => (o.metadata.managedFields ?? []).map((e) => ({ ...e, time: undefined }));
  return jsonEqual(strip(a), strip(b));
}

/**
 * Records an Update operation by `manager`: it takes ownership of every field it
 * added or changed, and fields it removed leave every manager's set.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  apiVersion: string,
  time: string,
  scope: FieldScope,
): void {
  const { changed, removed } = changedFields(before as JsonObject | undefined, after as JsonObject, scope);
  if (ownershipKept(before, after, changed, removed, manager, scope, time)) return;
  const owners = readOwnership(after, before);
  for (const o of owners) {
    for (const text of changed) if (o.set.delete(text)) o.dirty = true;
    for (const text of removed) if (o.set.delete(text)) o.dirty = true;
  }
  if (changed.size > 0) {
    let mine = owners.find((o) => sameManager(o.entry, manager, 'Update', scope));
    if (!mine) {
      mine = {
        entry: { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: {} },
        set: new Set(),
        dirty: true,
      };
      if (scope === 'status') mine.entry.subresource = 'status';
      owners.push(mine);
    }
    mine.entry = { ...mine.entry, time };
    for (const text of changed) mine.set.add(text);
    mine.dirty = true;
  }
  writeOwnership(after, owners);
}

/**
 * The usual controller update, without reading, copying or rendering any set: `after` carries the
 * stored version's own ownership entries (in order, all rendered here), no changed or removed field
 * is anyone else's, and the writing manager already owns every changed field. Then only its
 * entry's time moves (when something changed), as recordUpdate's general path would leave it.
 * False when that does not hold (recordUpdate then does the general work).
 */
function ownershipKept(
  before: KubeObject | undefined,
  after: KubeObject,
  changed: FieldSet,
  removed: FieldSet,
  manager: string,
  scope: FieldScope,
  time: string,
): boolean {
  const entries = after.metadata.managedFields;
  const known = before?.metadata.managedFields;
  if (!entries || !known || entries.length !== known.length) return false;
  let mine = -1;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const stored = known[i]!;
    if (entry.fieldsV1 !== stored.fieldsV1 || entry.fieldsType !== 'FieldsV1' || entry.manager !== stored.manager) return false;
    if (entry.operation !== stored.operation || entry.subresource !== stored.subresource) return false;
    const set = rendered.get(entry.fieldsV1);
    if (!set || set.size === 0) return false;
    for (const text of removed) if (set.has(text)) return false;
    const writer = sameManager(entry, manager, 'Update', scope);
    if (writer) mine = i;
    for (const text of changed) if (set.has(text) !== writer) return false;
  }
  if (changed.size > 0 && mine < 0) return false;
  after.metadata.managedFields = entries.map((e, i) => (i === mine && changed.size > 0 ? { ...e, time } : { ...e }));
  return true;
}

/** Options of one server-side apply. */
export interface ApplyRequest {
  manager: string;
  force: boolean;
  apiVersion: string;
  time: string;
  scope: FieldScope;
}

/**
 * Server-side apply of `applied` onto `live` (undefined when creating). Returns the
 * merged object with updated managedFields; throws 409 Conflict listing the fields
 * other managers own with different values unless `force`.
 */
export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, req: ApplyRequest): KubeObject {
  const base: KubeObject = live ? { ...clone({ ...live, metadata: { ...live.metadata, managedFields: undefined } }) } : { metadata: {} };
  if (live?.metadata.managedFields) base.metadata.managedFields = copyManagedFields(live.metadata.managedFields);
  const owners = readOwnership(base, live);
  const appliedSet = fieldsOf(applied as JsonObject, req.scope);
  const mine = owners.find((o) => sameManager(o.entry, req.manager, 'Apply', req.scope));
  const previous = mine?.set ?? new Set<string>();
  const others = owners.filter((o) => o !== mine);

  const conflicts: Array<{ manager: string; field: string; text: string }> = [];
  for (const text of appliedSet) {
    const owning = others.filter((o) => o.set.has(text));
    if (owning.length === 0) continue;
    const path = parsePathText(text);
    const liveValue = valueAt(base, path);
    const appliedValue = valueAt(applied, path);
    if (liveValue === undefined || isObject(appliedValue) || jsonEqual(liveValue, appliedValue)) continue;
    for (const o of owning) conflicts.push({ manager: o.entry.manager, field: pathText(text), text });
  }
  if (conflicts.length > 0 && !req.force) {
    const versionOf = (manager: string) => others.find((o) => o.entry.manager === manager)?.entry.apiVersion ?? req.apiVersion;
    const managers = [...new Set(conflicts.map((c) => c.manager))];
    const message =
      conflicts.length === 1
        ? `Apply failed with 1 conflict: conflict with "${conflicts[0]!.manager}" using ${versionOf(conflicts[0]!.manager)}: ${conflicts[0]!.field}`
        : `Apply failed with ${conflicts.length} conflicts: ${managers
            .map((m) => `conflicts with "${m}" using ${versionOf(m)}:\n${conflicts.filter((c) => c.manager === m).map((c) => `- ${c.field}`).join('\n')}`)
            .join('\n')}`;
    throw new KubeApiError(409, 'Conflict', message, {}, conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.field })));
  }
  for (const c of conflicts) for (const o of others) if (o.set.delete(c.text)) o.dirty = true;

  const merged = mergeApplied(base, stripForMerge(applied, req.scope)) as KubeObject;
  const removed = [...previous].filter((text) => !appliedSet.has(text));
  const removable = removed
    .map((text) => parsePathText(text))
    .filter((path) => !others.some((o) => hasPathUnder(o.set, path)))
    .sort((a, b) => a.length - b.length);
  const done: FieldPath[] = [];
  for (const path of removable) {
    if (done.some((prefix) => prefix.every((element, i) => path[i] === element))) continue;
    removeAt(merged, path);
    pruneEmptyParents(merged, path);
    done.push(path);
  }

  const entry: ManagedFieldsEntry = mine?.entry ?? {
    manager: req.manager,
    operation: 'Apply',
    apiVersion: req.apiVersion,
    fieldsType: 'FieldsV1',
    fieldsV1: {},
  };
  if (req.scope === 'status') entry.subresource = 'status';
  const changedOwnership = !mine || mine.set.size !== appliedSet.size || [...appliedSet].some((t) => !previous.has(t));
  entry.time = changedOwnership || !mine?.entry.time ? req.time : mine.entry.time;
  entry.apiVersion = req.apiVersion;
  const result = others.slice();
  result.push({ entry, set: appliedSet, dirty: !mine || mine.dirty || changedOwnership });
  merged.metadata = isObject(merged.metadata) ? merged.metadata : {};
  writeOwnership(merged, orderLike(owners, result));
  return merged;
}

/** Drops lists and maps left empty by a removal (up to the top-level fields). */
function pruneEmptyParents(obj: KubeObject, path: FieldPath): void {
  for (let end = path.length - 1; end >= 2; end--) {
    const parentPath = path.slice(0, end);
    const value = valueAt(obj, parentPath);
    const empty = Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0;
    if (!empty) return;
    removeAt(obj, parentPath);
  }
}

/** Keeps managers in their existing order, new ones last. */
function orderLike(before: Ownership[], after: Ownership[]): Ownership[] {
  const index = (o: Ownership) => {
    const i = before.findIndex((b) => b.entry.manager === o.entry.manager && b.entry.operation === o.entry.operation && scopeOf(b.entry) === scopeOf(o.entry));
    return i < 0 ? before.length : i;
  };
  return [...after].sort((a, b) => index(a) - index(b));
}

/** The applied object without what apply does not merge (shallow: mergeApplied copies what it takes). */
function stripForMerge(applied: KubeObject, scope: FieldScope): KubeObject {
  const out: KubeObject = { ...applied, metadata: { ...applied.metadata } };
  if (scope === 'main') delete out.status;
  else {
    for (const key of Object.keys(out)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(key)) delete out[key];
  }
  delete out.metadata.managedFields;
  delete out.metadata.resourceVersion;
  delete out.metadata.uid;
  delete out.metadata.creationTimestamp;
  return out;
}
