/** Plain JSON values as they arrive from manifests, twins and the Kubernetes API. */

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** True for a JSON object: not null, not an array. Never throws. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
