/**
 * Layered deployments as local files. A layer holds `properties.desired.<path>` keys per module
 * twin (`"$edgeAgent": { "properties.desired.modules.x": {...} }`,
 * `"$edgeHub": { "properties.desired.routes.y": "..." }`); each value replaces what is at that
 * path, as IoT Hub applies layered deployments. Layers apply in ascending priority (a file's
 * top-level `priority`, IoT Hub's default 0 when absent; equal priorities in the order given),
 * all above the base. Pointers of merged values map back to the layer file they came from.
 */
import { error, joinPointer, type Diagnostic } from './diagnostics.js';
import type { DesiredAt, ManifestParts } from './forms.js';
import { article, isObject, showValue, type JsonObject } from './json-values.js';
import { PointerMap } from './pointer-map.js';

const DESIRED = 'properties.desired';

/** One `properties.desired[.<path>]` value of a layer. */
export interface LayerEntry {
  twin: string;
  path: string[];
  value: unknown;
  /** Pointer of the key in the layer file. */
  pointer: string;
}

export interface ParsedLayer {
  /** How messages name the layer (its file name). */
  label: string;
  priority: number;
  entries: LayerEntry[];
  diagnostics: Diagnostic[];
}

/** Appends which layer file a diagnostic is about. */
export function inLayer(d: Diagnostic, label: string): Diagnostic {
  return { ...d, message: `${d.message} (in layer ${label})` };
}

/** Reads a layer document: `{priority?, content: {modulesContent}}` or `{priority?, modulesContent}`. */
export function readLayer(doc: unknown, label: string): ParsedLayer {
  const layer: ParsedLayer = { label, priority: 0, entries: [], diagnostics: [] };
  const fail = (pointer: string, message: string): ParsedLayer => {
    layer.diagnostics.push(inLayer(error(pointer, message, 'layer'), label));
    return layer;
  };
  if (!isObject(doc)) return fail('', `a layer must be a JSON object, not ${article(doc)}`);
  const priority = doc['priority'];
  if (priority !== undefined) {
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) return fail('/priority', `priority must be a non-negative integer, not ${showValue(priority)}`);
    layer.priority = priority;
  }
  const content = isObject(doc['content']) ? doc['content'] : doc;
  const base = content === doc ? '' : '/content';
  const mc = content['modulesContent'];
  if (!isObject(mc)) return fail(`${base}/modulesContent`, "a layer must hold 'modulesContent' with 'properties.desired.<path>' keys");
  for (const [twin, keys] of Object.entries(mc)) {
    const twinPointer = joinPointer(`${base}/modulesContent`, twin);
    if (!isObject(keys)) {
      fail(twinPointer, `${showValue(twin)} must be an object of 'properties.desired.<path>' keys`);
      continue;
    }
    for (const [key, value] of Object.entries(keys)) {
      const pointer = joinPointer(twinPointer, key);
      if (key === DESIRED) layer.entries.push({ twin, path: [], value, pointer });
      else if (key.startsWith(DESIRED + '.') && isLayerPath(key.slice(DESIRED.length + 1))) {
        layer.entries.push({ twin, path: key.slice(DESIRED.length + 1).split('.'), value, pointer });
      } else fail(pointer, `${showValue(key)} is not a layered deployment path: use 'properties.desired.<path>', e.g. 'properties.desired.modules.<name>'`);
    }
  }
  return layer;
}

/** Most path segments a layered key may have (real ones have two or three). */
const MAX_PATH_SEGMENTS = 32;

function isLayerPath(path: string): boolean {
  const segments = path.split('.', MAX_PATH_SEGMENTS + 1);
  return segments.length <= MAX_PATH_SEGMENTS && segments.every((s) => s !== '');
}

/** Sets `value` at `path` under `root`, copying the objects along the path (inputs stay untouched). */
function setPath(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: JsonObject = isObject(root) ? { ...root } : {};
  const [head, ...rest] = path;
  copy[head!] = setPath(copy[head!], rest, value);
  return copy;
}

export interface MergeResult {
  parts: ManifestParts;
  /** Merged-document pointers -> layer-file pointers (note: the layer's label). */
  origins: PointerMap;
}

/** Applies layers onto the base's parts by priority. */
export function mergeLayers(base: ManifestParts, layers: readonly ParsedLayer[]): MergeResult {
  const origins = new PointerMap();
  const parts: ManifestParts = { ...base, twins: new Map(base.twins), diagnostics: [...base.diagnostics] };
  const ordered = layers.map((layer, index) => ({ layer, index })).sort((a, b) => a.layer.priority - b.layer.priority || a.index - b.index);
  const desiredPointer = (twin: string): string => joinPointer(base.modulesContentPointer, twin, DESIRED);
  for (const { layer } of ordered) {
    for (const entry of layer.entries) {
      let target: DesiredAt | undefined =
        entry.twin === '$edgeAgent' ? parts.agent : entry.twin === '$edgeHub' ? parts.hub : parts.twins.get(entry.twin);
      target ??= { value: {}, pointer: desiredPointer(entry.twin) };
      const updated: DesiredAt = { value: setPath(target.value, entry.path, entry.value), pointer: target.pointer };
      if (entry.twin === '$edgeAgent') parts.agent = updated;
      else if (entry.twin === '$edgeHub') parts.hub = updated;
      else parts.twins.set(entry.twin, updated);
      origins.add(joinPointer(target.pointer, ...entry.path), entry.pointer, layer.label);
    }
  }
  return { parts, origins };
}
