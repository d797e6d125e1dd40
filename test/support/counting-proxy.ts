/**
 * A counting HTTP proxy in front of a Kubernetes API server: every request a client sends
 * (lists, watches, single GETs, writes) is recorded as it goes over the wire, then forwarded
 * unchanged and its answer streamed back (watches included).
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';

/** One request seen by the proxy. */
export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  url: string;
  /** When the proxy received it (Date.now()). */
  at: number;
  /** The API server's answer status, once it came. */
  status?: number;
}

export interface CountingProxy {
  /** A KubeConfig for the proxy (same user and context as the target's). */
  kc: k8s.KubeConfig;
  requests: ProxiedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** The kind of a request: `watch`, `list` (a collection GET), `get` (one object), or the write verb. */
export function requestType(r: ProxiedRequest): 'watch' | 'list' | 'get' | 'write' {
  if (r.method !== 'GET') return 'write';
  const url = new URL(r.url, 'http://x');
  if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return 'watch';
  // /api/v1/namespaces/NS/pods (collection) vs /api/v1/namespaces/NS/pods/NAME; /api/v1/namespaces/NAME is an object.
  const parts = url.pathname.split('/').filter(Boolean);
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const segments = namespaced ? rest.slice(2) : rest;
  return segments.length % 2 === 1 ? 'list' : 'get';
}

/** Starts a proxy to the plain-HTTP API server of `target` (its current cluster). */
export async function startCountingProxy(target: k8s.KubeConfig): Promise<CountingProxy> {
  const upstream = new URL(target.getCurrentCluster()!.server);
  if (upstream.protocol !== 'http:') throw new Error('the counting proxy forwards to plain HTTP servers only');
  const requests: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const seen: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', at: Date.now() };
    requests.push(seen);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        seen.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new k8s.KubeConfig();
  kc.loadFromString(target.exportConfig());
  const cluster = kc.getCurrentCluster()!;
  kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: `http://127.0.0.1:${port}` } : c));
  return {
    kc,
    requests,
    reset: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
