/**
 * Requests to the Kubernetes API over node:http(s): JSON in and out, watches as streams of
 * JSON lines. Credentials and TLS come from a {@link KubeConfig} for every request. Failures are
 * what @kubernetes/client-node throws, so callers (reconcile's error normaliser) read them the
 * same way: an answer outside 2xx is an {@link ApiException} with the status as `code`, the
 * body text and the headers; a connection failure is Node's socket error (`code` ECONNREFUSED...).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
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

/** Opens a request: resolves with the response once its headers arrived. */
async function open(kc: KubeConfig, req: KubeRequest): Promise<{ res: IncomingMessage; headers: Record<string, string>; request: ClientRequest }> {
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
  // A connection of its own per request (as client-node), unless the configuration brought an agent.
  opts.agent ??= false;
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const r = send(url, opts, (res) => resolve({ res, headers: headerRecord(res), request: r }));
    // Errors after the answer started are the answer's (readText, Watch); this keeps them from going uncaught.
    r.on('error', reject);
    r.end(payload);
  });
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
      const { res, request } = await open(this.config, { method: 'GET', path, query: { ...query, watch: true } });
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
