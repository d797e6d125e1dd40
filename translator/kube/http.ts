/**
 * Requests to the Kubernetes API over node:http(s): JSON in and out, watches as streams of
 * JSON lines. Credentials and TLS come from a {@link KubeConfig} for every request. Failures are
 * what @kubernetes/client-node throws, so callers (reconcile's error normaliser) read them the
 * same way: an answer outside 2xx is an {@link ApiException} with the status as `code`, the
 * body text and the headers; a connection failure is Node's socket error (`code` ECONNREFUSED...).
 *
 * Requests reuse connections: one keep-alive pool per configured cluster (kept by the cluster
 * entry, so that a wrapper of a configuration, as leader/fence's, shares it), which Node's agent
 * splits by host and TLS options (CA, client certificate, server name), so that a connection is
 * never shared by two identities; an `Authorization` header is per request. Watches have
 * connections of their own (see {@link Watch}). {@link closeConnections} ends a pool.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from './config.js';

/** An answer of the API outside 2xx (the shape of @kubernetes/client-node's ApiException). */
export class ApiException extends Error {
  override readonly name = 'ApiException';
  constructor(
    readonly code: number,
    message: string,
    /** The answer's body as sent (usually a JSON Status). */
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** @default 'application/json' when there is a body */
  contentType?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function headerRecord(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/**
 * How long a pooled connection may stay idle before the bridge closes it. Below the idle timeouts
 * of the servers the bridge talks to, so that it is the client that closes an idle connection (a
 * server closing one just as a request goes out is the race the single retry in {@link open}
 * covers): kube-apiserver closes idle connections after 90 s (k8s.io/apiserver
 * pkg/server/secure_serving.go, the value of Go's http.DefaultTransport), cloud load balancers in
 * front of it after 60 s (AWS, by default) or 4 min (Azure). A Node server (sandbox/kube: 65 s;
 * Node's default: 5 s) announces its timeout in a `Keep-Alive: timeout=N` header, and Node's agent
 * then closes a second before it, which it does only when the agent has a timeout of its own.
 * The timeout only ends idle connections: a request slower than this is not cut.
 */
export const IDLE_TIMEOUT_MS = 30_000;

interface Pool {
  http: HttpAgent;
  https: HttpsAgent;
}

/** The request pools, by the configuration's current cluster entry (an object of the configuration). */
const pools = new WeakMap<object, Pool>();

function poolOf(cluster: object): Pool {
  let pool = pools.get(cluster);
  if (!pool) {
    const options = { keepAlive: true, timeout: IDLE_TIMEOUT_MS };
    pool = { http: new HttpAgent(options), https: new HttpsAgent(options) };
    pools.set(cluster, pool);
  }
  return pool;
}

/**
 * Closes the idle and busy connections of `kc`'s request pool (a bridge's stop, once nothing
 * sends). Idle pooled connections do not keep the process alive (Node unrefs them), so this is
 * tidiness, not a condition of exiting; a later request opens a new pool.
 */
export function closeConnections(kc: KubeConfig): void {
  const cluster = kc.getCurrentCluster();
  const pool = cluster ? pools.get(cluster) : undefined;
  if (!cluster || !pool) return;
  pools.delete(cluster);
  pool.http.destroy();
  pool.https.destroy();
}

/** Destroys the idle connections of an agent (they were opened about when the one found dead was). */
function dropIdleConnections(agent: HttpAgent): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

/** What a server's close of an idle connection looks like to the request that reused it. */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Opens a request: resolves with the response once its headers arrived. A `request` goes through
 * the pool (unless the configuration brought an agent: a proxy's); when a reused idle connection
 * turns out closed by the server (ECONNRESET or EPIPE before the answer began), the request is sent
 * once more, on a new connection. Nothing else is retried: reconcile decides on retries.
 */
async function open(kc: KubeConfig, req: KubeRequest, use: 'request' | 'watch' = 'request'): Promise<{ res: IncomingMessage; headers: Record<string, string>; request: ClientRequest }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
  for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  const opts: RequestOptions = {
    method: req.method,
    path: url.pathname + url.search,
    headers: { Accept: 'application/json', ...(payload !== undefined ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
  };
  await kc.applyToHTTPSOptions(opts);
  const pooled = opts.agent === undefined && use === 'request';
  if (pooled) opts.agent = poolOf(cluster)[url.protocol === 'http:' ? 'http' : 'https'];
  // A watch: a connection of its own, unless the configuration brought an agent (see Watch).
  opts.agent ??= false;
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const attempt = (last: boolean) =>
    new Promise<{ res: IncomingMessage; headers: Record<string, string>; request: ClientRequest }>((resolve, reject) => {
      let answered = false;
      const r = send(url, opts, (res) => {
        answered = true;
        resolve({ res, headers: headerRecord(res), request: r });
      });
      // Errors after the answer started are the answer's (readText, Watch); this keeps them from going uncaught.
      r.on('error', (error: NodeJS.ErrnoException) => {
        if (last || answered || !r.reusedSocket || !STALE_CONNECTION_CODES.has(error.code ?? '')) return reject(error);
        // Its idle neighbours are as old: gone too, so that the pool opens a new connection.
        if (pooled && opts.agent instanceof HttpAgent) dropIdleConnections(opts.agent);
        resolve(attempt(true));
      });
      r.end(payload);
    });
  return attempt(false);
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.once('aborted', () => reject(new Error('the API server closed the answer early')));
  });
}

/** One request; its answer. Rejects with {@link ApiException} outside 2xx. */
export async function kubeRequest(kc: KubeConfig, req: KubeRequest): Promise<Answer> {
  const { res, headers } = await open(kc, req);
  const text = await readText(res);
  const status = res.statusCode ?? 0;
// The body stays out of the message: an API's validation message may echo a Secret's values.
  if (status < 200 || status > 299) throw new ApiException(status, `the Kubernetes API answered ${req.method} ${req.path} with HTTP ${status}`, text, headers);
  return { status, headers, text };
}

/** One request answered with JSON; the parsed body. */
export async function kubeJson<T>(kc: KubeConfig, req: KubeRequest): Promise<T> {
  const { text } = await kubeRequest(kc, req);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

/**
 * Watches of a collection, with the contract of @kubernetes/client-node's Watch: `watch()`
 * resolves once the server answered (with the controller that ends the watch); `callback` gets
 * each event (`type`, `object`, the whole event); `done` is called once, with null when the
 * server ended the stream, the abort error when it was aborted, an error carrying `statusCode`
 * when the server refused the watch, or the connection's error.
 *
 * A watch has a connection of its own, outside the request pool: it holds it for minutes (the
 * informer's timeoutSeconds is 300), so in the pool it would take a place from short requests
 * were the pool ever bounded, and give back to it a connection the server may be about to close
 * (or, aborted, one with half an answer unread). A few watches, each reopened every few minutes,
 * gain nothing from reuse; writes, sent by the hundred, do.
 */
export class Watch {
  constructor(private readonly config: KubeConfig) {}

  async watch(path: string, query: Query, callback: (type: string, object: never, event: unknown) => void, done: (error: unknown) => void): Promise<AbortController> {
    const controller = new AbortController();
    let called = false;
    const finish = (error: unknown) => {
      if (called) return;
      called = true;
      // Once aborted, whatever the socket reports (ECONNRESET, 'aborted') is the abort.
      done(controller.signal.aborted ? controller.signal.reason : error);
      controller.abort();
    };
    try {
      const { res, request } = await open(this.config, { method: 'GET', path, query: { ...query, watch: true } }, 'watch');
      res.on('error', finish);
      request.on('error', finish);
      controller.signal.addEventListener('abort', () => {
        finish(controller.signal.reason);
        res.destroy();
        request.destroy();
      });
      if (res.statusCode !== 200) {
        res.resume();
        const error = new Error(`the API server refused the watch of ${path}: HTTP ${res.statusCode}`) as Error & { statusCode?: number };
        error.statusCode = res.statusCode;
        throw error;
      }
      res.socket?.setKeepAlive(true, 30_000);
      res.once('close', () => finish(null));
      const lines = createInterface({ input: res });
      // readline passes its input's errors on: the interface needs a listener of its own.
      lines.on('error', finish);
      lines.on('line', (line) => {
        if (called || line.trim() === '') return;
        let event: { type?: string; object?: unknown };
        try {
          event = JSON.parse(line) as { type?: string; object?: unknown };
        } catch {
          return;
        }
        callback(String(event.type), event.object as never, event);
      });
    } catch (e) {
      finish(e);
    }
    return controller;
  }
}
