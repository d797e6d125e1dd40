/**
 * JSON merge patches (RFC 7386) between JSON documents: the smallest patch that turns one
 * document into another, and patch application. Objects are compared member by member;
 * arrays and scalars are replaced whole; a removed member becomes `null`.
 * A `null` member in a target document cannot be expressed by a merge patch (it means
 * "delete"), so targets are expected to carry no nulls (reported documents never do).
 */

import { isObject, type JsonObject } from './json.js';

/** Deep equality of JSON values (member order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The minimal merge patch from `acknowledged` to `next`, or `undefined` when they are equal.
 * When either side is not an object, the patch is `next` itself.
 */
export function mergePatch(acknowledged: unknown, next: unknown): unknown {
  if (!isObject(acknowledged) || !isObject(next)) return jsonEqual(acknowledged, next) ? undefined : next;
  const patch: JsonObject = {};
  for (const key of Object.keys(acknowledged)) if (!Object.hasOwn(next, key) || next[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(acknowledged, key)) {
      patch[key] = value;
      continue;
    }
    const sub = isObject(acknowledged[key]) && isObject(value) ? mergePatch(acknowledged[key], value) : jsonEqual(acknowledged[key], value) ? undefined : value;
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/** Applies a merge patch to `target` (RFC 7386 MergePatch); returns a new value, never mutates. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  // Scalars are immutable: shared, not cloned (structuredClone costs microseconds even for a number).
  if (!isObject(patch)) return patch !== null && typeof patch === 'object' ? structuredClone(patch) : patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
