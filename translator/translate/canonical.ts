/**
 * Canonical JSON: the output form of every object. Keys are sorted (with `apiVersion`, `kind`,
 * `metadata` first at the top level), `undefined` and `null` are dropped. Empty objects and
 * arrays are kept because some are meaningful (`emptyDir: {}`, `storageClassName: ""`); builders
 * leave optional fields out instead of emitting them empty.
 */

const HEAD = ['apiVersion', 'kind', 'metadata'];

function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined && v !== null).map(sortValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && v !== null) out[key] = sortValue(v);
    }
    return out;
  }
  return value;
}

/** A canonical copy of a Kubernetes object (see the file comment). */
export function canonical<T extends object>(object: T): T {
  const sorted = sortValue(object) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of HEAD) if (key in sorted) out[key] = sorted[key];
  for (const key of Object.keys(sorted)) if (!HEAD.includes(key)) out[key] = sorted[key];
  return out as T;
}

/** `undefined` for an empty array, so optional lists are left out rather than emitted empty. */
export function nonEmpty<T>(items: readonly T[] | undefined): T[] | undefined {
  return items && items.length > 0 ? [...items] : undefined;
}

/** `undefined` for an object without keys. */
export function nonEmptyRecord<T>(record: Record<string, T> | undefined): Record<string, T> | undefined {
  return record && Object.keys(record).length > 0 ? record : undefined;
}

/** Compares strings by UTF-16 code units, independent of the locale (for stable sort orders). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
