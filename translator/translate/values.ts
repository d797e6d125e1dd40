/**
 * Typed reads of createOptions values. Each reader returns the value when it has the expected
 * type, `undefined` when it is absent or null, and records an error naming the pointer and the
 * found type otherwise, so a wrong type never crashes the translation.
 */
import { isIP } from 'node:net';
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';

import { isObject, type JsonObject } from '../shared/index.js';

export { isObject, type JsonObject };

/** A short description of a JSON value's type for messages (`string`, `array`, `object`...). */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * True for Docker's "unset" values: null, false, 0, "", [] and {}. Clients that serialize a
 * whole ContainerCreate body emit them for every field; they change nothing.
 */
export function isUnset(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  // An object of zero values is Docker's way of writing "unset" (`"LogConfig": {"Type": "", "Config": {}}`).
  // One level only: keys of nested objects can carry meaning (`{"EndpointsConfig": {"host": {}}}`).
  if (isObject(value)) return Object.values(value).every((v) => isZero(v));
  return false;
}

/** A zero value: null, '', false, 0, or an empty object or array. */
function isZero(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

/**
 * Where a value is: its JSON pointer, or a function that builds it, for readers on hot paths
 * whose pointer is needed only for an error (a pointer escapes every `~` and `/` of its tokens).
 */
export type PointerOf = string | (() => string);

function wrong(issues: Issues, at: PointerOf, expected: string, value: unknown): undefined {
  const pointer = typeof at === 'string' ? at : at();
  issues.error(pointer, `expected ${expected} at ${pointer}, found ${typeName(value)}`);
  return undefined;
}

export function readString(value: unknown, pointer: PointerOf, issues: Issues): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : wrong(issues, pointer, 'a string', value);
}

/**
 * A boolean. The strings "true"/"false" (any case) are accepted too, because edgeAgent reads
 * createOptions with Newtonsoft.Json, which converts them (Azure's own manifests rely on it).
 */
export function readBoolean(value: unknown, pointer: string, issues: Issues): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return wrong(issues, pointer, 'a boolean', value);
}

/** An integer (JSON number without fraction, or a string of digits, as edgeAgent accepts) at least `min`. */
export function readInteger(value: unknown, pointer: string, issues: Issues, min = 0): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) value = Number(value);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return wrong(issues, pointer, 'an integer', value);
  if (value < min) {
    issues.error(pointer, `expected an integer >= ${min} at ${pointer}, found ${value}`);
    return undefined;
  }
  return value;
}

export function readObject(value: unknown, pointer: string, issues: Issues): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  return isObject(value) ? value : wrong(issues, pointer, 'an object', value);
}

export function readArray(value: unknown, pointer: PointerOf, issues: Issues): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value : wrong(issues, pointer, 'an array', value);
}

/** An array of strings; a single string is accepted as a one-element list (Docker's StrSlice). */
export function readStringList(value: unknown, pointer: string, issues: Issues): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return wrong(issues, pointer, 'an array of strings', value);
  // The usual list, strings only: copied at its length (a list built by push reserves room for 16).
  if (allStrings(value)) return value.slice();
  const out: string[] = [];
  let ok = true;
  // A loop rather than forEach (no closure per list); holes are skipped, as forEach skips them.
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) continue;
    const item: unknown = value[i];
    if (typeof item === 'string') out.push(item);
    else {
      wrong(issues, `${pointer}/${i}`, 'a string', item);
      ok = false;
    }
  }
  return ok ? out : undefined;
}

/** True when every item of `list` is a string (a hole is not). */
function allStrings(list: unknown[]): list is string[] {
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'string') return false;
  return true;
}

/** True when every own enumerable value of `obj` is a string. */
export function hasStringValues(obj: JsonObject): boolean {
  for (const k in obj) if (Object.hasOwn(obj, k) && typeof obj[k] !== 'string') return false;
  return true;
}

/** An object whose values are all strings. */
export function readStringMap(value: unknown, pointer: string, issues: Issues): Record<string, string> | undefined {
  const obj = readObject(value, pointer, issues);
  if (!obj) return undefined;
  const out: Record<string, string> = {};
  let ok = true;
  // for-in with an own check: the entries of Object.entries, in its order, without its arrays.
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const v = obj[k];
    if (typeof v === 'string') out[k] = v;
    else {
      wrong(issues, joinPointer(pointer, k), 'a string', v);
      ok = false;
    }
  }
  return ok ? out : undefined;
}

/** True when `text` is an IPv4 or IPv6 address. */
export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}
