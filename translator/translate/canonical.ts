/**
 * Canonical JSON: the output form of every object. Keys are sorted (with `apiVersion`, `kind`,
 * `metadata` first at the top level), `undefined` and `null` are dropped. Empty objects and
 * arrays are kept because some are meaningful (`emptyDir: {}`, `storageClassName: ""`); builders
 * leave optional fields out instead of emitting them empty.
 *
 * The builders write their objects in this order already, so {@link canonical} mostly only
 * checks: a value that is canonical is returned as it is (no copy), and only a part that is not
 * (a map from the manifest, such as createOptions Labels, a key out of place, a null) is copied
 * in order. Translated objects may therefore share parts with the model: treat them as read-only.
 */

import { sortStrings, sortedKeys } from '../shared/index.js';

const HEAD = ['apiVersion', 'kind', 'metadata'];

/** Place of a top-level key: apiVersion, kind, metadata, then the rest. */
function headRank(key: string): number {
  return key === 'apiVersion' ? 0 : key === 'kind' ? 1 : key === 'metadata' ? 2 : 3;
}

/** True when key `b` may follow key `a` (strictly ascending UTF-16 order; at the top level, HEAD first). */
function follows(a: string, b: string, top: boolean): boolean {
  if (top) {
    const ra = headRank(a);
    const rb = headRank(b);
    if (ra !== rb) return ra < rb;
  }
  return a < b;
}

/** An object with `keys` in canonical order, from canonical values by key (undefined ones left out). */
function sortedObject(values: Map<string, unknown>, top: boolean): Record<string, unknown> {
  const keys = sortStrings([...values.keys()]);
  const out: Record<string, unknown> = {};
  if (top) for (const key of HEAD) if (values.has(key)) out[key] = values.get(key);
  for (const key of keys) if (!top || headRank(key) === 3) out[key] = values.get(key);
  return out;
}

/** A copy of `record` up to (not including) `stop`, as canonical values by key. */
function valuesBefore(record: Record<string, unknown>, stop: string): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const k in record) {
    if (k === stop) break;
    values.set(k, record[k]);
  }
  return values;
}

/**
 * `value` itself when it is canonical, else a canonical copy that keeps the parts that are.
 * Every value is looked at once (no part is canonicalized twice), whatever the nesting.
 * Scalars are handled in the loops, without a call: most values of an object are scalars.
 */
function canonicalValue(value: object, top: boolean): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === undefined || v === null) {
        out ??= value.slice(0, i);
        continue;
      }
      const c: unknown = typeof v === 'object' ? canonicalValue(v, false) : v;
      if (out !== undefined) out.push(c);
      else if (c !== v) {
        out = value.slice(0, i);
        out.push(c);
      }
    }
    return out ?? value;
  }
  const record = value as Record<string, unknown>;
  // Filled only once something differs: the canonical value of every key seen so far.
  let values: Map<string, unknown> | undefined;
  let previous: string | undefined;
  for (const key in record) {
    const v = record[key];
    const c: unknown = v === undefined || v === null ? undefined : typeof v === 'object' ? canonicalValue(v, false) : v;
    if (values === undefined && (c !== v || c === undefined || (previous !== undefined && !(top ? follows(previous, key, true) : previous < key)))) values = valuesBefore(record, key);
    if (values !== undefined && c !== undefined) values.set(key, c);
    previous = key;
  }
  return values === undefined ? record : sortedObject(values, top);
}

/**
 * The object in canonical form (see the file comment): itself when it already is. translate()
 * does not call it on what it builds (the builders write canonical objects, which the tests
 * check with `assertCanonical`); builders call {@link canonicalFragment} on the parts that come
 * from the manifest as they are.
 */
export function canonical<T extends object>(object: T): T {
  return canonicalValue(object, true) as T;
}

/**
 * A part of an object that comes verbatim from the manifest (a `k8s-experimental` affinity,
 * toleration, volume...), in canonical form: keys sorted at every level, null and undefined
 * dropped; the value itself when it already is, else a copy that shares what was in order.
 */
export function canonicalFragment<T extends object>(value: T): T {
  return canonicalValue(value, false) as T;
}

/**
 * `record` with its keys in canonical order and undefined and null values left out: how a
 * builder writes one level whose keys it does not know in advance (a merge of createOptions
 * fields), so that {@link canonical} finds it in order. A record already in that form is
 * returned as it is, so give it a record of your own (a new literal or spread), never a shared one.
 */
export function sortedRecord<T>(record: Record<string, T | undefined | null>): Record<string, T> {
  // Already in order and without unset values (often: a few keys): the record itself.
  let previous: string | undefined;
  let clean = true;
  for (const key in record) {
    const v = record[key];
    if (v === undefined || v === null || (previous !== undefined && !(previous < key))) {
      clean = false;
      break;
    }
    previous = key;
  }
  if (clean) return record as Record<string, T>;
  const out: Record<string, T> = {};
  for (const key of sortedKeys(record)) {
    const v = record[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

/** A shallow copy of `record` without its undefined and null values, keys in the same order. */
export function withoutUnset<T>(record: Readonly<Record<string, T | undefined | null>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key in record) {
    const v = record[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

/** `undefined` for an empty array, so optional lists are left out rather than emitted empty. */
export function nonEmpty<T>(items: readonly T[] | undefined): T[] | undefined {
  return items && items.length > 0 ? [...items] : undefined;
}

/** `undefined` for an object without keys. */
export function nonEmptyRecord<T>(record: Record<string, T> | undefined): Record<string, T> | undefined {
  return record && hasKeys(record) ? record : undefined;
}

/** `Object.keys(record).length > 0`, without building the list of keys. */
export function hasKeys(record: object): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return true;
  return false;
}

/** Compares strings by UTF-16 code units, independent of the locale (for stable sort orders). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
