/**
 * `iotedge-k8s logs MODULE [--tail N] [--since T] [--until T] [-f] [--timestamps]`, as `iotedge
 * logs` (Azure/iotedge edgelet/iotedge/src/logs.rs): the module's lines, oldest first. Both sides
 * answer through edgeAgent's GetModuleLogs (locally the handler runs in this process), so the
 * lines are the same. `-f` asks again every second for the lines since the last one seen.
 */
import { gunzipSync } from 'node:zlib';
import type { LogMessage, MethodResponse } from '../methods/index.js';
import type { DeviceAccess } from './device.js';
import { DeviceVerbError } from './errors.js';
import { machine, type OutputFormat } from './output.js';

export interface LogsOptions {
  tail?: number;
  /** A duration before now ("10m", "1 h"), an RFC 3339 time or unix seconds, as GetModuleLogs takes. */
  since?: string;
  until?: string;
  follow?: boolean;
  /** Prefix each line with its time (table output). */
  timestamps?: boolean;
  /** Poll interval of `follow`. @default 1000 */
  pollMs?: number;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function failure(answer: MethodResponse): DeviceVerbError {
  const message = (answer.payload as { message?: string } | null)?.message ?? `status ${answer.status}`;
  return new DeviceVerbError(message);
}

/** One GetModuleLogs call for one module; its messages, oldest first. */
export async function fetchLogs(device: DeviceAccess, moduleId: string, filter: Record<string, unknown>): Promise<LogMessage[]> {
  const answer = await device.call('GetModuleLogs', { schemaVersion: '1.0', items: [{ id: escapeRegExp(moduleId), filter }], encoding: 'gzip', contentType: 'json' });
  if (answer.status !== 200) throw failure(answer);
  // edgeAgent's shape: {id, payloadBytes, payload}, the unused one null; the content is JSON text.
  const item = (answer.payload as { id: string; payloadBytes?: string | null; payload?: string | LogMessage[] | null }[]).find((i) => i.id === moduleId);
  if (!item) throw new DeviceVerbError(`module '${moduleId}' has no pod on device '${device.deviceId}' (see 'iotedge-k8s list')`);
  if (typeof item.payloadBytes === 'string') return JSON.parse(gunzipSync(Buffer.from(item.payloadBytes, 'base64')).toString('utf8')) as LogMessage[];
  if (typeof item.payload === 'string') return JSON.parse(item.payload) as LogMessage[];
  return item.payload ?? [];
}

function render(messages: readonly LogMessage[], format: OutputFormat, timestamps: boolean, stream: boolean): string {
  if (format === 'table') return messages.map((m) => `${timestamps ? `${m.timestamp} ` : ''}${m.text}\n`).join('');
  if (stream) return messages.map((m) => JSON.stringify(m) + '\n').join('');
  return machine(messages, format);
}

/** Prints the lines (and with `follow`, new lines until `stop` resolves). */
export async function logs(device: DeviceAccess, moduleId: string, options: LogsOptions, format: OutputFormat, write: (text: string) => void, stop: Promise<unknown>): Promise<void> {
  const filter = {
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.until !== undefined ? { until: options.until } : {}),
  };
  let messages = await fetchLogs(device, moduleId, filter);
  write(render(messages, format, options.timestamps ?? false, options.follow ?? false));
  if (!options.follow) return;
  let stopped = false;
  void stop.then(() => (stopped = true));
  // The newest time seen, and the lines already printed with that time.
  let last = messages.at(-1)?.timestamp ?? new Date().toISOString();
  let seenAtLast = new Set(messages.filter((m) => m.timestamp === last).map((m) => m.text));
  while (!stopped) {
    await Promise.race([stop, new Promise((r) => setTimeout(r, options.pollMs ?? 1000))]);
    if (stopped) break;
    messages = await fetchLogs(device, moduleId, { since: last, ...(options.until !== undefined ? { until: options.until } : {}) });
    const fresh = messages.filter((m) => m.timestamp > last || (m.timestamp === last && !seenAtLast.has(m.text)));
    if (fresh.length === 0) continue;
    write(render(fresh, format, options.timestamps ?? false, true));
    const newest = fresh.at(-1)!.timestamp;
    if (newest !== last) seenAtLast = new Set();
    last = newest;
    for (const m of fresh) if (m.timestamp === last) seenAtLast.add(m.text);
  }
}
