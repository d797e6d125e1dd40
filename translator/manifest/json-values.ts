/** Small helpers for inspecting untrusted JSON values without ever throwing. */

import type { JsonObject } from '../shared/index.js';
import { escapeToken } from './diagnostics.js';

export { isObject, type JsonObject } from '../shared/index.js';

/** The JSON type name of a value: `object`, `array`, `string`, `number`, `boolean` or `null`. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const MAX_SHOWN = 60;

/**
 * Renders a value for a message: strings quoted and cut at 60 characters, other scalars as
 * JSON, containers by type. Never renders a huge input in full.
 */
export function showValue(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) + '…' : value;
    return `'${cut}'`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return article(value);
}

/** The JSON type with its article: `an array`, `a string`. */
export function article(value: unknown): string {
  const t = jsonType(value);
  return t === 'array' || t === 'object' ? `an ${t}` : `a ${t}`;
}

/** Keys a twin adds to desired properties (`$version`, `$metadata`); they are not configuration. */
export const TWIN_METADATA_KEYS: ReadonlySet<string> = new Set(['$version', '$metadata']);

/** A shallow copy of `obj` without twin metadata keys, or `obj` itself when it has none. */
export function withoutTwinMetadata(obj: JsonObject): JsonObject {
  if (!('$version' in obj) && !('$metadata' in obj)) return obj;
  const copy: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (!TWIN_METADATA_KEYS.has(k)) copy[k] = v;
  return copy;
}

/**
 * A container {@link tooDeepAt} may leave unwalked: whoever passes it vouches that it holds at
 * most `height` levels of containers below itself, or checks the document again when it cannot.
 */
export interface DepthExemption {
  value: object;
  height: number;
}

/**
 * True when `value` (a container at `depth`) is or holds a container at depth `max` or deeper,
 * `exempt` left out wherever its height keeps it above `max`.
 */
function reaches(value: object, depth: number, max: number, exempt: DepthExemption | undefined): boolean {
  if (depth >= max) return true;
  if (value === exempt?.value && depth + exempt.height < max) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object' && reaches(v, depth + 1, max, exempt)) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const v = record[key];
    // Only own members count; most values are not containers, so ownership is checked after the type.
    if (v !== null && typeof v === 'object' && Object.hasOwn(record, key) && reaches(v, depth + 1, max, exempt)) return true;
  }
  return false;
}

/** A container met by {@link tooDeepAt}, with what is needed to build its pointer if it is the one. */
interface Visited {
  value: object;
  depth: number;
  parent: number;
  key: string;
}

/**
 * The pointer of the first value nested deeper than `max` levels (objects and arrays), or
 * undefined. Iterative, so any depth is safe to inspect. Only containers are visited, and the
 * pointer is built only for the one returned. `exempt` is not walked (see {@link DepthExemption})
 * unless something else is too deep: the pointer is then the one a walk of everything finds.
 */
export function tooDeepAt(value: unknown, max: number, exempt?: DepthExemption): string | undefined {
  // The common case, nothing too deep, is answered by a walk that allocates nothing (its
  // recursion stops at `max` levels); only a document that is too deep is walked again to find
  // the pointer.
  if (value === null || typeof value !== 'object' || !reaches(value, 0, max, exempt)) return undefined;
  const visited: Visited[] = [];
  const stack: number[] = [];
  const visit = (v: unknown, depth: number, parent: number, key: string): void => {
    if (v === null || typeof v !== 'object') return;
    stack.push(visited.push({ value: v, depth, parent, key }) - 1);
  };
  visit(value, 0, -1, '');
  while (stack.length > 0) {
    const index = stack.pop()!;
    const { value: v, depth } = visited[index]!;
    if (depth >= max) {
      let pointer = '';
      for (let i = index; i > 0; i = visited[i]!.parent) pointer = `/${escapeToken(visited[i]!.key)}${pointer}`;
      return pointer;
    }
    if (Array.isArray(v)) for (let k = 0; k < v.length; k++) visit(v[k], depth + 1, index, String(k));
    else for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k], depth + 1, index, k);
  }
  return undefined;
}
