/**
 * The bridge's operations endpoint on node:http: `GET /metrics` (Prometheus text format),
 * `GET /healthz` (liveness: 200 while the process answers) and `GET /readyz` (readiness: 200
 * when the bridge says it is ready, else 503 with the reason). Anything else is 404; a method
 * other than GET or HEAD on a known path is 405.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BridgeMetrics } from './metrics.js';

/**
 * Readiness: `true` when ready; `false` or a string (the reason) when not.
 * @example () => (connected ? true : 'not connected to IoT Hub yet')
 */
export type ReadinessCheck = () => boolean | string;

/** One readiness check from several: ready when all are; else the reasons of those that are not. */
export function allReady(...checks: (ReadinessCheck | undefined)[]): ReadinessCheck {
  return () => {
    const reasons: string[] = [];
    for (const check of checks) {
      if (!check) continue;
      const r = check();
      if (r !== true) reasons.push(typeof r === 'string' && r !== '' ? r : 'not ready');
    }
    return reasons.length === 0 ? true : reasons.join('; ');
  };
}

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  metrics: BridgeMetrics;
  ready: ReadinessCheck;
}

/** A listening operations server. */
export interface OpsServer {
  /** `http://host:port` of the listener (the real port when 0 was asked). */
  url: string;
  /** Closes the listener and any open connections. */
  stop(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

function send(res: ServerResponse, status: number, contentType: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

function readiness(check: ReadinessCheck): { ready: true } | { ready: false; reason: string } {
  try {
    const r = check();
    if (r === true) return { ready: true };
    return { ready: false, reason: typeof r === 'string' && r !== '' ? r : 'not ready' };
  } catch (e) {
    return { ready: false, reason: `readiness check failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, options: OpsServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://ops').pathname;
  const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
  if (!known) return send(res, 404, TEXT, 'not found\n', false);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, TEXT, 'method not allowed\n', false);
  }
  const head = req.method === 'HEAD';
  if (path === '/healthz') return send(res, 200, TEXT, 'ok\n', head);
  if (path === '/readyz') {
    const r = readiness(options.ready);
    return r.ready ? send(res, 200, TEXT, 'ready\n', head) : send(res, 503, TEXT, `not ready: ${r.reason}\n`, head);
  }
  send(res, 200, options.metrics.contentType, await options.metrics.text(), head);
}

/** Starts the operations server; resolves once it listens. Rejects when the port cannot be bound. */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(req, res, options).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, TEXT, `internal error: ${e instanceof Error ? e.message : String(e)}\n`, false);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
