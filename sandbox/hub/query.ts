/**
 * The IoT Hub twin query language, the subset fleet tools use (`POST /devices/query`, as
 * azure-iothub's `Registry.createQuery` sends it):
 *
 *     SELECT * FROM devices [WHERE condition]
 *     SELECT * FROM devices.modules [WHERE condition]
 *     SELECT deviceId, moduleId, properties.reported.x FROM ... [WHERE condition]
 *
 * The condition is the one of target-condition.ts, evaluated against each twin document as the
 * service API returns it (`deviceId`, `moduleId`, `tags`, `properties.desired|reported` with
 * their `$version`, `capabilities.iotEdge`, `status`, `connectionState`). Results are ordered by
 * device id, then module id; a page holds at most `pageSize` twins and the continuation token
 * (opaque to clients) is the offset of the next page. Pure.
 */
import { badRequest } from './errors.js';
import { isObject, type Json, type JsonObject } from './json.js';
import { matchesDocument, parseCondition, type Condition } from './target-condition.js';

/** A parsed query. */
export interface TwinQuery {
  from: 'devices' | 'devices.modules';
  /** `undefined` for `SELECT *`; otherwise the dotted fields to project. */
  select?: string[][];
  where: Condition;
}

/** Page size when the request names none. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page size accepted (the maximum azure-iothub's `createQuery` documents). */
export const MAX_PAGE_SIZE = 10000;

const QUERY = /^\s*SELECT\s+(.+?)\s+FROM\s+(\S+)(?:\s+WHERE\s+([\s\S]+?))?\s*$/i;
const FIELD = /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/;

/** Parses a query; throws a 400 HubError naming the problem. */
export function parseQuery(text: string): TwinQuery {
  const m = QUERY.exec(text);
  if (!m) throw badRequest(`query: expected 'SELECT * FROM devices|devices.modules [WHERE condition]', got '${text.slice(0, 100)}'`);
  const from = m[2]!.toLowerCase();
  if (from !== 'devices' && from !== 'devices.modules') throw badRequest(`query: FROM ${m[2]!.slice(0, 60)} is not supported (only devices and devices.modules)`);
  const projection = m[1]!.trim();
  let select: string[][] | undefined;
  if (projection !== '*') {
    const fields = projection.split(',').map((f) => f.trim());
    for (const f of fields) if (!FIELD.test(f)) throw badRequest(`query: cannot select '${f.slice(0, 60)}' (only * or a list of fields)`);
    select = fields.map((f) => f.split('.'));
  }
  const where = m[3] === undefined ? ({ kind: 'all' } as const) : parseCondition(m[3], 'query');
  return { from, ...(select ? { select } : {}), where };
}

function project(doc: JsonObject, fields: readonly string[][]): JsonObject {
  const out: JsonObject = {};
  for (const path of fields) {
    let value: Json | undefined = doc;
    for (const key of path) value = isObject(value) ? value[key] : undefined;
    if (value !== undefined) out[path[path.length - 1]!] = value;
  }
  return out;
}

/** The twins a query selects, in result order (device id, then module id). */
export function runQuery(query: TwinQuery, twins: readonly JsonObject[]): JsonObject[] {
  const key = (t: JsonObject): string => `${String(t.deviceId)}\u0000${String(t.moduleId ?? '')}`;
  const selected = twins.filter((t) => (query.from === 'devices') === (t.moduleId === undefined) && matchesDocument(query.where, t));
  selected.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return query.select ? selected.map((t) => project(t, query.select!)) : selected;
}

/** Reads the `x-ms-max-item-count` header; throws a 400 for a value that is not 1..MAX_PAGE_SIZE. */
export function pageSize(header: string | undefined): number {
  if (header === undefined || header.trim() === '') return DEFAULT_PAGE_SIZE;
  const n = Number(header);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw badRequest(`x-ms-max-item-count must be an integer from 1 to ${MAX_PAGE_SIZE}, got '${header.slice(0, 20)}'`);
  return n;
}

/** Decodes a continuation token (the offset of the next page); throws a 400 for a foreign one. */
export function pageOffset(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (!m) throw badRequest('x-ms-continuation is not a continuation token of this hub');
  return Number(m[1]);
}

/** One page of results and the token of the next page (absent on the last page). */
export function page(results: readonly JsonObject[], offset: number, size: number): { items: JsonObject[]; continuation?: string } {
  const items = results.slice(offset, offset + size);
  const next = offset + size;
  return next < results.length ? { items, continuation: Buffer.from(`o:${next}`).toString('base64') } : { items };
}
