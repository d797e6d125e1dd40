/**
 * `iotedge-k8s hub monitor`: prints the device-to-cloud messages arriving at the sandbox IoT Hub,
 * in the manner of `az iot hub monitor-events`. It reads `<stateDir>/hub.json` (service connection
 * string and CA) and follows the hub's event stream (sandbox/hub/events.ts: JSON lines over HTTPS
 * on port 5671 of the service address, with an iothubowner SAS token). The sandbox only: a real
 * IoT Hub serves its events over AMQP.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import type { Io } from './main.js';
import { parseServiceConnectionString, type ServiceConnectionString } from '../shared/index.js';
import { MonitorError } from './errors.js';

export interface MonitorFlags {
  stateDir: string;
  deviceId?: string;
  moduleId?: string;
  /** Seconds to run; 0 runs until stopped. */
  timeout: number;
  properties?: boolean;
}

export { MonitorError };

/** One message as the hub's event stream delivers it. */
export interface HubEvent {
  deviceId: string;
  moduleId?: string;
  body: string;
  properties: Record<string, string>;
  enqueuedTimeUtc: string;
}

/** Where and how to read the event stream. */
export interface EventStreamTarget {
  url: string;
  /** The `Authorization` header (an iothubowner SAS token). */
  authorization: string;
  caPem: string;
}

/** The JSON `az iot hub monitor-events` prints for a message (payload parsed when it is JSON). Pure. */
export function formatEvent(event: HubEvent, withProperties = false): string {
  let payload: unknown = event.body;
  try {
    payload = JSON.parse(event.body);
  } catch {
    // Not JSON: shown as text.
  }
  const out: Record<string, unknown> = { origin: event.deviceId, module: event.moduleId ?? '', interface: '', component: '', payload };
  if (withProperties) {
    const system: Record<string, string> = {};
    const application: Record<string, string> = {};
    for (const [k, v] of Object.entries(event.properties)) (k.startsWith('$.') ? system : application)[k] = v;
    out.annotations = { 'iothub-enqueuedtime': event.enqueuedTimeUtc, 'iothub-connection-device-id': event.deviceId, ...(event.moduleId ? { 'iothub-connection-module-id': event.moduleId } : {}) };
    out.properties = { system, application };
  }
  return JSON.stringify({ event: out }, null, 4);
}

/** The event stream of the sandbox hub whose state is in `stateDir`. */
export async function sandboxEventStream(stateDir: string): Promise<EventStreamTarget> {
  const file = join(resolve(stateDir), 'hub.json');
  let hubJson: { serviceConnectionString?: unknown; caFile?: unknown };
  try {
    hubJson = JSON.parse(await readFile(file, 'utf8')) as typeof hubJson;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MonitorError(code === 'ENOENT' ? `no sandbox IoT Hub in ${resolve(stateDir)} (no hub.json): start one with 'iotedge-k8s sandbox' or 'npm start'` : `cannot read ${file}: ${code ?? 'not JSON'}`);
  }
  if (typeof hubJson.serviceConnectionString !== 'string' || typeof hubJson.caFile !== 'string') throw new MonitorError(`${file} has no serviceConnectionString and caFile`);
  let service: ServiceConnectionString;
  try {
    service = parseServiceConnectionString(hubJson.serviceConnectionString, `${file}: serviceConnectionString`);
  } catch (e) {
    throw new MonitorError((e as Error).message);
  }
  const { hostName: host, sharedAccessKey: key, sharedAccessKeyName: policy } = service;
  const caPem = await readFile(hubJson.caFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new MonitorError(`cannot read the hub CA ${String(hubJson.caFile)}: ${e.code ?? e.message}`);
  });
  // Lazily, through the CLI's sandbox wiring: the only place translator/ reaches into sandbox/.
  const { createSas, EVENTS_PORT } = await (await import('./sandbox.js')).hubEventAuth();
  const authorization = createSas(host, key, Math.floor(Date.now() / 1000) + 24 * 3600, policy);
  return { url: `https://${host}:${EVENTS_PORT}/events`, authorization, caPem };
}

/**
 * Follows the event stream: `onEvent` for every message that arrives from now on. Resolves with
 * the stop function once the stream is open; rejects with a MonitorError when it cannot open.
 * `onEnd` is called if the hub closes the stream.
 */
export function followEvents(target: EventStreamTarget, filter: { deviceId?: string; moduleId?: string }, onEvent: (event: HubEvent) => void, onEnd: () => void = () => undefined): Promise<() => void> {
  const url = new URL(target.url);
  if (filter.deviceId) url.searchParams.set('deviceId', filter.deviceId);
  if (filter.moduleId) url.searchParams.set('moduleId', filter.moduleId);
  return new Promise((resolveOpen, reject) => {
    let stopped = false;
    const req = request(url, { ca: target.caPem, headers: { authorization: target.authorization } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new MonitorError(`the hub's event stream at ${target.url} answered ${res.statusCode ?? '?'}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line === '') continue;
          try {
            onEvent(JSON.parse(line) as HubEvent);
          } catch {
            // A malformed line is skipped.
          }
        }
      });
      res.once('close', () => !stopped && onEnd());
      resolveOpen(() => {
        stopped = true;
        req.destroy();
      });
    });
    req.once('error', (e: NodeJS.ErrnoException) => {
      if (!stopped) reject(new MonitorError(`cannot reach the hub's event stream at ${target.url}: ${e.code ?? e.message}`));
    });
    req.end();
  });
}

/** Runs `hub monitor` until `stopSignal`, the timeout, or the hub going away; the exit code. */
export async function runMonitor(flags: MonitorFlags, io: Io, stopSignal: Promise<unknown>): Promise<number> {
  const target = await sandboxEventStream(flags.stateDir);
  let ended: () => void = () => undefined;
  const hubGone = new Promise<'gone'>((r) => (ended = () => r('gone')));
  const stop = await followEvents(target, flags, (event) => io.stdout(formatEvent(event, flags.properties) + '\n'), () => ended());
  io.stdout('Starting event monitor, use ctrl-c to stop...\n');
  const waits: Promise<unknown>[] = [stopSignal, hubGone];
  let timer: NodeJS.Timeout | undefined;
  if (flags.timeout > 0) waits.push(new Promise((r) => (timer = setTimeout(r, flags.timeout * 1000))));
  const why = await Promise.race(waits);
  clearTimeout(timer);
  stop();
  if (why === 'gone') {
    io.stderr('error: the sandbox IoT Hub closed the event stream (stopped?)\n');
    return 1;
  }
  return 0;
}
