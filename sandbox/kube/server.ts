/**
 * The HTTP front of the emulator: routes Kubernetes REST requests to the API
 * semantics, serves discovery, OpenAPI, tables, watches and pod logs, and applies
 * injected faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeApi, PatchType, WriteOptions } from './api.js';
import { guard } from './auth.js';
import type { Kubelet, LogOptions } from './controllers/kubelet.js';
import { formatLine } from './controllers/kubelet.js';
import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from './discovery.js';
import { badRequest, expired, KubeApiError, methodNotAllowed, notFound } from './errors.js';
import type { FaultInjector } from './faults.js';
import { boolParam, intParam, managerFromUserAgent, parseBody, readBody, requireJsonBody, sendError, sendJson, wantsTable } from './http-util.js';
import type { OpenApiDocuments } from './openapi.js';
import { groupVersion, type ResourceType } from './resources.js';
import { parsePath, type ResourcePath } from './router.js';
import { unknownFields } from './schemas.js';
import { checkFieldSelector, matchFields, matchLabels, parseFieldSelector, parseLabelSelector, type FieldRequirement, type LabelRequirement } from './selectors.js';
import type { StoreEvent } from './store.js';
import { toTable, type IncludeObject } from './tables.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';

/** What the HTTP layer needs from the running emulator. */
export interface ServerContext {
  api: KubeApi;
  kubelet: Kubelet;
  faults: FaultInjector;
  openapi: OpenApiDocuments;
  /** host:port for /api serverAddressByClientCIDRs. */
  address: () => string;
  /** Bookmark interval of watches, in real milliseconds. */
  bookmarkMs: number;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
};

const WATCH_DEFAULT_TIMEOUT_S = 1800;

function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Handles one HTTP request. Never throws. */
export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    if (ctx.faults.latency > 0) await new Promise((r) => setTimeout(r, ctx.faults.latency));
    const failure = ctx.faults.takeFailure(method, url.pathname);
    if (failure) {
      await readBody(req).catch(() => undefined);
      if (failure.status === 429) {
        throw Object.assign(new KubeApiError(429, 'TooManyRequests', 'Too many requests, please try again later.'), {
          retryAfter: failure.retryAfterSeconds,
        });
      }
      if (failure.status === 422) throw new KubeApiError(422, 'Invalid', 'admission webhook "injected.fault" denied the request: injected refusal');
      if (failure.status === 403) throw new KubeApiError(403, 'Forbidden', 'forbidden: injected refusal');
      throw new KubeApiError(500, 'InternalError', 'Internal error occurred: injected fault');
    }
    if (await guard(ctx.api, req, res, url, method)) return; // authentication, RBAC, TokenRequest, SelfSubjectAccessReview
    await route(ctx, req, res, url, method);
  } catch (error) {
    const retryAfter = (error as { retryAfter?: number }).retryAfter;
    sendError(res, error, retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {});
  }
}

async function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (method === 'GET') {
    if (path === '/version') return sendJson(res, 200, versionInfo());
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (path === '/api') return sendJson(res, 200, coreVersions(ctx.address()));
    if (path === '/apis') return sendJson(res, 200, groupList());
    if (path === '/openapi/v2') return serveOpenApiV2(ctx, req, res);
    if (path === '/openapi/v3') return sendJson(res, 200, ctx.openapi.v3Index());
    if (path.startsWith('/openapi/v3/')) {
      const doc = ctx.openapi.v3Document(path.slice('/openapi/v3/'.length));
      if (!doc) throw notFound('openapi', '', path);
      return sendJson(res, 200, doc, { 'Cache-Control': 'public, immutable' });
    }
    const groupOnly = /^\/apis\/([^/]+)$/.exec(path);
    if (groupOnly) {
      const doc = apiGroup(groupOnly[1]!);
      if (!doc) throw notFound('groups', '', groupOnly[1]!);
      return sendJson(res, 200, doc);
    }
  }
  const parsed = parsePath(path);
  if (parsed.kind === 'group-version') {
    const doc = method === 'GET' ? resourceList(parsed.group, parsed.version) : undefined;
    if (!doc) throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    return sendJson(res, 200, doc);
  }
  if (parsed.kind === 'unknown') throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
  return serveResource(ctx, req, res, url, method, parsed.path);
}

function serveOpenApiV2(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  const accept = req.headers.accept ?? '';
  const acceptsJson = accept === '' || /application\/json|\*\/\*/.test(accept);
  if (!acceptsJson) {
    throw new KubeApiError(406, 'NotAcceptable', 'only application/json is supported for /openapi/v2 by this server');
  }
  sendJson(res, 200, ctx.openapi.v2Document());
}

function writeOptions(req: IncomingMessage, query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All')) throw badRequest(`Invalid dry run value: ${dryRun.join(',')}: supported values: "All"`);
  return { dryRun: dryRun.length > 0, fieldManager: query.get('fieldManager') ?? managerFromUserAgent(req.headers['user-agent']) };
}

/** Unknown-field handling per the fieldValidation parameter (default Warn). */
function checkUnknownFields(type: ResourceType, body: unknown, query: URLSearchParams, res: ServerResponse): void {
  const mode = query.get('fieldValidation') ?? 'Warn';
  if (mode === 'Ignore' || !isObject(body)) return;
  if (!['Strict', 'Warn'].includes(mode)) throw badRequest(`fieldValidation must be one of Ignore, Warn or Strict, got "${mode}"`);
  const unknown = unknownFields(type.model, body);
  if (unknown.length === 0) return;
  if (mode === 'Strict') {
    const list = unknown.map((f) => `unknown field "${f}"`);
    throw badRequest(`strict decoding error: ${list.join(', ')}`);
  }
  res.setHeader(
    'Warning',
    unknown.map((f) => `299 - "unknown field \\"${f}\\""`),
  );
}

function selectors(type: ResourceType, query: URLSearchParams): { labels: LabelRequirement[]; fields: FieldRequirement[] } {
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  checkFieldSelector(type.kind, fields);
  return { labels, fields };
}

function listBody(type: ResourceType, items: KubeObject[], meta: JsonObject): JsonObject {
  return { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: meta, items };
}

async function serveResource(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  method: string,
  p: ResourcePath,
): Promise<void> {
  const { api } = ctx;
  const query = url.searchParams;
  const type = p.type;
  const table = wantsTable(req.headers.accept);
  if (p.subresource) return serveSubresource(ctx, req, res, query, method, p);
  if (!p.name) {
    if (method === 'GET') {
      if (boolParam(query, 'watch')) return serveWatch(ctx, req, res, query, p);
      const { labels, fields } = selectors(type, query);
      const { items, resourceVersion } = api.list(type, p.namespace, labels, fields);
      const limit = intParam(query, 'limit') ?? 0;
      const start = Number.parseInt(Buffer.from(query.get('continue') ?? '', 'base64url').toString() || '0', 10) || 0;
      const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
      const meta: JsonObject = { resourceVersion };
      if (limit > 0 && start + limit < items.length) {
        meta.continue = Buffer.from(String(start + limit)).toString('base64url');
        meta.remainingItemCount = items.length - start - limit;
      }
      if (table) return sendJson(res, 200, toTable(type, page, includeObject(query), meta));
      return sendJson(res, 200, listBody(type, page, meta));
    }
    if (method === 'POST') {
      requireJsonBody(req.headers['content-type']);
      const body = parseBody(await readBody(req), false);
      if (!isObject(body)) throw badRequest('the request body must be a JSON object');
      checkUnknownFields(type, body, query, res);
      const created = api.create(type, p.namespace, body as KubeObject, writeOptions(req, query));
      return sendJson(res, 201, created);
    }
    if (method === 'DELETE') {
      const { labels, fields } = selectors(type, query);
      const opts = writeOptions(req, query);
      const deleted: KubeObject[] = [];
      for (const item of api.list(type, p.namespace, labels, fields).items) {
        deleted.push(api.delete(type, item.metadata.namespace, item.metadata.name ?? '', { dryRun: opts.dryRun }).object);
      }
      return sendJson(res, 200, listBody(type, deleted, { resourceVersion: String(api.store.resourceVersion) }));
    }
    throw methodNotAllowed();
  }
  const name = p.name;
  switch (method) {
    case 'GET': {
      const obj = api.get(type, p.namespace, name);
      if (table) return sendJson(res, 200, toTable(type, [obj], includeObject(query), { resourceVersion: obj.metadata.resourceVersion }));
      return sendJson(res, 200, obj);
    }
    case 'PUT': {
      requireJsonBody(req.headers['content-type']);
      const body = parseBody(await readBody(req), false);
      if (!isObject(body)) throw badRequest('the request body must be a JSON object');
      checkUnknownFields(type, body, query, res);
      return sendJson(res, 200, api.update(type, p.namespace, name, body as KubeObject, writeOptions(req, query)));
    }
    case 'PATCH': {
      const { patchType, patch } = await readPatch(req);
      if (patchType !== 'json') checkUnknownFields(type, patch, query, res);
      const opts = { ...writeOptions(req, query), force: boolParam(query, 'force') };
      if (patchType === 'apply' && !query.get('fieldManager')) opts.fieldManager = undefined;
      if (patchType !== 'apply' && opts.force) throw badRequest('force may not be specified for non-apply patch');
      const existed = patchType === 'apply' && api.tryGet(type, p.namespace, name) !== undefined;
      const result = api.patch(type, p.namespace, name, patchType, patch, opts);
      return sendJson(res, patchType === 'apply' && !existed && !opts.dryRun ? 201 : 200, result);
    }
    case 'DELETE': {
      const text = await readBody(req);
      const body = parseBody(text, false);
      const options = isObject(body) ? body : {};
      const policy = query.get('propagationPolicy') ?? (options.propagationPolicy as string | undefined);
      if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
        throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
      }
      const orphan = options.orphanDependents === true ? 'Orphan' : undefined;
      const dryRun = query.getAll('dryRun').length > 0 || (Array.isArray(options.dryRun) && options.dryRun.length > 0);
      const graceText = query.get('gracePeriodSeconds') ?? (options.gracePeriodSeconds !== undefined ? String(options.gracePeriodSeconds) : undefined);
      if (graceText !== undefined && !/^\d+$/.test(graceText)) throw badRequest(`invalid gracePeriodSeconds: ${JSON.stringify(graceText)}`);
      const { object, deleted } = api.delete(type, p.namespace, name, {
        dryRun,
        gracePeriodSeconds: graceText === undefined ? undefined : Number(graceText),
        propagationPolicy: (policy as 'Foreground' | 'Background' | 'Orphan' | undefined) ?? orphan,
        preconditions: isObject(options.preconditions) ? (options.preconditions as { uid?: string; resourceVersion?: string }) : undefined,
      });
      if (deleted && type.kind !== 'Pod') {
        return sendJson(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: type.group, kind: type.plural, uid: object.metadata.uid },
        });
      }
      return sendJson(res, deleted ? 200 : 202, object);
    }
    default:
      throw methodNotAllowed();
  }
}

async function readPatch(req: IncomingMessage): Promise<{ patchType: PatchType; patch: unknown }> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const patchType = PATCH_TYPES[contentType];
  if (!patchType) {
    throw new KubeApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`);
  }
  const patch = parseBody(await readBody(req), patchType === 'apply');
  if (patch === undefined) throw badRequest('the patch body is empty');
  return { patchType, patch };
}

function scaleOf(obj: KubeObject): JsonObject {
  const selector = isObject(obj.spec?.selector) ? (obj.spec.selector as JsonObject) : {};
  const labels = isObject(selector.matchLabels) ? Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${String(v)}`) : [];
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: Number(obj.spec?.replicas ?? 0) },
    status: { replicas: Number(obj.status?.replicas ?? 0), selector: labels.join(',') },
  };
}

async function serveSubresource(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  method: string,
  p: ResourcePath,
): Promise<void> {
  const { api } = ctx;
  const type = p.type;
  const name = p.name ?? '';
  const sub = p.subresource ?? '';
  if (!type.subresources.includes(sub as 'status')) throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (sub === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    return serveLogs(ctx, req, res, query, p);
  }
  if (sub === 'scale') {
    if (method === 'GET') return sendJson(res, 200, scaleOf(api.get(type, p.namespace, name)));
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
    const current = api.get(type, p.namespace, name);
    let replicas: unknown;
    let resourceVersion: unknown;
    if (method === 'PUT') {
      const body = parseBody(await readBody(req), false);
      if (!isObject(body) || !isObject(body.spec)) throw badRequest('Scale body must have spec.replicas');
      replicas = body.spec.replicas;
      resourceVersion = isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    } else {
      const { patchType, patch } = await readPatch(req);
      if (patchType === 'json' || patchType === 'apply') throw badRequest('only merge and strategic merge patches are supported on scale');
      const scale = scaleOf(current);
      const merged = isObject(patch) && isObject(patch.spec) ? { ...(scale.spec as JsonObject), ...patch.spec } : scale.spec;
      replicas = (merged as JsonObject).replicas;
      resourceVersion = isObject(patch) && isObject(patch.metadata) ? patch.metadata.resourceVersion : undefined;
    }
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new KubeApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, {
        name,
        group: 'autoscaling',
        kind: 'Scale',
      }, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' }]);
    }
    const next = { ...current, spec: { ...(current.spec ?? {}), replicas } };
    if (typeof resourceVersion === 'string') next.metadata = { ...next.metadata, resourceVersion };
    const updated = api.update(type, p.namespace, name, next, writeOptions(req, query));
    return sendJson(res, 200, scaleOf(updated));
  }
  const opts = { ...writeOptions(req, query), subresource: 'status' as const };
  switch (method) {
    case 'GET':
      return sendJson(res, 200, api.get(type, p.namespace, name));
    case 'PUT': {
      const body = parseBody(await readBody(req), false);
      if (!isObject(body)) throw badRequest('the request body must be a JSON object');
      return sendJson(res, 200, api.update(type, p.namespace, name, body as KubeObject, opts));
    }
    case 'PATCH': {
      const { patchType, patch } = await readPatch(req);
      return sendJson(res, 200, api.patch(type, p.namespace, name, patchType, patch, { ...opts, force: boolParam(query, 'force') }));
    }
    default:
      throw methodNotAllowed();
  }
}

function serveLogs(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, p: ResourcePath): void {
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

function serveWatch(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, p: ResourcePath): void {
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
    const object = table && eventType !== 'ERROR' && eventType !== 'BOOKMARK' ? toTable(type, [obj as KubeObject], include, {}) : obj;
    return `${JSON.stringify({ type: eventType, object })}\n`;
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
  const unsubscribe = api.store.subscribe((event) => {
    const line = translate(event);
    if (line && !closed) res.write(line);
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
