/**
 * The handlers of the resource verbs (list, create, get, update, patch, delete,
 * deletecollection) and of the status, scale and log subresources. The route table
 * in server.ts picks one per request; each gets the parsed request and answers it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonOf, type PatchType, type WriteOptions } from './api.js';
import { badRequest, KubeApiError } from './errors.js';
import { boolParam, intParam, managerFromUserAgent, objectBodyType, parseBody, readBody, readBodyBytes, sendJson, wantsTable } from './http-util.js';
import { decodeProtobufBody } from './protobuf.js';
import { groupVersion, type ResourceType } from './resources.js';
import type { ResourcePath } from './router.js';
import { unknownFields } from './schemas.js';
import { checkFieldSelector, parseFieldSelector, parseLabelSelector, type FieldRequirement, type LabelRequirement } from './selectors.js';
import type { ServerContext } from './server.js';
import { toTable, type IncludeObject } from './tables.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';
import { serveLogs, serveWatch } from './watch.js';

/** One routed resource request. */
export interface ResourceRequest {
  ctx: ServerContext;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  path: ResourcePath;
}

/** Answers one routed resource request. */
export type ResourceHandler = (rq: ResourceRequest) => Promise<void> | void;

const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
};

export function includeObject(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Handles one HTTP request. Never throws. */
export function writeOptions(req: IncomingMessage, query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All')) throw badRequest(`Invalid dry run value: ${dryRun.join(',')}: supported values: "All"`);
  return { dryRun: dryRun.length > 0, fieldManager: query.get('fieldManager') ?? managerFromUserAgent(req.headers['user-agent']) };
}

/** Unknown-field handling per the fieldValidation parameter (default Warn). */
export function checkUnknownFields(type: ResourceType, body: unknown, query: URLSearchParams, res: ServerResponse): void {
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

export function selectors(type: ResourceType, query: URLSearchParams): { labels: LabelRequirement[]; fields: FieldRequirement[] } {
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
  checkFieldSelector(type.kind, fields);
  return { labels, fields };
}

export function listBody(type: ResourceType, items: KubeObject[], meta: JsonObject): JsonObject {
  return { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: meta, items };
}

export async function readPatch(req: IncomingMessage): Promise<{ patchType: PatchType; patch: unknown }> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const patchType = PATCH_TYPES[contentType];
  if (!patchType) {
    throw new KubeApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`);
  }
  const patch = parseBody(await readBody(req), patchType === 'apply');
  if (patch === undefined) throw badRequest('the patch body is empty');
  return { patchType, patch };
}

export function scaleOf(obj: KubeObject): JsonObject {
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


/** Reads a create/update body (JSON, or the Kubernetes protobuf that kubectl's typed clients send). */
export async function readObjectBody(req: IncomingMessage): Promise<KubeObject> {
  if (objectBodyType(req.headers['content-type']) === 'protobuf') return decodeProtobufBody(await readBodyBytes(req)) as KubeObject;
  const body = parseBody(await readBody(req), false);
  if (!isObject(body)) throw badRequest('the request body must be a JSON object');
  return body as KubeObject;
}

export const list: ResourceHandler = ({ ctx, req, res, query, path: p }) => {
  const { labels, fields } = selectors(p.type, query);
  const { items, resourceVersion } = ctx.api.list(p.type, p.namespace, labels, fields);
  const limit = intParam(query, 'limit') ?? 0;
  const start = Number.parseInt(Buffer.from(query.get('continue') ?? '', 'base64url').toString() || '0', 10) || 0;
  const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
  const meta: JsonObject = { resourceVersion };
  if (limit > 0 && start + limit < items.length) {
    meta.continue = Buffer.from(String(start + limit)).toString('base64url');
    meta.remainingItemCount = items.length - start - limit;
  }
  if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(p.type, page, includeObject(query), meta));
  return sendJson(res, 200, listBody(p.type, page, meta));
};

export const watch: ResourceHandler = ({ ctx, req, res, query, path }) => serveWatch(ctx, req, res, query, path);

export const create: ResourceHandler = async ({ ctx, req, res, query, path: p }) => {
  const body = await readObjectBody(req);
  checkUnknownFields(p.type, body, query, res);
  return sendJson(res, 201, jsonOf(ctx.api.create(p.type, p.namespace, body, { ...writeOptions(req, query), shared: true })));
};

export const deleteCollection: ResourceHandler = ({ ctx, req, res, query, path: p }) => {
  const { api } = ctx;
  const { labels, fields } = selectors(p.type, query);
  const opts = writeOptions(req, query);
  const deleted: KubeObject[] = [];
  for (const item of api.list(p.type, p.namespace, labels, fields).items) {
    deleted.push(api.delete(p.type, item.metadata.namespace, item.metadata.name ?? '', { dryRun: opts.dryRun }).object);
  }
  return sendJson(res, 200, listBody(p.type, deleted, { resourceVersion: String(api.store.resourceVersion) }));
};

export const get: ResourceHandler = ({ ctx, req, res, query, path: p }) => {
  const obj = ctx.api.get(p.type, p.namespace, p.name ?? '');
  if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(p.type, [obj], includeObject(query), { resourceVersion: obj.metadata.resourceVersion }));
  return sendJson(res, 200, obj);
};

export const update: ResourceHandler = async ({ ctx, req, res, query, path: p }) => {
  const body = await readObjectBody(req);
  checkUnknownFields(p.type, body, query, res);
  return sendJson(res, 200, jsonOf(ctx.api.update(p.type, p.namespace, p.name ?? '', body, { ...writeOptions(req, query), shared: true })));
};

export const patch: ResourceHandler = async ({ ctx, req, res, query, path: p }) => {
  const { api } = ctx;
  const name = p.name ?? '';
  const { patchType, patch: body } = await readPatch(req);
  if (patchType !== 'json') checkUnknownFields(p.type, body, query, res);
  const opts = { ...writeOptions(req, query), force: boolParam(query, 'force'), shared: true };
  if (patchType === 'apply' && !query.get('fieldManager')) opts.fieldManager = undefined;
  if (patchType !== 'apply' && opts.force) throw badRequest('force may not be specified for non-apply patch');
  const existed = patchType === 'apply' && api.tryPeek(p.type, p.namespace, name) !== undefined;
  const result = api.patch(p.type, p.namespace, name, patchType, body, opts);
  return sendJson(res, patchType === 'apply' && !existed && !opts.dryRun ? 201 : 200, jsonOf(result));
};

export const remove: ResourceHandler = async ({ ctx, req, res, query, path: p }) => {
  const name = p.name ?? '';
  const type = p.type;
  const body = parseBody(await readBody(req), false);
  const options = isObject(body) ? body : {};
  const policy = query.get('propagationPolicy') ?? (options.propagationPolicy as string | undefined);
  if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const orphan = options.orphanDependents === true ? 'Orphan' : undefined;
  const dryRun = query.getAll('dryRun').length > 0 || (Array.isArray(options.dryRun) && options.dryRun.length > 0);
  const graceText = query.get('gracePeriodSeconds') ?? (options.gracePeriodSeconds !== undefined ? String(options.gracePeriodSeconds) : undefined);
  if (graceText !== undefined && !/^\d+$/.test(graceText)) throw badRequest(`invalid gracePeriodSeconds: ${JSON.stringify(graceText)}`);
  const { object, deleted } = ctx.api.delete(type, p.namespace, name, {
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
};

export const getStatus: ResourceHandler = ({ ctx, res, path: p }) => sendJson(res, 200, ctx.api.get(p.type, p.namespace, p.name ?? ''));

export const updateStatus: ResourceHandler = async ({ ctx, req, res, query, path: p }) => {
  const body = await readObjectBody(req);
  return sendJson(res, 200, ctx.api.update(p.type, p.namespace, p.name ?? '', body, { ...writeOptions(req, query), subresource: 'status' }));
};

export const patchStatus: ResourceHandler = async ({ ctx, req, res, query, path: p }) => {
  const { patchType, patch: body } = await readPatch(req);
  const opts = { ...writeOptions(req, query), subresource: 'status' as const, force: boolParam(query, 'force') };
  return sendJson(res, 200, ctx.api.patch(p.type, p.namespace, p.name ?? '', patchType, body, opts));
};

export const getScale: ResourceHandler = ({ ctx, res, path: p }) => sendJson(res, 200, scaleOf(ctx.api.get(p.type, p.namespace, p.name ?? '')));

/** PUT and PATCH of `scale`: only spec.replicas (and a resourceVersion precondition) count. */
export const writeScale: ResourceHandler = async ({ ctx, req, res, query, path: p }) => {
  const { api } = ctx;
  const name = p.name ?? '';
  const current = api.get(p.type, p.namespace, name);
  let replicas: unknown;
  let resourceVersion: unknown;
  if (req.method === 'PUT') {
    const body = parseBody(await readBody(req), false);
    if (!isObject(body) || !isObject(body.spec)) throw badRequest('Scale body must have spec.replicas');
    replicas = body.spec.replicas;
    resourceVersion = isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
  } else {
    const { patchType, patch: body } = await readPatch(req);
    if (patchType === 'json' || patchType === 'apply') throw badRequest('only merge and strategic merge patches are supported on scale');
    const scale = scaleOf(current);
    const merged = isObject(body) && isObject(body.spec) ? { ...(scale.spec as JsonObject), ...body.spec } : scale.spec;
    replicas = (merged as JsonObject).replicas;
    resourceVersion = isObject(body) && isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
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
  const updated = api.update(p.type, p.namespace, name, next, writeOptions(req, query));
  return sendJson(res, 200, scaleOf(updated));
};

export const logs: ResourceHandler = ({ ctx, req, res, query, path }) => serveLogs(ctx, req, res, query, path);
