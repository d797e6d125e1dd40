/**
 * Twin documents as IoT Hub keeps them: `tags`, `properties.desired` and `properties.reported`,
 * each property section with its own `$version`, plus a twin-level `version` and `etag`.
 * Updates are JSON merge patches; each accepted change increments the matching `$version`.
 */
import { badRequest, HubError } from './errors.js';
import { applyMergePatch, isObject, jsonBytes, type Json, type JsonObject } from './json.js';

/** Largest desired or reported section IoT Hub accepts, in bytes of JSON. */
export const MAX_TWIN_SECTION_BYTES = 32 * 1024;
/** Deepest nesting of a property section IoT Hub accepts. */
export const MAX_TWIN_DEPTH = 10;

/** Persisted state of one device or module twin. */
export interface TwinState {
  tags: JsonObject;
  desired: JsonObject;
  desiredVersion: number;
  reported: JsonObject;
  reportedVersion: number;
  /** Twin-level version, incremented by any change. */
  version: number;
}

/** A fresh twin with empty sections at `$version` 1, as IoT Hub creates it. */
export function newTwin(): TwinState {
  return { tags: {}, desired: {}, desiredVersion: 1, reported: {}, reportedVersion: 1, version: 1 };
}

/** Twin ETag derived from its version (quoted by HTTP, not here). */
export function twinEtag(twin: TwinState): string {
  return Buffer.from(`twin-${twin.version}`).toString('base64');
}

/** The document a device receives for a twin GET: `{desired, reported}` with `$version` in each. */
export function deviceTwinDocument(twin: TwinState): JsonObject {
  return {
    desired: { ...twin.desired, $version: twin.desiredVersion },
    reported: { ...twin.reported, $version: twin.reportedVersion },
  };
}

/**
 * Validates a property patch (desired or reported): a JSON object, no `$`-prefixed, dotted or
 * blank-containing keys, bounded depth. Throws a 400 HubError naming the offending path.
 */
export function validatePropertyPatch(patch: Json, section: string): JsonObject {
  if (!isObject(patch)) throw badRequest(`${section} patch must be a JSON object`);
  checkKeys(patch, section, 1);
  return patch;
}

function checkKeys(obj: JsonObject, path: string, depth: number): void {
  if (depth > MAX_TWIN_DEPTH) throw badRequest(`${path}: nesting deeper than ${MAX_TWIN_DEPTH} levels`);
  for (const [key, value] of Object.entries(obj)) {
    if (key.length === 0 || key.startsWith('$') || /[.\s]/.test(key)) {
      throw badRequest(`${path}: invalid property name '${key}' (no '$' prefix, '.', or whitespace)`);
    }
    if (isObject(value)) checkKeys(value, `${path}.${key}`, depth + 1);
  }
}

/** Applies a merge patch to one property section, enforcing the size limit. Returns the new section. */
export function patchSection(current: JsonObject, patch: JsonObject, section: string): JsonObject {
  const next = applyMergePatch(current, patch) as JsonObject;
  const size = jsonBytes(next);
  if (size > MAX_TWIN_SECTION_BYTES) {
    throw new HubError(413, 'MessageTooLarge', `${section} would be ${size} bytes; the limit is ${MAX_TWIN_SECTION_BYTES}`);
  }
  return next;
}
