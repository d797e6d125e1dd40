/**
 * GetModuleLogs content (pure), as edgeAgent builds it (Azure/iotedge edge-agent
 * `Agent.Core/logs/LogMessageParser.cs`, `LogsProcessor.cs`, `LogsProvider.cs`,
 * `ModuleLogMessage.cs` and `requests/ModuleLogsResponse.cs`):
 *
 * - a line is `[<N>] [yyyy-MM-dd HH:mm:ss.fff ±hh:mm ]text`: the syslog `<N>` prefix becomes
 *   the log level (6 when absent) and, with the application's own time stamp, is left out of
 *   the message `text`; `regex` and `loglevel` filters apply to that text and level;
 * - contentType `text`: the lines exactly as the module wrote them, each ending in `\n`;
 * - contentType `json`: a JSON array of `{iothub, device, id, stream, loglevel, text, timestamp}`;
 * - either content is a string: `payload` with encoding `none`, or gzipped and base64-encoded in
 *   `payloadBytes` with encoding `gzip`; the other key is `null` (edgeAgent writes both).
 */
import { gzipSync } from 'node:zlib';
import type { GetModuleLogsRequest, LogFilter } from './requests.js';

/** Severity of a line without a syslog `<N>` prefix: 6 (informational), as edgeAgent assumes. */
export const DEFAULT_LOG_LEVEL = 6;

/** Newtonsoft.Json's text for a missing DateTime (`default(DateTime)`), which edgeAgent writes then. */
const NO_TIMESTAMP = '0001-01-01T00:00:00';

/** One log line with its time and severity. */
export interface LogLine {
  time?: Date;
  /** Syslog severity from a leading `<N>`, else {@link DEFAULT_LOG_LEVEL}. */
  level: number;
  /** The message: the line without its `<N>` prefix and application time stamp. */
  text: string;
  /** The line as the module wrote it. */
  raw: string;
}

/** A line as a log source holds it: what was written, and when (the container runtime's time). */
export interface RawLogLine {
  time?: Date;
  raw: string;
}

/** A log message in a json GetModuleLogs payload, with edgeAgent's key names (ModuleLogMessage). */
export interface LogMessage {
  iothub: string;
  device: string;
  id: string;
  stream: 'stdout';
  loglevel: number;
  text: string;
  timestamp: string;
}

/** One entry of the response array (edgeAgent's ModuleLogsResponse). */
export interface LogsResponseItem {
  id: string;
  /** gzip encoding: the content, gzipped, base64. */
  payloadBytes: string | null;
  /** none encoding: the content (text, or the json messages as a JSON string). */
  payload: string | null;
}

// edgeAgent's LogMessageParser pattern, without the docker time stamp (the kubelet's is split off first).
const LINE = /^\s*(?:<(\d)>)?\s*(?:(\d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2}.\d{3}\s[+-]\d{2}:\d{2})\s)?\s*(.*)$/;

/** Level, application time and message text of one line, as edgeAgent's LogMessageParser reads it. */
export function parseLogLine(line: RawLogLine): LogLine {
  const match = LINE.exec(line.raw);
  const level = match?.[1] !== undefined ? Number(match[1]) : DEFAULT_LOG_LEVEL;
  let time = line.time;
  if (!time && match?.[2]) {
    const [date, clock, zone] = match[2].split(/\s/);
    const ms = Date.parse(`${date}T${clock}${zone}`);
    if (!Number.isNaN(ms)) time = new Date(ms);
  }
  const text = match?.[3] ? match[3] : line.raw;
  return { ...(time ? { time } : {}), level, text, raw: line.raw };
}

/** Splits `pods/log?timestamps=true` output (`<RFC 3339 nano time> <line>`) into lines. */
export function parseKubeletLog(raw: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of raw.split('\n')) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    const stamp = space > 0 ? line.slice(0, space) : '';
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(stamp) ? Date.parse(stamp) : NaN;
    lines.push(parseLogLine(Number.isNaN(ms) ? { raw: line } : { time: new Date(ms), raw: line.slice(space + 1) }));
  }
  return lines;
}

/** Applies since, until, loglevel and regex (on the message text), then tail. */
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

/** One module's lines encoded as the request asks, and the size edgeAgent counts against its limit. */
export function encodeLogs(
  moduleId: string,
  lines: readonly LogLine[],
  request: Pick<GetModuleLogsRequest, 'encoding' | 'contentType'>,
  source: LogSource,
): { item: LogsResponseItem; size: number } {
  const content =
    request.contentType === 'text'
      ? lines.map((l) => `${l.raw}\n`).join('')
      : JSON.stringify(
          lines.map(
            (l): LogMessage => ({
              iothub: source.iotHub,
              device: source.deviceId,
              id: moduleId,
              stream: 'stdout',
              loglevel: l.level,
              text: l.text,
              timestamp: l.time ? l.time.toISOString() : NO_TIMESTAMP,
            }),
          ),
        );
  if (request.encoding === 'none') return { item: { id: moduleId, payloadBytes: null, payload: content }, size: content.length };
  const bytes = gzipSync(Buffer.from(content, 'utf8'));
  return { item: { id: moduleId, payloadBytes: bytes.toString('base64'), payload: null }, size: bytes.length };
}
