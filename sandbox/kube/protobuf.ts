/**
 * Request bodies in `application/vnd.kubernetes.protobuf`, which kubectl's typed
 * clients send (`kubectl create namespace|deployment|configmap|secret|job|...`): the
 * 4-byte magic `k8s\0`, then a runtime.Unknown whose typeMeta names the kind and whose
 * `raw` holds the object's message. The object is decoded with protobufjs against the
 * field numbers of upstream's generated.proto (sandbox/kube/proto/*.proto: the
 * messages of the served kinds only) and turned into the JSON form the rest of the
 * emulator handles. Answers stay JSON, which kubectl accepts.
 *
 * Followed: k8s.io/apimachinery pkg/runtime/serializer/protobuf/protobuf.go (envelope),
 * pkg/util/intstr, pkg/api/resource, pkg/apis/meta/v1 time_proto.go (special types).
 *
 * Go's generated marshalling writes every non-pointer field, zero or not, so the wire
 * does not say what JSON's omitempty would leave out. Empty strings, lists and maps and
 * zero times are dropped; `0` and `false` are dropped too, except in the fields that
 * are pointers in the Go types (listed below), where they are a choice
 * (`replicas: 0`, `allowPrivilegeEscalation: false`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { KubeApiError } from './errors.js';
import type { JsonObject } from './types.js';

/** The Content-Type of Kubernetes protobuf bodies. */
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Proto package of each apiVersion the emulator serves. */
const PACKAGES: Record<string, string> = {
  v1: 'k8s.io.api.core.v1',
  'apps/v1': 'k8s.io.api.apps.v1',
  'batch/v1': 'k8s.io.api.batch.v1',
  'coordination.k8s.io/v1': 'k8s.io.api.coordination.v1',
};

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Number fields that are pointers in the Go types of the served kinds: a 0 there is kept. */
const POINTER_NUMBERS = new Set([
  'replicas', 'parallelism', 'completions', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'activeDeadlineSeconds',
  'terminationGracePeriodSeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds', 'ttlSecondsAfterFinished', 'runAsUser',
  'runAsGroup', 'fsGroup', 'defaultMode', 'mode', 'priority', 'deletionGracePeriodSeconds', 'expirationSeconds',
  'leaseDurationSeconds', 'leaseTransitions', 'tolerationSeconds', 'timeoutSeconds', 'minDomains', 'managedBy',
]);

/** Boolean fields that are pointers in the Go types of the served kinds: a false there is kept. */
const POINTER_BOOLS = new Set([
  'automountServiceAccountToken', 'immutable', 'allowPrivilegeEscalation', 'privileged', 'readOnlyRootFilesystem', 'runAsNonRoot',
  'enableServiceLinks', 'suspend', 'shareProcessNamespace', 'setHostnameAsFQDN', 'hostUsers', 'allocateLoadBalancerNodePorts',
  'optional', 'manualSelector', 'controller', 'blockOwnerDeletion', 'procMount',
]);

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  if (root) return root;
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'proto');
  const loaded = new protobuf.Root();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.proto')).sort()) {
    protobuf.parse(readFileSync(join(dir, file), 'utf8'), loaded, { keepCase: true });
  }
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

function unsupported(message: string): KubeApiError {
  return new KubeApiError(415, 'UnsupportedMediaType', message);
}

function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  return Number(value);
}

function timeText(seconds: number, nanos: number, micro: boolean): string | undefined {
  if (seconds === 0 && nanos === 0) return undefined;
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** Converts messages of the well-known apimachinery types; undefined when `type` is not one. */
function special(type: protobuf.Type, msg: protobuf.Message & Record<string, unknown>): { value: unknown } | undefined {
  switch (type.fullName) {
    case '.k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return { value: numberOf(msg.type ?? 0) === 1 ? String(msg.strVal ?? '') : numberOf(msg.intVal ?? 0) };
    case '.k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { value: msg.string ?? '0' };
    case `.${META}.Time`:
      return { value: timeText(numberOf(msg.seconds ?? 0), numberOf(msg.nanos ?? 0), false) };
    case `.${META}.MicroTime`:
      return { value: timeText(numberOf(msg.seconds ?? 0), numberOf(msg.nanos ?? 0), true) };
    case `.${META}.Duration`:
      return { value: `${numberOf(msg.duration ?? 0) / 1e9}s` };
    case `.${META}.FieldsV1`:
    case '.k8s.io.apimachinery.pkg.runtime.RawExtension': {
      const raw = (msg.Raw ?? msg.raw) as Uint8Array | undefined;
      if (!raw || raw.length === 0) return { value: undefined };
      try {
        return { value: JSON.parse(Buffer.from(raw).toString('utf8')) };
      } catch {
        throw unsupported(`${type.name} holds bytes that are not JSON; only JSON raw extensions are supported`);
      }
    }
    default:
      return undefined;
  }
}

function empty(value: unknown): boolean {
  if (value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length === 0 && !(value instanceof Date);
}

function convertValue(field: protobuf.Field, value: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return toJson(field.resolvedType, value as protobuf.Message & Record<string, unknown>);
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if (['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(field.type)) return numberOf(value);
  return value;
}

/** The JSON form of a decoded message, as Go's JSON encoding of the object would write it. */
function toJson(type: protobuf.Type, msg: protobuf.Message & Record<string, unknown>): unknown {
  const converted = special(type, msg);
  if (converted) return converted.value;
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const value = msg[field.name];
    let json: unknown;
    if (field.map) {
      const map: JsonObject = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) map[key] = convertValue(field, item);
      json = map;
    } else if (field.repeated) json = (value as unknown[]).map((item) => convertValue(field, item));
    else json = convertValue(field, value);
    const keepEmptyMessage = field.resolvedType instanceof protobuf.Type && json !== undefined && !Array.isArray(json) && !field.map;
    if (empty(json) && !(keepEmptyMessage && typeof json === 'object')) continue;
    if (json === 0 && !POINTER_NUMBERS.has(field.name)) continue;
    if (json === false && !POINTER_BOOLS.has(field.name)) continue;
    out[field.name] = json;
  }
  return out;
}

/**
 * Decodes a Kubernetes protobuf request body into the JSON object it stands for.
 * Throws 415 for a kind the emulator has no message for, 400 for malformed bytes.
 */
export function decodeProtobufBody(body: Buffer): JsonObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new KubeApiError(400, 'BadRequest', 'the protobuf body does not start with the Kubernetes magic number "k8s\\x00"');
  }
  const root = schema();
  let unknown: protobuf.Message & Record<string, unknown>;
  try {
    unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(body.subarray(MAGIC.length)) as protobuf.Message & Record<string, unknown>;
  } catch (error) {
    throw new KubeApiError(400, 'BadRequest', `the protobuf envelope could not be decoded: ${(error as Error).message}`);
  }
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  if (unknown.contentEncoding) throw unsupported(`protobuf bodies with contentEncoding ${String(unknown.contentEncoding)} are not supported`);
  const pkg = PACKAGES[apiVersion];
  const type = pkg && /^[A-Z]\w*$/.test(kind) ? (root.lookup(`${pkg}.${kind}`) as protobuf.Type | null) : null;
  if (!(type instanceof protobuf.Type)) {
    throw unsupported(`no protobuf message for ${kind || '(no kind)'} in ${apiVersion || '(no apiVersion)'}; send application/json`);
  }
  let message: protobuf.Message & Record<string, unknown>;
  try {
    message = type.decode((unknown.raw as Uint8Array | undefined) ?? new Uint8Array()) as protobuf.Message & Record<string, unknown>;
  } catch (error) {
    throw new KubeApiError(400, 'BadRequest', `the protobuf body of ${kind} could not be decoded: ${(error as Error).message}`);
  }
  return { apiVersion, kind, ...(toJson(type, message) as JsonObject) };
}
