/**
 * Parsers and validators of edgeAgent direct-method requests (pure). Each returns a typed
 * request or throws a {@link MethodError} with status 400 and a message that names the field.
 *
 * Payload shapes (edgeAgent Agent.Core/requests):
 * - RestartModule `{ schemaVersion: "1.0", id }`
 * - GetModuleLogs `{ schemaVersion: "1.0", items: [{ id, filter: { tail, since, until, regex, loglevel } }] | {...},
 *   encoding: "gzip" | "none" (default none), contentType: "json" | "text" (default text) }`; `id` is an
 *   unanchored, case-insensitive regular expression, or `all` (Agent.Core/requests/ModuleLogsRequest.cs,
 *   logs/LogsRequestToOptionsMapper.cs)
 * - GetTaskStatus `{ schemaVersion: "1.0", correlationId }`
 * Times (`since`, `until`): a duration before now ("1d", "90m", "2 hours 30 minutes"), an
 * RFC 3339 timestamp, or unix seconds (number or digits).
 */
import { isObject } from '../shared/index.js';

/** A direct-method failure with the HTTP-like status edgeAgent answers. */
export class MethodError extends Error {
  override readonly name = 'MethodError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function bad(message: string): MethodError {
  return new MethodError(400, message);
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Checks `schemaVersion`: required, a string with major version 1 (edgeAgent accepts 1.x). */
export function checkSchemaVersion(payload: Record<string, unknown>, method: string): string {
  const v = payload.schemaVersion;
  if (typeof v !== 'string' || v === '') throw bad(`${method}: 'schemaVersion' is required (use "1.0")`);
  if (!/^1(\.\d+)?$/.test(v)) throw bad(`${method}: 'schemaVersion' ${shown(v)} is not supported (use "1.0")`);
  return v;
}

function payloadObject(payload: unknown, method: string): Record<string, unknown> {
  if (!isObject(payload)) throw bad(`${method}: the payload must be a JSON object, got ${payload === undefined ? 'nothing' : shown(payload)}`);
  return payload;
}

function requiredString(payload: Record<string, unknown>, key: string, method: string): string {
  const v = payload[key];
  if (typeof v !== 'string' || v.trim() === '') throw bad(`${method}: '${key}' must be a non-empty string, got ${v === undefined ? 'nothing' : shown(v)}`);
  return v;
}

/** A parsed RestartModule request. */
export interface RestartModuleRequest {
  schemaVersion: string;
  /** The module id as in the deployment (`edgeHub`, `SimulatedTemperatureSensor`). */
  id: string;
}

export function parseRestartModule(payload: unknown): RestartModuleRequest {
  const p = payloadObject(payload, 'RestartModule');
  return { schemaVersion: checkSchemaVersion(p, 'RestartModule'), id: requiredString(p, 'id', 'RestartModule') };
}

/** A parsed GetTaskStatus request. */
export interface GetTaskStatusRequest {
  schemaVersion: string;
  correlationId: string;
}

export function parseGetTaskStatus(payload: unknown): GetTaskStatusRequest {
  const p = payloadObject(payload, 'GetTaskStatus');
  return { schemaVersion: checkSchemaVersion(p, 'GetTaskStatus'), correlationId: requiredString(p, 'correlationId', 'GetTaskStatus') };
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, week: 604800, weeks: 604800,
};

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * A point in time from `since`/`until`: a duration before `now` ("1d", "90m", "1 h 30 m",
 * "2 days 3 hours"), an RFC 3339 timestamp, or unix seconds. Throws a 400 {@link MethodError}.
 */
export function parseLogTime(value: unknown, field: string, now: Date): Date {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw bad(`GetModuleLogs: '${field}' ${shown(value)} is not a valid unix time`);
    return new Date(value * 1000);
  }
  if (typeof value !== 'string' || value.trim() === '') throw bad(`GetModuleLogs: '${field}' must be a duration ("1d", "90m"), an RFC 3339 time or unix seconds, got ${shown(value)}`);
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return new Date(Number(text) * 1000);
  if (RFC3339.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length > 0 && consumed.length === text.length) {
    let seconds = 0;
    for (const [, amount, unit] of parts) {
      const factor = UNIT_SECONDS[unit!.toLowerCase()];
      if (factor === undefined) throw bad(`GetModuleLogs: '${field}' ${shown(value)} has an unknown unit '${unit}' (use s, m, h, d or w)`);
      seconds += Number(amount) * factor;
    }
    return new Date(now.getTime() - seconds * 1000);
  }
  throw bad(`GetModuleLogs: '${field}' ${shown(value)} is not a duration ("1d", "90m"), an RFC 3339 time or unix seconds`);
}

/** Filters of one GetModuleLogs item. */
export interface LogFilter {
  /** Keep only the last `tail` lines (after the other filters). */
  tail?: number;
  since?: Date;
  until?: Date;
  /** Keep only lines that match. */
  regex?: RegExp;
  /** Keep only lines of this syslog severity (0-7; lines without a `<N>` prefix count as 6, info). */
  loglevel?: number;
}

/** One GetModuleLogs item. */
export interface LogItem {
  /** Module ids this selects: an unanchored, case-insensitive regular expression (`all`: every module). */
  id: RegExp;
  filter: LogFilter;
}

/** A parsed GetModuleLogs request. */
export interface GetModuleLogsRequest {
  schemaVersion: string;
  items: LogItem[];
  encoding: 'gzip' | 'none';
  contentType: 'json' | 'text';
}

function regex(value: unknown, field: string, flags = ''): RegExp {
  if (typeof value !== 'string' || value === '') throw bad(`GetModuleLogs: '${field}' must be a non-empty regular expression string, got ${shown(value)}`);
  try {
    return new RegExp(value, flags);
  } catch (e) {
    throw bad(`GetModuleLogs: '${field}' ${shown(value)} is not a valid regular expression (${(e as Error).message})`);
  }
}

/** The `id` that selects every module (edgeAgent's AllModulesIdentifier). */
const ALL_MODULES = 'all';

/** An item's `id`: `all`, else an unanchored, case-insensitive regular expression (edgeAgent's LogsRequestToOptionsMapper). */
function moduleIdPattern(value: unknown, field: string): RegExp {
  if (typeof value === 'string' && value.toLowerCase() === ALL_MODULES) return /(?:)/;
  return regex(value, field, 'i');
}

/** An enum value as Newtonsoft.Json reads it: its name in any case, or its number. */
function enumValue<T extends string>(value: unknown, names: readonly T[], fallback: T, field: string): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && names[value] !== undefined) return names[value];
  const found = typeof value === 'string' ? names.find((n) => n === value.toLowerCase()) : undefined;
  if (found === undefined) throw bad(`GetModuleLogs: '${field}' must be ${names.map((n) => `"${n}"`).join(' or ')}, got ${shown(value)}`);
  return found;
}

/**
 * The modules an id list selects, as edgeAgent matches them: every module whose id matches an
 * item, with the filter of the first item that matches it, in item order then module order.
 */
export function selectModules(items: readonly LogItem[], moduleIds: readonly string[]): { id: string; item: LogItem }[] {
  const selected = new Map<string, LogItem>();
  for (const item of items) {
    for (const id of moduleIds) if (!selected.has(id.toLowerCase()) && item.id.test(id)) selected.set(id.toLowerCase(), item);
  }
  const byKey = new Map(moduleIds.map((id) => [id.toLowerCase(), id]));
  return [...selected].map(([key, item]) => ({ id: byKey.get(key)!, item }));
}

function parseFilter(value: unknown, at: string, now: Date): LogFilter {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw bad(`GetModuleLogs: '${at}' must be an object, got ${shown(value)}`);
  const known = new Set(['tail', 'since', 'until', 'regex', 'loglevel']);
  for (const key of Object.keys(value)) if (!known.has(key)) throw bad(`GetModuleLogs: '${at}.${key}' is not a known filter (tail, since, until, regex, loglevel)`);
  const filter: LogFilter = {};
  if (value.tail !== undefined && value.tail !== null) {
    const tail = typeof value.tail === 'string' && /^\d+$/.test(value.tail) ? Number(value.tail) : value.tail;
    if (typeof tail !== 'number' || !Number.isInteger(tail) || tail < 0) throw bad(`GetModuleLogs: '${at}.tail' must be a non-negative integer, got ${shown(value.tail)}`);
    filter.tail = tail;
  }
  if (value.since !== undefined && value.since !== null) filter.since = parseLogTime(value.since, `${at}.since`, now);
  if (value.until !== undefined && value.until !== null) filter.until = parseLogTime(value.until, `${at}.until`, now);
  if (filter.since && filter.until && filter.since > filter.until) throw bad(`GetModuleLogs: '${at}.since' (${filter.since.toISOString()}) is after '${at}.until' (${filter.until.toISOString()})`);
  if (value.regex !== undefined && value.regex !== null) filter.regex = regex(value.regex, `${at}.regex`);
  if (value.loglevel !== undefined && value.loglevel !== null) {
    const level = value.loglevel;
    if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 7) throw bad(`GetModuleLogs: '${at}.loglevel' must be an integer from 0 to 7 (syslog severity), got ${shown(level)}`);
    filter.loglevel = level;
  }
  return filter;
}

/** Parses a GetModuleLogs payload; `now` anchors relative times. */
export function parseGetModuleLogs(payload: unknown, now: Date): GetModuleLogsRequest {
  const p = payloadObject(payload, 'GetModuleLogs');
  const schemaVersion = checkSchemaVersion(p, 'GetModuleLogs');
  const rawItems = Array.isArray(p.items) ? p.items : isObject(p.items) ? [p.items] : undefined;
  if (!rawItems || rawItems.length === 0) throw bad(`GetModuleLogs: 'items' must be a non-empty array of {id, filter}, got ${p.items === undefined ? 'nothing' : shown(p.items)}`);
  const items = rawItems.map((item, i): LogItem => {
    const at = `items[${i}]`;
    if (!isObject(item)) throw bad(`GetModuleLogs: '${at}' must be an object with 'id', got ${shown(item)}`);
    return { id: moduleIdPattern(item.id, `${at}.id`), filter: parseFilter(item.filter, `${at}.filter`, now) };
  });
  // edgeAgent's ModuleLogsRequest: encoding defaults to none, contentType to text.
  const encoding = enumValue(p.encoding, ['none', 'gzip'] as const, 'none', 'encoding');
  const contentType = enumValue(p.contentType, ['json', 'text'] as const, 'text', 'contentType');
  return { schemaVersion, items, encoding, contentType };
}
