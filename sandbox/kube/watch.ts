/**
 * Streaming reads: watches (with bookmarks, selectors, tables and 410 for a too old
 * resourceVersion) and pod logs (with follow).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonOf } from './api.js';
import { formatLine, type LogOptions } from './controllers/kubelet.js';
import { badRequest, expired, KubeApiError } from './errors.js';
import { boolParam, intParam, wantsTable } from './http-util.js';
import { groupVersion } from './resources.js';
import type { ResourcePath } from './router.js';
import { matchFields, matchLabels } from './selectors.js';
import type { ServerContext } from './server.js';
import type { StoreEvent } from './store.js';
import { includeObject, selectors } from './handlers.js';
import { toTable } from './tables.js';
import type { JsonObject, KubeObject } from './types.js';

const WATCH_DEFAULT_TIMEOUT_S = 1800;

export function serveLogs(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, p: ResourcePath): void {
  const pod = ctx.api.get(p.type, p.namespace, p.name ?? '');
  const options: LogOptions = {
    container: query.get('container') ?? undefined,
    previous: boolParam(query, 'previous'),
    tailLines: intParam(query, 'tailLines'),
    sinceSeconds: intParam(query, 'sinceSeconds'),
    sinceTime: query.get('sinceTime') ?? undefined,
    timestamps: boolParam(query, 'timestamps'),
    limitBytes: intParam(query, 'limitBytes'),
  };
  if (options.sinceSeconds !== undefined && options.sinceSeconds < 1) throw badRequest('sinceSeconds: Invalid value: must be greater than 0');
  const text = ctx.kubelet.readLogs(pod, options);
  if (!boolParam(query, 'follow') || options.previous) {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  if (text) res.write(text);
  const stop = ctx.kubelet.followLogs(
    pod,
    options.container,
    (line) => res.write(formatLine(line, options.timestamps ?? false)),
    () => res.end(),
  );
  req.on('close', stop);
  res.on('close', stop);
}

/** Watch lines of stored objects (never changed in place) by event type: every watcher of a change sends the same text. */
const eventLines = new WeakMap<object, Map<string, string>>();

function eventLine(eventType: string, object: KubeObject | JsonObject): string {
  let lines = eventLines.get(object);
  if (!lines) {
    lines = new Map();
    eventLines.set(object, lines);
  }
  let line = lines.get(eventType);
  if (line === undefined) {
    // The text of JSON.stringify({ type, object }), with the object's text made once for every reader.
    line = `{"type":${JSON.stringify(eventType)},"object":${jsonOf(object)}}\n`;
    lines.set(eventType, line);
  }
  return line;
}

export function serveWatch(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, p: ResourcePath): void {
  const { api } = ctx;
  const type = p.type;
  const { labels, fields } = selectors(type, query);
  const table = wantsTable(req.headers.accept);
  const include = includeObject(query);
  const bookmarks = boolParam(query, 'allowWatchBookmarks');
  const timeout = intParam(query, 'timeoutSeconds') ?? WATCH_DEFAULT_TIMEOUT_S;
  const rvText = query.get('resourceVersion') ?? '';
  const matches = (obj: KubeObject | undefined) =>
    obj !== undefined &&
    (!type.namespaced || p.namespace === undefined || obj.metadata.namespace === p.namespace) &&
    matchLabels(labels, obj.metadata.labels) &&
    matchFields(fields, obj);
  const encode = (eventType: string, obj: KubeObject | JsonObject) => {
    if (table && eventType !== 'ERROR' && eventType !== 'BOOKMARK') return `${JSON.stringify({ type: eventType, object: toTable(type, [obj as KubeObject], include, {}) })}\n`;
    return eventLine(eventType, obj);
  };

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();

  const sendError410 = (message: string) => {
    res.end(encode('ERROR', expired(message).toStatus()));
  };
  if (ctx.faults.takeWatchExpiry()) {
    sendError410(`too old resource version: ${rvText || '0'} (${api.store.resourceVersion})`);
    return;
  }
  if (rvText !== '' && !/^\d+$/.test(rvText)) {
    res.end(encode('ERROR', badRequest(`invalid resource version: ${rvText}`).toStatus()));
    return;
  }

  const translate = (event: StoreEvent): string | undefined => {
    if (event.resource !== type) return undefined;
    const now = matches(event.object);
    const before = event.type === 'MODIFIED' && matches(event.previous);
    if (event.type === 'ADDED') return now ? encode('ADDED', event.object) : undefined;
    if (event.type === 'DELETED') return matches(event.previous) || now ? encode('DELETED', event.object) : undefined;
    if (now && before) return encode('MODIFIED', event.object);
    if (now && !before) return encode('ADDED', event.object);
    if (!now && before) return encode('DELETED', event.object);
    return undefined;
  };

  let backlog: string[];
  if (rvText === '' || rvText === '0') {
    backlog = api.list(type, p.namespace, labels, fields).items.map((o) => encode('ADDED', o));
  } else {
    try {
      backlog = api.store
        .since(Number(rvText))
        .map(translate)
        .filter((x): x is string => x !== undefined);
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 410) {
        sendError410(error.message);
        return;
      }
      throw error;
    }
  }
  let closed = false;
  // The events of one turn of the event loop (a controller's batch writes many) leave in one
  // socket write: the response is corked at the first and uncorked once the turn's code is done.
  // (Uncorking after the turn's I/O, with setImmediate, batched more but delayed the events: in
  // two runs of the rollout line the tail was 1.03-1.05x the uncorked one's, against 0.87-0.88x.)
  let corked = false;
  const uncork = () => {
    corked = false;
    if (res.writableCorked > 0) res.uncork();
  };
  const unsubscribe = api.store.subscribe((event) => {
    const line = translate(event);
    if (!line || closed) return;
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    res.write(line);
  });
  for (const line of backlog) res.write(line);
  const bookmarkTimer = bookmarks
    ? setInterval(() => {
        if (closed) return;
        res.write(
          `${JSON.stringify({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(api.store.resourceVersion) } } })}\n`,
        );
      }, ctx.bookmarkMs)
    : undefined;
  const timeoutTimer = setTimeout(() => finish(false), Math.max(0, timeout) * 1000);
  const unregisterDrop = ctx.faults.onDrop(() => finish(true));
  function finish(abrupt: boolean): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    unregisterDrop();
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    if (abrupt) res.destroy();
    else res.end();
  }
  req.on('close', () => finish(false));
  res.on('close', () => finish(false));
}
