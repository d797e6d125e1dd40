/**
 * The bodies of SelfSubjectAccessReview and TokenRequest, as JSON or as the Kubernetes protobuf
 * encoding that kubectl's typed client sends (`k8s\0` + runtime.Unknown{typeMeta, raw}). Only
 * the fields the emulator reads are decoded.
 *
 * @see k8s.io/api/authorization/v1/generated.proto (field numbers) and
 *      k8s.io/apimachinery/pkg/runtime/generated.proto (Unknown).
 */
import { badRequest } from './errors.js';
import { parseBody } from './http-util.js';
import { isObject } from './types.js';

export interface ReviewSpec {
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: Record<string, string>;
}

const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Length-delimited fields of one protobuf message, by field number; varint fields into `varints`. */
function fields(buf: Buffer, varints = new Map<number, number>()): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  let i = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (i >= buf.length) throw badRequest('the request body could not be decoded: truncated protobuf');
      const b = buf[i++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key % 8;
    const field = Math.floor(key / 8);
    if (wire === 0) varints.set(field, varint());
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw badRequest('the request body could not be decoded: truncated protobuf');
      out.set(field, [...(out.get(field) ?? []), buf.subarray(i, i + len)]);
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw badRequest('the request body could not be decoded: unsupported protobuf wire type');
  }
  return out;
}

function strings(buf: Buffer, names: Record<number, string>): Record<string, string> {
  const f = fields(buf);
  const out: Record<string, string> = {};
  for (const [n, name] of Object.entries(names)) {
    const v = f.get(Number(n))?.[0];
    if (v !== undefined) out[name] = v.toString('utf8');
  }
  return out;
}

function fromProtobuf(body: Buffer): ReviewSpec {
  const raw = fields(body.subarray(PROTOBUF_MAGIC.length)).get(2)?.[0];
  if (!raw) throw badRequest('the request body could not be decoded: no object in the protobuf envelope');
  const spec = fields(raw).get(2)?.[0];
  if (!spec) return {};
  const f = fields(spec);
  const out: ReviewSpec = {};
  const ra = f.get(1)?.[0];
  if (ra) out.resourceAttributes = strings(ra, { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' });
  const nra = f.get(2)?.[0];
  if (nra) out.nonResourceAttributes = strings(nra, { 1: 'path', 2: 'verb' });
  return out;
}

function fromJson(text: string): ReviewSpec {
  const body = parseBody(text, false);
  const spec = isObject(body) && isObject(body['spec']) ? body['spec'] : {};
  const pick = (v: unknown): Record<string, string> | undefined =>
    isObject(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : undefined;
  const out: ReviewSpec = {};
  const ra = pick(spec['resourceAttributes']);
  if (ra) out.resourceAttributes = ra;
  const nra = pick(spec['nonResourceAttributes']);
  if (nra) out.nonResourceAttributes = nra;
  return out;
}

export interface TokenSpec {
  audiences?: string[];
  expirationSeconds?: number;
}

/** A TokenRequest's spec (`kubectl create token` sends protobuf): audiences = 1, expirationSeconds = 4. */
export function tokenSpec(body: Buffer): TokenSpec {
  if (!body.subarray(0, PROTOBUF_MAGIC.length).equals(PROTOBUF_MAGIC)) {
    const parsed = body.length === 0 ? undefined : parseBody(body.toString('utf8'), false);
    const spec = isObject(parsed) && isObject(parsed['spec']) ? parsed['spec'] : {};
    const out: TokenSpec = {};
    if (Array.isArray(spec['audiences'])) out.audiences = spec['audiences'].filter((a): a is string => typeof a === 'string');
    if (spec['expirationSeconds'] !== undefined) out.expirationSeconds = spec['expirationSeconds'] as number;
    return out;
  }
  const raw = fields(body.subarray(PROTOBUF_MAGIC.length)).get(2)?.[0];
  const spec = raw ? fields(raw).get(2)?.[0] : undefined;
  if (!spec) return {};
  const varints = new Map<number, number>();
  const f = fields(spec, varints);
  const out: TokenSpec = {};
  const audiences = (f.get(1) ?? []).map((b) => b.toString('utf8'));
  if (audiences.length > 0) out.audiences = audiences;
  if (varints.has(4)) out.expirationSeconds = varints.get(4);
  return out;
}

/** The review's spec from a request body of either encoding. */
export function reviewSpec(body: Buffer): ReviewSpec {
  return body.subarray(0, PROTOBUF_MAGIC.length).equals(PROTOBUF_MAGIC) ? fromProtobuf(body) : fromJson(body.toString('utf8'));
}
