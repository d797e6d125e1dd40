/**
 * When is an applied object unchanged? Two checks, both pure:
 * - the desired object's hash, stored in the {@link APPLIED_HASH_ANNOTATION} annotation at
 *   apply time, still equals the live annotation (any change to what we want, including a
 *   removed field, changes the hash);
 * - every field of the desired object still has its value in the live object
 *   ({@link isContainedIn}); fields the server adds (defaults, status, clusterIP) are ignored,
 *   edits of fields we set (drift) are not.
 * Both true: no write. Otherwise the object is applied again.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../translate/index.js';

/** Annotation holding the hash of the object as the bridge last applied it. */
export const APPLIED_HASH_ANNOTATION = 'iotedge-k8s/applied-hash';

/**
 * JSON with object keys sorted (by UTF-16 code units, as `<` compares them), members whose value
 * is undefined left out, so equal values hash equally. It runs over every desired object of every
 * reconcile, and its text must stay the same byte for byte (the hashes stored in the cluster's
 * annotations are made from it). Translated objects are mostly in that order already (their
 * builders write sorted keys): a part found in order is written by `JSON.stringify`, natively;
 * only the levels out of order are assembled here.
 */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (inStableOrder(value)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + stableJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units.
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${stableJson(member)}`;
  }
  return `${out}}`;
}

/**
 * Whether `JSON.stringify(value)` writes what {@link stableJson} would: plain objects and arrays
 * only (no `toJSON`, no prototype of their own), every object's keys in ascending order as
 * enumerated, and no function among the members (`JSON.stringify` leaves those out where
 * stableJson writes null).
 */
function inStableOrder(value: object): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object' && !inStableOrder(item)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  let previous: string | undefined;
  for (const key of Object.keys(record)) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    const member = record[key];
    if (typeof member === 'function' || (key === 'toJSON' && member !== undefined)) return false;
    if (member !== null && typeof member === 'object' && !inStableOrder(member)) return false;
  }
  return true;
}

/** A short content hash of a desired object (without the hash annotation itself). */
export function objectHash(object: KubeObject): string {
  return createHash('sha256').update(stableJson(withoutHash(object))).digest('hex').slice(0, 16);
}

function withoutHash(object: KubeObject): KubeObject {
  const annotations = { ...object.metadata.annotations };
  delete annotations[APPLIED_HASH_ANNOTATION];
  return { ...object, metadata: { ...object.metadata, annotations } };
}

/** The desired object with its hash annotation added: what the bridge applies. */
export function withHashAnnotation(object: KubeObject): KubeObject {
  const hash = objectHash(object);
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;
const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** The value of a Kubernetes quantity ("500m", "1Gi", "2e3"), or undefined. */
export function quantityValue(text: string): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const scale = m[2] ? SUFFIX[m[2]]! : m[3] ? 10 ** Number(m[3]) : 1;
  return Number(m[1]) * scale;
}

/** Keys whose values are quantities the API server rewrites in canonical form ("0.5" -> "500m"). */
const QUANTITY_PARENTS = new Set(['limits', 'requests', 'capacity']);

function scalarEqual(want: unknown, have: unknown, quantity: boolean): boolean {
  if (want === have) return true;
  if (quantity && typeof want === 'string' && typeof have === 'string') {
    const w = quantityValue(want);
    return w !== undefined && w === quantityValue(have);
  }
  // The client deserializes timestamps into Dates; desired objects never hold any, but be exact.
  if (have instanceof Date && typeof want === 'string') return have.toISOString() === new Date(want).toISOString();
  return false;
}

function namedItems(list: readonly unknown[]): Map<string, unknown> | undefined {
  const byName = new Map<string, unknown>();
  for (const item of list) {
    const name = item !== null && typeof item === 'object' ? (item as Record<string, unknown>).name : undefined;
    if (typeof name !== 'string' || byName.has(name)) return undefined;
    byName.set(name, item);
  }
  return byName;
}

/**
 * True when every value in `want` is present and equal in `have`. Objects: each key of `want`
 * must be contained in `have`'s value (extra keys in `have` are server defaults or other
 * managers' fields). Lists of objects that all carry a distinct `name` (containers, env,
 * ports, volumes) are merged by name on the server, so items are matched by name and extra
 * live items (another manager's) are allowed. Other lists are atomic: same length, element-wise.
 */
export function isContainedIn(want: unknown, have: unknown): boolean {
  return contained(want, have, undefined, false);
}

/** `key`: the key `want` sits under; `quantity`: `want` is a quantity value. */
function contained(want: unknown, have: unknown, key: string | undefined, quantity: boolean): boolean {
  if (Array.isArray(want)) {
    if (!Array.isArray(have)) return false;
    const wantNamed = want.length > 0 ? namedItems(want) : undefined;
    const haveNamed = wantNamed ? namedItems(have) : undefined;
    if (wantNamed && haveNamed) return [...wantNamed].every(([name, w]) => contained(w, haveNamed.get(name), undefined, false));
    return have.length === want.length && want.every((w, i) => contained(w, have[i], undefined, false));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    const quantities = key !== undefined && QUANTITY_PARENTS.has(key);
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => v === undefined || contained(v, h[k], k, quantities || k === 'sizeLimit'));
  }
  return scalarEqual(want, have, quantity);
}

/** Why a live object needs a write, or undefined when it is up to date. */
export function changeReason(applied: KubeObject, live: KubeObject | undefined): 'missing' | 'changed' | 'drifted' | undefined {
  if (!live) return 'missing';
  if (live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== applied.metadata.annotations?.[APPLIED_HASH_ANNOTATION]) return 'changed';
  return isContainedIn(applied, live) ? undefined : 'drifted';
}
