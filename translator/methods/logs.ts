/**
 * GetModuleLogs content (pure): parses kubelet log lines (`<RFC 3339 nano time> <text>`, as
 * `pods/log?timestamps=true` serves them), applies a request's filters and encodes the
 * response as edgeAgent does: `[{ id, payload }]`, where payload is an array of log messages
 * (contentType json) or the text (contentType text), or `[{ id, payloadBytes }]` with the
 * same content gzipped and base64-encoded (encoding gzip).
 */
import { gzipSync } from 'node:zlib';
import type { GetModuleLogsRequest, LogFilter } from './requests.js';

/** Severity of a line without a syslog `<N>` prefix: 6 (informational), as edgeAgent assumes. */
export const DEFAULT_LOG_LEVEL = 6;

/** One log line with its time and severity. */
export interface LogLine {
  time?: Date;
  /** Syslog severity from a leading `<N>`, else {@link DEFAULT_LOG_LEVEL}. */
  level: number;
  /** The line as the module wrote it. */
  text: string;
}

/** A log message in a json GetModuleLogs response (edgeAgent's ModuleLogMessage). */
export interface LogMessage {
  iotHub: string;
  deviceId: string;
  moduleId: string;
  stream: 'stdout';
  logLevel: number;
  timeStamp: string;
  text: string;
}

/** One entry of the response array. */
export type LogsResponseItem = { id: string; payload: LogMessage[] | string } | { id: string; payloadBytes: string };

/** Splits `pods/log?timestamps=true` output into lines. */
export function parseKubeletLog(raw: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of raw.split('\n')) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    const stamp = space > 0 ? line.slice(0, space) : '';
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(stamp) ? Date.parse(stamp) : NaN;
    const text = Number.isNaN(ms) ? line : line.slice(space + 1);
    const level = /^<([0-7])>/.exec(text);
    lines.push({ ...(Number.isNaN(ms) ? {} : { time: new Date(ms) }), level: level ? Number(level[1]) : DEFAULT_LOG_LEVEL, text });
  }
  return lines;
}

/** Applies since, until, loglevel and regex, then tail. */
export function filterLines(lines: readonly LogLine[], filter: LogFilter): LogLine[] {
  let out = lines.filter(
    (l) =>
      (filter.since === undefined || (l.time !== undefined && l.time >= filter.since)) &&
      (filter.until === undefined || (l.time !== undefined && l.time <= filter.until)) &&
      (filter.loglevel === undefined || l.level === filter.loglevel) &&
      (filter.regex === undefined || filter.regex.test(l.text)),
  );
  if (filter.tail !== undefined) out = filter.tail === 0 ? [] : out.slice(-filter.tail);
  return out;
}

/** Identity fields of the json log messages. */
export interface LogSource {
  iotHub: string;
  deviceId: string;
}

/** Encodes one module's lines as the request asks. */
export function encodeLogs(moduleId: string, lines: readonly LogLine[], request: Pick<GetModuleLogsRequest, 'encoding' | 'contentType'>, source: LogSource): LogsResponseItem {
  const content: LogMessage[] | string =
    request.contentType === 'text'
      ? lines.map((l) => `${l.text}\n`).join('')
      : lines.map((l) => ({
          iotHub: source.iotHub,
          deviceId: source.deviceId,
          moduleId,
          stream: 'stdout' as const,
          logLevel: l.level,
          timeStamp: l.time ? l.time.toISOString() : '',
          text: l.text,
        }));
  if (request.encoding === 'none') return { id: moduleId, payload: content };
  const bytes = gzipSync(Buffer.from(typeof content === 'string' ? content : JSON.stringify(content), 'utf8'));
  return { id: moduleId, payloadBytes: bytes.toString('base64') };
}
