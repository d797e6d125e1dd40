/**
 * The HTTP front of the emulator: applies injected faults, routes each request through
 * two tables (non-resource paths such as discovery and OpenAPI; resource paths by scope
 * and method, which also name the Kubernetes verb), asks the authorizer, then runs the
 * handler. Handlers live in handlers.ts (verbs) and watch.ts (watches and logs).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeApi } from './api.js';
import { guard } from './auth.js';
import type { Kubelet } from './controllers/kubelet.js';
import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from './discovery.js';
import { KubeApiError, methodNotAllowed, notFound } from './errors.js';
import type { FaultInjector } from './faults.js';
import * as verbs from './handlers.js';
import { boolParam, readBody, sendError, sendJson } from './http-util.js';
import type { OpenApiDocuments } from './openapi.js';
import { parsePath, type ResourcePath } from './router.js';

/** The Kubernetes verb of a request, as RBAC names it. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What an authorizer decides on (the attributes of a SubjectAccessReview). */
export interface RequestAttributes {
  /** The authenticated user (`system:anonymous` when no authenticator is set). */
  user: string;
  verb: Verb;
  /** Set for resource requests. */
  resource?: { apiGroup: string; resource: string; subresource?: string; namespace?: string; name?: string };
  /** Set for non-resource requests (discovery, OpenAPI, health). */
  path?: string;
}

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
  /** Notes each request (the workload controllers coalesce while clients keep the API busy). */
  load?: { request(): void };
  /** Writes the Events recorded and not written yet; called before a request on Events runs. */
  flushEvents?: () => void;
  /** Who sent the request; throw a 401 KubeApiError to refuse it. @default every request is `system:anonymous` */
  authenticate?: (req: IncomingMessage) => string | Promise<string>;
  /** Called after routing, before the handler; throw a 403 KubeApiError to deny. @default everything is allowed */
  authorize?: (attributes: RequestAttributes) => void | Promise<void>;
}

/** A request after routing: the handler to run and the attributes to authorize. */
interface Routed {
  verb: Verb;
  run: () => Promise<void> | void;
  resource?: ResourcePath;
}

/** Non-resource GET paths: exact ones first, then prefixes and patterns. */
type PathHandler = (ctx: ServerContext, req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => void;

const sendOk: PathHandler = (_ctx, _req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ok');
};

const PATH_ROUTES: Array<[RegExp, PathHandler]> = [
  [/^\/version$/, (_ctx, _req, res) => sendJson(res, 200, versionInfo())],
  [/^\/(healthz|readyz|livez)$/, sendOk],
  [/^\/api$/, (ctx, _req, res) => sendJson(res, 200, coreVersions(ctx.address()))],
  [/^\/apis$/, (_ctx, _req, res) => sendJson(res, 200, groupList())],
  [/^\/openapi\/v2$/, serveOpenApiV2],
  [/^\/openapi\/v3$/, (ctx, _req, res) => sendJson(res, 200, ctx.openapi.v3Index())],
  [
    /^\/openapi\/v3\/(.+)$/,
    (ctx, _req, res, m) => {
      const doc = ctx.openapi.v3Document(m[1]!);
      if (!doc) throw notFound('openapi', '', m[0]);
      sendJson(res, 200, doc, { 'Cache-Control': 'public, immutable' });
    },
  ],
  [
    /^\/apis\/([^/]+)$/,
    (_ctx, _req, res, m) => {
      const doc = apiGroup(m[1]!);
      if (!doc) throw notFound('groups', '', m[1]!);
      sendJson(res, 200, doc);
    },
  ],
];

/** Where in a resource a request points. */
type Scope = 'collection' | 'object' | 'status' | 'scale' | 'log';

/** Resource routes: scope x method -> verb and handler. */
const RESOURCE_ROUTES: Record<Scope, Partial<Record<string, { verb: Verb; handler: verbs.ResourceHandler }>>> = {
  collection: {
    GET: { verb: 'list', handler: verbs.list },
    POST: { verb: 'create', handler: verbs.create },
    DELETE: { verb: 'deletecollection', handler: verbs.deleteCollection },
  },
  object: {
    GET: { verb: 'get', handler: verbs.get },
    PUT: { verb: 'update', handler: verbs.update },
    PATCH: { verb: 'patch', handler: verbs.patch },
    DELETE: { verb: 'delete', handler: verbs.remove },
  },
  status: {
    GET: { verb: 'get', handler: verbs.getStatus },
    PUT: { verb: 'update', handler: verbs.updateStatus },
    PATCH: { verb: 'patch', handler: verbs.patchStatus },
  },
  scale: {
    GET: { verb: 'get', handler: verbs.getScale },
    PUT: { verb: 'update', handler: verbs.writeScale },
    PATCH: { verb: 'patch', handler: verbs.writeScale },
  },
  log: { GET: { verb: 'get', handler: verbs.logs } },
};

const NOT_FOUND = () => new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');

/** Handles one HTTP request. Never throws. */
export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.load?.request();
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    await applyFaults(ctx, req, method, url.pathname);
    if (await guard(ctx.api, req, res, url, method)) return; // authentication, RBAC, TokenRequest, SelfSubjectAccessReview
    const routed = route(ctx, req, res, url, method);
    const user = ctx.authenticate ? await ctx.authenticate(req) : 'system:anonymous';
    if (ctx.authorize) await ctx.authorize(attributesOf(user, routed, url.pathname));
    // Events are written after their recording (controllers/runtime.ts EventRecorder): a request on them sees every one recorded before it.
    if (routed.resource?.type.kind === 'Event') ctx.flushEvents?.();
    await routed.run();
  } catch (error) {
    const retryAfter = (error as { retryAfter?: number }).retryAfter;
    sendError(res, error, retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {});
  }
}

function attributesOf(user: string, routed: Routed, path: string): RequestAttributes {
  const p = routed.resource;
  if (!p) return { user, verb: routed.verb, path };
  return {
    user,
    verb: routed.verb,
    resource: { apiGroup: p.type.group, resource: p.type.plural, subresource: p.subresource, namespace: p.namespace, name: p.name },
  };
}

async function applyFaults(ctx: ServerContext, req: IncomingMessage, method: string, pathname: string): Promise<void> {
  if (ctx.faults.latency > 0) await new Promise((r) => setTimeout(r, ctx.faults.latency));
  const failure = ctx.faults.takeFailure(method, pathname);
  if (!failure) return;
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

/** Picks the handler of a request (throws 404/405 when there is none). */
function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL, method: string): Routed {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (method === 'GET') {
    for (const [pattern, handler] of PATH_ROUTES) {
      const match = pattern.exec(path);
      if (match) return { verb: 'get', run: () => handler(ctx, req, res, match) };
    }
  }
  const parsed = parsePath(path);
  if (parsed.kind === 'group-version') {
    const doc = method === 'GET' ? resourceList(parsed.group, parsed.version) : undefined;
    if (!doc) throw NOT_FOUND();
    return { verb: 'get', run: () => sendJson(res, 200, doc) };
  }
  if (parsed.kind === 'unknown') throw NOT_FOUND();
  const p = parsed.path;
  const scope: Scope = p.subresource ? (p.subresource as Scope) : p.name ? 'object' : 'collection';
  if (p.subresource && !p.type.subresources.includes(p.subresource as 'status')) throw NOT_FOUND();
  const entry = RESOURCE_ROUTES[scope]?.[method];
  if (!entry) throw methodNotAllowed();
  const query = url.searchParams;
  const isWatch = scope === 'collection' && method === 'GET' && boolParam(query, 'watch');
  const handler = isWatch ? verbs.watch : entry.handler;
  return { verb: isWatch ? 'watch' : entry.verb, resource: p, run: () => handler({ ctx, req, res, query, path: p }) };
}

function serveOpenApiV2(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  const accept = req.headers.accept ?? '';
  const acceptsJson = accept === '' || /application\/json|\*\/\*/.test(accept);
  if (!acceptsJson) {
    throw new KubeApiError(406, 'NotAcceptable', 'only application/json is supported for /openapi/v2 by this server');
  }
  sendJson(res, 200, ctx.openapi.v2Document());
}
