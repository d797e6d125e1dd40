/**
 * Recognizes the shapes a deployment arrives in and finds the desired properties inside:
 *
 * - `{ "modulesContent": { "$edgeAgent": { "properties.desired": ... }, ... } }`
 * - `{ "content": { "modulesContent": ... } }` (IoT Hub configuration / `az iot edge` form)
 * - the bare `$edgeAgent` desired properties as a twin delivers them (`schemaVersion`, `runtime`,
 *   `systemModules`, `modules`, plus `$version`/`$metadata`, which are ignored)
 * - `{ "$edgeAgent": {...desired}, "$edgeHub": {...desired} }`, a pair of bare desired properties
 *
 * Other module twins in `modulesContent` (deployment schema 2.0) become module twins. Layered
 * deployment content (`"properties.desired.modules.x"` keys) is recognized and reported, so
 * that a layer given alone gets a clear error.
 */
import { error, joinPointer, warning, type Diagnostic } from './diagnostics.js';
import { article, isObject, showValue, TWIN_METADATA_KEYS, type JsonObject } from './json-values.js';

/** A desired-properties value and its pointer in the user's file. */
export interface DesiredAt {
  value: unknown;
  pointer: string;
}

/** What a document holds, before validation. */
export interface ManifestParts {
  /** `$edgeAgent` desired properties; undefined when the document has none. */
  agent?: DesiredAt;
  hub?: DesiredAt;
  /** Other module twins' desired properties, by module name. */
  twins: Map<string, DesiredAt>;
  /** Pointer of `modulesContent` (or of the root for the forms without it). */
  modulesContentPointer: string;
  /** Pointer of the first layered-deployment path key, when the document is a layer. */
  layeredAt?: string;
  diagnostics: Diagnostic[];
}

const DESIRED = 'properties.desired';
const BARE_KEYS = ['schemaVersion', 'runtime', 'systemModules', 'modules'];
/** Top-level keys of IoT Hub configuration JSON and template files that carry no deployment content. */
const IGNORED_TOP_LEVEL = new Set([
  '$schema',
  '$schema-template',
  'id',
  'schemaVersion',
  'labels',
  'targetCondition',
  'priority',
  'metrics',
  'etag',
  'createdTimeUtc',
  'lastUpdatedTimeUtc',
  'systemMetrics',
]);

/** True for keys of a layered deployment: `properties.desired.<path>`. */
export function isLayeredKey(key: string): boolean {
  return key.startsWith(DESIRED + '.');
}

/** Finds the desired properties in any accepted form. Never throws. */
export function detectForm(doc: unknown): ManifestParts {
  const parts: ManifestParts = { twins: new Map(), modulesContentPointer: '', diagnostics: [] };
  if (!isObject(doc)) {
    parts.diagnostics.push(error('', `a deployment manifest must be a JSON object, not ${article(doc)}`, 'manifest-form'));
    return parts;
  }
  if ('content' in doc) {
    const content = doc['content'];
    if (!isObject(content)) {
      parts.diagnostics.push(error('/content', `'content' must be an object holding 'modulesContent', not ${article(content)}`, 'manifest-form'));
      return parts;
    }
    if (!('modulesContent' in content)) {
      parts.diagnostics.push(error('/content/modulesContent', `'content' has no 'modulesContent' (an IoT Edge deployment keeps its configuration there)`, 'manifest-form', 417));
      return parts;
    }
    warnUnknownTopLevel(doc, ['content'], parts);
    readModulesContent(content['modulesContent'], '/content/modulesContent', parts);
    return parts;
  }
  if ('modulesContent' in doc) {
    warnUnknownTopLevel(doc, ['modulesContent'], parts);
    readModulesContent(doc['modulesContent'], '/modulesContent', parts);
    return parts;
  }
  if ('$edgeAgent' in doc || '$edgeHub' in doc) {
    const twin = doc['$edgeAgent'] ?? doc['$edgeHub'];
    if (isObject(twin) && (DESIRED in twin || Object.keys(twin).some(isLayeredKey))) {
      readModulesContent(doc, '', parts);
    } else {
      readBarePair(doc, parts);
    }
    return parts;
  }
  const keys = Object.keys(doc).filter((k) => !TWIN_METADATA_KEYS.has(k) && !IGNORED_TOP_LEVEL.has(k));
  if (BARE_KEYS.some((k) => k in doc)) {
    parts.agent = { value: doc, pointer: '' };
    return parts;
  }
  if (keys.length === 0) {
    // Nothing but twin metadata or configuration keys: empty desired properties.
    parts.agent = { value: {}, pointer: '' };
    return parts;
  }
  parts.diagnostics.push(
    error('', `not an IoT Edge deployment: expected 'modulesContent', 'content.modulesContent' or $edgeAgent desired properties (schemaVersion, runtime, systemModules, modules), found ${keys.slice(0, 5).map((k) => showValue(k)).join(', ')}`, 'manifest-form'),
  );
  return parts;
}

function warnUnknownTopLevel(doc: JsonObject, known: string[], parts: ManifestParts): void {
  for (const key of Object.keys(doc)) {
    if (known.includes(key) || IGNORED_TOP_LEVEL.has(key)) continue;
    parts.diagnostics.push(warning(joinPointer('', key), `top-level key ${showValue(key)} is not part of a deployment and is ignored`, 'manifest-form'));
  }
}

function readBarePair(doc: JsonObject, parts: ManifestParts): void {
  for (const [key, value] of Object.entries(doc)) {
    const pointer = joinPointer('', key);
    if (key === '$edgeAgent') parts.agent = { value, pointer };
    else if (key === '$edgeHub') parts.hub = { value, pointer };
    else if (!IGNORED_TOP_LEVEL.has(key) && !TWIN_METADATA_KEYS.has(key)) {
      parts.diagnostics.push(error(pointer, `${showValue(key)} is not allowed beside bare $edgeAgent/$edgeHub desired properties`, 'manifest-form'));
    }
  }
}

function readModulesContent(mc: unknown, pointer: string, parts: ManifestParts): void {
  parts.modulesContentPointer = pointer;
  if (!isObject(mc)) {
    parts.diagnostics.push(error(pointer, `'modulesContent' must be an object, not ${article(mc)}`, 'manifest-form'));
    return;
  }
  for (const [name, twin] of Object.entries(mc)) {
    const twinPointer = joinPointer(pointer, name);
    if (!isObject(twin)) {
      parts.diagnostics.push(error(twinPointer, `${showValue(name)} in modulesContent must be an object with '${DESIRED}', not ${article(twin)}`, 'manifest-form'));
      continue;
    }
    for (const key of Object.keys(twin)) {
      if (key === DESIRED) continue;
      const keyPointer = joinPointer(twinPointer, key);
      if (isLayeredKey(key)) parts.layeredAt ??= keyPointer;
      else parts.diagnostics.push(error(keyPointer, `${showValue(key)} is not allowed in ${showValue(name)}: a module's content is its '${DESIRED}'`, 'manifest-form'));
    }
    if (!(DESIRED in twin)) {
      if (name === '$edgeAgent' || parts.layeredAt !== undefined) continue;
      parts.diagnostics.push(error(joinPointer(twinPointer, DESIRED), `${showValue(name)} is missing required property '${DESIRED}'`, 'manifest-form'));
      continue;
    }
    const desired: DesiredAt = { value: twin[DESIRED], pointer: joinPointer(twinPointer, DESIRED) };
    if (name === '$edgeAgent') parts.agent = desired;
    else if (name === '$edgeHub') parts.hub = desired;
    else parts.twins.set(name, desired);
  }
}
