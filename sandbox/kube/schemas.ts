/**
 * Object schemas of the served kinds, derived from the model classes that
 * @kubernetes/client-node generates from the official Kubernetes OpenAPI document
 * (attribute names, types and formats). Used for the OpenAPI documents and for
 * unknown-field detection (fieldValidation).
 */
import * as models from '@kubernetes/client-node';
import { listKind } from './list-keys.js';
import { canonicalQuantity } from './quantity.js';
import { RESOURCE_TYPES, type ResourceType } from './resources.js';
import { isObject, type JsonObject } from './types.js';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

const META_MODELS = new Set([
  'V1ObjectMeta',
  'V1ListMeta',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1OwnerReference',
  'V1ManagedFieldsEntry',
  'V1Status',
  'V1StatusDetails',
  'V1StatusCause',
  'V1DeleteOptions',
  'V1Preconditions',
  'V1Condition',
  'V1Patch',
]);

const GROUP_OF_MODEL: Record<string, string> = {
  V1RollingUpdateDeployment: 'apps',
  V1UncountedTerminatedPods: 'batch',
  V1SuccessPolicy: 'batch',
  V1SuccessPolicyRule: 'batch',
  V1PodFailurePolicy: 'batch',
  V1PodFailurePolicyRule: 'batch',
  V1PodFailurePolicyOnExitCodesRequirement: 'batch',
  V1PodFailurePolicyOnPodConditionsPattern: 'batch',
  V1Scale: 'autoscaling',
  V1ScaleSpec: 'autoscaling',
  V1ScaleStatus: 'autoscaling',
};

function modelClass(name: string): ModelClass | undefined {
  const candidate = (models as unknown as Record<string, unknown>)[name];
  if (typeof candidate === 'function' && typeof (candidate as unknown as ModelClass).getAttributeTypeMap === 'function') {
    return candidate as unknown as ModelClass;
  }
  return undefined;
}

const attributeCache = new Map<string, Attribute[] | undefined>();

/** The attribute list of a client-node model, or undefined for unknown names (memoised). */
export function modelAttributes(name: string): Attribute[] | undefined {
  if (!attributeCache.has(name)) attributeCache.set(name, modelClass(name)?.getAttributeTypeMap());
  return attributeCache.get(name);
}

function groupPackage(group: string): string {
  if (group === '') return 'core';
  return group.replace(/\.k8s\.io$/, '');
}

/** The canonical OpenAPI definition name of a client-node model. */
export function definitionName(model: string): string {
  if (model === 'IntOrString') return 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
  if (META_MODELS.has(model)) return `io.k8s.apimachinery.pkg.apis.meta.v1.${model.slice(2)}`;
  const match = /^(Core)?(V\d+(?:alpha\d+|beta\d+)?)(.+)$/.exec(model);
  const version = match ? match[2]!.toLowerCase() : 'v1';
  const kind = match ? match[3]! : model;
  const root = RESOURCE_TYPES.find((t) => kind.startsWith(t.kind) && t.group !== '');
  const group = GROUP_OF_MODEL[model] ?? (root ? root.group : '');
  return `io.k8s.api.${groupPackage(group)}.${version}.${kind}`;
}

type RefStyle = 'v2' | 'v3';

function ref(name: string, style: RefStyle): JsonObject {
  return { $ref: `${style === 'v2' ? '#/definitions/' : '#/components/schemas/'}${definitionName(name)}` };
}

function typeSchema(type: string, format: string, style: RefStyle, pending: string[], path: string[], field: string): JsonObject {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    const out: JsonObject = { type: 'array', items: typeSchema(array[1]!, '', style, pending, path, field) };
    const kind = listKind(path, field);
    if (kind.type === 'map') {
      out['x-kubernetes-list-type'] = 'map';
      out['x-kubernetes-list-map-keys'] = kind.keys;
      out['x-kubernetes-patch-merge-key'] = kind.keys[0];
      out['x-kubernetes-patch-strategy'] = 'merge';
    } else if (kind.type === 'set') {
      out['x-kubernetes-list-type'] = 'set';
      out['x-kubernetes-patch-strategy'] = 'merge';
    } else out['x-kubernetes-list-type'] = 'atomic';
    return out;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1]!, '', style, pending, path, field) };
  switch (type) {
    case 'string':
      return format ? { type: 'string', format } : { type: 'string' };
    case 'number':
      return format === 'double' ? { type: 'number', format: 'double' } : { type: 'integer', format: format || 'int32' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
    case 'V1MicroTime':
      return { type: 'string', format: 'date-time' };
    case 'any':
    case 'object':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'IntOrString':
      return { 'x-kubernetes-int-or-string': true, format: 'int-or-string' };
    default:
      if (modelClass(type)) {
        pending.push(type);
        return ref(type, style);
      }
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
}

/** The path of field names a model usually sits at, used to pick list merge keys. */
const MODEL_PATH: Record<string, string[]> = {
  V1Container: ['spec', 'containers'],
  V1PodSpec: ['spec'],
  V1ServiceSpec: ['spec'],
  V1ObjectMeta: ['metadata'],
};

/** OpenAPI schemas (definitions) for every served kind and everything they reference. */
export function buildDefinitions(style: RefStyle, roots: readonly ResourceType[] = RESOURCE_TYPES): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  const pending: string[] = [];
  const gvk = new Map<string, JsonObject[]>();
  for (const t of roots) {
    pending.push(t.model);
    gvk.set(t.model, [{ group: t.group, version: t.version, kind: t.kind }]);
    const listModel = `${t.model}List`;
    if (modelClass(listModel)) {
      pending.push(listModel);
      gvk.set(listModel, [{ group: t.group, version: t.version, kind: `${t.kind}List` }]);
    }
  }
  pending.push('V1Status', 'V1DeleteOptions', 'V1Scale');
  gvk.set('V1Scale', [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }]);
  while (pending.length > 0) {
    const model = pending.pop()!;
    const name = definitionName(model);
    if (out[name]) continue;
    const attributes = modelAttributes(model) ?? [];
    const properties: JsonObject = {};
    const path = MODEL_PATH[model] ?? [];
    for (const a of attributes) properties[a.baseName] = typeSchema(a.type, a.format, style, pending, path, a.baseName);
    const schema: JsonObject = { type: 'object', properties };
    if (gvk.has(model)) schema['x-kubernetes-group-version-kind'] = gvk.get(model);
    out[name] = schema;
  }
  out['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { type: 'string', format: 'int-or-string' };
  return out;
}

const byNameCache = new Map<string, Map<string, Attribute>>();

function attributesByName(model: string, attributes: Attribute[]): Map<string, Attribute> {
  let byName = byNameCache.get(model);
  if (!byName) {
    byName = new Map(attributes.map((a) => [a.baseName, a]));
    byNameCache.set(model, byName);
  }
  return byName;
}

/** Paths (dotted, with `[i]` for list items) of fields a model does not know (patch directives `$...` skipped). */
export function unknownFields(model: string, value: unknown, prefix = ''): string[] {
  const attributes = modelAttributes(model);
  if (!attributes || !isObject(value)) return [];
  const byName = attributesByName(model, attributes);
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const attribute = byName.get(key);
    if (!attribute) {
      out.push(path);
      continue;
    }
    const { array, map } = parseType(attribute.type);
    if (array !== undefined && Array.isArray(child)) child.forEach((item, i) => out.push(...unknownFields(array, item, `${path}[${i}]`)));
    else if (map !== undefined && isObject(child)) for (const [k, v] of Object.entries(child)) out.push(...unknownFields(map, v, `${path}.${k}`));
    else out.push(...unknownFields(attribute.type, child, path));
  }
  return out;
}

/** A value whose JSON type does not fit the schema. */
export interface TypeMismatch {
  path: string;
  expected: string;
  got: string;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function expectedKindOf(type: string): string {
  if (/^Array<.+>$/.test(type)) return 'array';
  if (/^\{ \[key: string\]: .+; \}$/.test(type)) return 'object';
  switch (type) {
    case 'string':
    case 'Date':
    case 'V1MicroTime':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'IntOrString':
      return 'string|number';
    case 'any':
    case 'object':
      return 'any';
    default:
      return modelAttributes(type) ? 'object' : 'any';
  }
}

/** A model type name taken apart once: what JSON types fit it, and its item, value or attribute types. */
interface ParsedType {
  expected: string[] | 'any';
  array?: string;
  map?: string;
  attributes?: Attribute[];
}

const parsedTypes = new Map<string, ParsedType>();

/** {@link ParsedType} of a type name (memoised: the request path checks every write against it). */
function parseType(type: string): ParsedType {
  let parsed = parsedTypes.get(type);
  if (!parsed) {
    const expected = expectedKindOf(type);
    parsed = {
      expected: expected === 'any' ? 'any' : expected.split('|'),
      array: /^Array<(.+)>$/.exec(type)?.[1],
      map: /^\{ \[key: string\]: (.+); \}$/.exec(type)?.[1],
      attributes: modelAttributes(type),
    };
    parsedTypes.set(type, parsed);
  }
  return parsed;
}

/** Values whose JSON type does not match the model (null is accepted anywhere, as Go decoding does). */
export function typeMismatches(type: string, value: unknown, path = '', out: TypeMismatch[] = [], stored?: unknown): TypeMismatch[] {
  if (value === null || value === undefined || value === stored) return out;
  const parsed = parseType(type);
  if (parsed.expected === 'any') return out;
  const got = jsonType(value);
  if (!parsed.expected.includes(got)) {
    out.push({ path, expected: type, got });
    return out;
  }
  if (parsed.array !== undefined) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) typeMismatches(parsed.array, items[i], `${path}[${i}]`, out);
    return out;
  }
  if (parsed.map !== undefined) {
    for (const [k, v] of Object.entries(value as JsonObject)) typeMismatches(parsed.map, v, `${path}.${k}`, out);
    return out;
  }
  if (!parsed.attributes) return out;
  const old = isObject(stored) ? stored : undefined;
  for (const a of parsed.attributes) {
    const child = (value as JsonObject)[a.baseName];
    if (child !== undefined) typeMismatches(a.type, child, path ? `${path}.${a.baseName}` : a.baseName, out, old?.[a.baseName]);
  }
  return out;
}

/** Fields of type resource.Quantity (or a map of them), as `Model.field`. */
const QUANTITY_FIELDS = new Set([
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits',
  'V1VolumeResourceRequirements.requests',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1PersistentVolumeSpec.capacity',
  'V1PersistentVolumeClaimStatus.capacity',
  'V1PersistentVolumeClaimStatus.allocatedResources',
  'V1PodSpec.overhead',
  'V1ResourceFieldSelector.divisor',
  'V1ContainerStatus.allocatedResources',
]);

/**
 * Rewrites every Quantity under `value` (a JSON number or string) in canonical form, in
 * place, as the real server's decode and re-encode does. Returns the path of the first
 * value that is not a quantity, or undefined.
 */
export function normalizeQuantities(model: string, value: unknown, path = '', stored?: unknown): string | undefined {
  const attributes = modelAttributes(model);
  // A value that is the stored version's own (shared by two versions) is in canonical form already.
  if (!attributes || !isObject(value) || value === stored || !holdsQuantities(model)) return undefined;
  const old = isObject(stored) ? stored : undefined;
  for (const a of attributes) {
    const child = value[a.baseName];
    if (child === undefined || child === null || child === old?.[a.baseName]) continue;
    const at = path ? `${path}.${a.baseName}` : a.baseName;
    if (QUANTITY_FIELDS.has(`${model}.${a.baseName}`)) {
      if (isObject(child)) {
        for (const [key, q] of Object.entries(child)) {
          const bad = normalizeOne(child, key, q);
          if (bad) return `${at}.${key}`;
        }
      } else if (normalizeOne(value, a.baseName, child)) return at;
      continue;
    }
    const item = parseType(a.type).array;
    if (item !== undefined && Array.isArray(child)) {
      for (let i = 0; i < child.length; i++) {
        const bad = normalizeQuantities(item, child[i], `${at}[${i}]`);
        if (bad) return bad;
      }
    } else if (item === undefined && isObject(child)) {
      const bad = normalizeQuantities(a.type, child, at, old?.[a.baseName]);
      if (bad) return bad;
    }
  }
  return undefined;
}

const quantityHolders = new Map<string, boolean>();

/** True when a Quantity field can be reached from `model` the way normalizeQuantities walks (memoised). */
function holdsQuantities(model: string, visiting = new Set<string>()): boolean {
  const known = quantityHolders.get(model);
  if (known !== undefined) return known;
  const attributes = modelAttributes(model);
  if (!attributes || visiting.has(model)) return false;
  visiting.add(model);
  const holds = attributes.some((a) => QUANTITY_FIELDS.has(`${model}.${a.baseName}`) || holdsQuantities(parseType(a.type).array ?? a.type, visiting));
  visiting.delete(model);
  // A model on a cycle is decided by its outermost visit only (the inner answer may be partial).
  if (visiting.size === 0 || holds) quantityHolders.set(model, holds);
  return holds;
}

/** Canonicalises `holder[key]`; true when it is not a quantity. */
function normalizeOne(holder: JsonObject, key: string, value: unknown): boolean {
  if (value === null) return false;
  if (typeof value !== 'number' && typeof value !== 'string') return true;
  const text = canonicalQuantity(value);
  if (text === undefined) return true;
  holder[key] = text;
  return false;
}
