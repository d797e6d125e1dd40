/**
 * Canonical JSON: the output form of every object. Keys are sorted (with `apiVersion`, `kind`,
 * `metadata` first at the top level), `undefined` and `null` are dropped. Empty objects and
 * arrays are kept because some are meaningful (`emptyDir: {}`, `storageClassName: ""`); builders
 * leave optional fields out instead of emitting them empty.
 *
 * The builders write their objects in this order (translate() does not walk its output again;
 * the tests check every translated object with `assertCanonical`, test/support/canonical.ts).
 * The levels whose keys come from the manifest are put in order where they are built:
 * {@link sortedRecord} for one level, {@link canonicalFragment} for a whole part taken verbatim.
 * Translated objects may therefore share parts with the model: treat them as read-only.
 */

import { sortStrings, sortedKeys } from '../shared/index.js';

/** An object with the keys of `values` sorted (undefined ones were left out). */
function sortedObject(values: Map<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of sortStrings([...values.keys()])) out[key] = values.get(key);
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
function canonicalValue(value: object): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === undefined || v === null) {
        out ??= value.slice(0, i);
        continue;
      }
      const c: unknown = typeof v === 'object' ? canonicalValue(v) : v;
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
    const c: unknown = v === undefined || v === null ? undefined : typeof v === 'object' ? canonicalValue(v) : v;
    if (values === undefined && (c !== v || c === undefined || (previous !== undefined && !(previous < key)))) values = valuesBefore(record, key);
    if (values !== undefined && c !== undefined) values.set(key, c);
    previous = key;
  }
  return values === undefined ? record : sortedObject(values);
}

/**
 * A part of an object that comes verbatim from the manifest (a `k8s-experimental` affinity,
 * toleration, volume...), in canonical form: keys sorted at every level, null and undefined
 * dropped; the value itself when it already is, else a copy that shares what was in order.
 */
export function canonicalFragment<T extends object>(value: T): T {
  return canonicalValue(value) as T;
}

/**
 * `record` with its keys in canonical order and undefined and null values left out: how a
 * builder writes one level whose keys it does not know in advance (a merge of createOptions
 * fields). A record already in that form is returned as it is, so give it a record of your own
 * (a new literal or spread), never a shared one.
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
