/**
 * The hub's event stream, the sandbox's stand-in for IoT Hub's Event Hub-compatible endpoint
 * (`az iot hub monitor-events` reads that one over AMQP): `GET /events` on port 5671 of the
 * service address, HTTPS, authorized like the service API with an `iothubowner` SAS token, answers
 * a stream of JSON lines, one per device-to-cloud message from the moment of the request
 * (`deviceId`, `moduleId`, `body`, `properties`, `enqueuedTimeUtc`). Query `deviceId` and
 * `moduleId` filter it. `iotedge-k8s hub monitor` reads it.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { OWNER_POLICY } from './device-auth.js';
import { listen } from './listen.js';
import { checkSas, parseSas } from './sas.js';
import type { TelemetryMessage, TelemetryStore } from './telemetry.js';

/** Port of the event stream on the service address. */
export const EVENTS_PORT = 5671;

/** Options of {@link startEventStream}. */
export interface EventStreamOptions {
  telemetry: TelemetryStore;
  host: string;
  port?: number;
  tls: { key: string; cert: string };
  /** The `iothubowner` key of the moment (read per request). */
  policyKey: () => string;
  /** Host names a token may name as its resource. */
  hostNames: readonly string[];
}

/** A running event stream. */
export interface EventStream {
  url: string;
  stop(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ Message: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts the event stream; rejects with the listen error. */
export async function startEventStream(options: EventStreamOptions): Promise<EventStream> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://hub');
    if (req.method !== 'GET' || url.pathname !== '/events') return refuse(res, 404, 'only GET /events is served here');
    const token = parseSas(req.headers.authorization ?? '');
    if (!token || token.skn !== OWNER_POLICY) return refuse(res, 401, 'an iothubowner SharedAccessSignature is required');
    const check = checkSas(token, [options.policyKey()], options.hostNames, Math.floor(Date.now() / 1000));
    if (!check.ok) return refuse(res, 401, `unauthorized: ${check.reason}`);
    const deviceId = url.searchParams.get('deviceId');
    const moduleId = url.searchParams.get('moduleId');
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    res.write('\n');
    const unsubscribe = options.telemetry.subscribe((m: TelemetryMessage) => {
      if (deviceId !== null && m.deviceId !== deviceId) return;
      if (moduleId !== null && (m.moduleId ?? '') !== moduleId) return;
      res.write(`${JSON.stringify(m)}\n`);
    });
    res.once('close', unsubscribe);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = options.port ?? EVENTS_PORT;
  await listen(server, port, options.host);
  return {
    url: `https://${options.host}:${port}/events`,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
