/**
 * OpenAPI documents: v2 (`/openapi/v2`, JSON) and v3 (`/openapi/v3` index and one
 * document per group-version), with paths carrying the operation parameters
 * kubectl looks for (notably `fieldValidation`, so kubectl validates server-side).
 */
import { createHash } from 'node:crypto';
import { EMULATED_VERSION } from './discovery.js';
import { groupVersion, RESOURCE_TYPES, servedGroups, type ResourceType } from './resources.js';
import { buildDefinitions, definitionName } from './schemas.js';
import type { JsonObject } from './types.js';

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

function param(name: string, style: 'v2' | 'v3', type = 'string'): JsonObject {
  return style === 'v2'
    ? { name, in: 'query', type, uniqueItems: true }
    : { name, in: 'query', schema: { type, uniqueItems: true } };
}

function body(model: string, style: 'v2' | 'v3', mediaTypes: string[]): JsonObject {
  const ref = style === 'v2' ? `#/definitions/${definitionName(model)}` : `#/components/schemas/${definitionName(model)}`;
  if (style === 'v2') return { name: 'body', in: 'body', required: true, schema: { $ref: ref } };
  return { content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: { $ref: ref } }])), required: true };
}

function response(model: string, style: 'v2' | 'v3'): JsonObject {
  const ref = style === 'v2' ? `#/definitions/${definitionName(model)}` : `#/components/schemas/${definitionName(model)}`;
  return style === 'v2' ? { description: 'OK', schema: { $ref: ref } } : { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } };
}

function operation(
  t: ResourceType,
  action: string,
  id: string,
  style: 'v2' | 'v3',
  params: string[],
  model: string,
  requestModel?: string,
  mediaTypes: string[] = ['application/json'],
  kind: JsonObject = { group: t.group, version: t.version, kind: t.kind },
): JsonObject {
  const op: JsonObject = {
    operationId: id,
    parameters: params.map((p) => param(p, style, p === 'force' ? 'boolean' : 'string')),
    responses: { '200': response(model, style) },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind,
  };
  if (requestModel) {
    if (style === 'v2') (op.parameters as JsonObject[]).push(body(requestModel, style, mediaTypes));
    else op.requestBody = body(requestModel, style, mediaTypes);
  }
  return op;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function pathsFor(t: ResourceType, style: 'v2' | 'v3'): JsonObject {
  const prefix = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const collection = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
  const item = `${collection}/{name}`;
  const id = `${t.kind}`;
  const listModel = `${t.model}List`;
  const out: JsonObject = {
    [collection]: {
      get: operation(t, 'list', `list${id}`, style, ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch', 'timeoutSeconds'], listModel),
      post: operation(t, 'post', `create${id}`, style, WRITE_PARAMS, t.model, t.model),
      delete: operation(t, 'deletecollection', `deleteCollection${id}`, style, ['labelSelector', 'fieldSelector', 'dryRun', 'propagationPolicy'], 'V1Status'),
    },
    [item]: {
      get: operation(t, 'get', `read${id}`, style, [], t.model),
      put: operation(t, 'put', `replace${id}`, style, WRITE_PARAMS, t.model, t.model),
      patch: operation(t, 'patch', `patch${id}`, style, [...WRITE_PARAMS, 'force'], t.model, 'V1Patch', PATCH_TYPES),
      delete: operation(t, 'delete', `delete${id}`, style, ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'], 'V1Status', 'V1DeleteOptions'),
    },
  };
  if (t.namespaced && style === 'v2') {
    for (const path of [collection, item]) (out[path] as JsonObject).parameters = [{ name: 'namespace', in: 'path', required: true, type: 'string' }];
  }
  for (const sub of t.subresources) {
    const subPath = `${item}/${sub}`;
    if (sub === 'log') {
      out[subPath] = { get: operation(t, 'get', `read${id}Log`, style, ['container', 'follow', 'previous', 'sinceSeconds', 'tailLines', 'timestamps'], 'V1Status') };
    } else if (sub === 'scale') {
      const scaleKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
      out[subPath] = {
        get: operation(t, 'get', `read${id}Scale`, style, [], 'V1Scale', undefined, undefined, scaleKind),
        put: operation(t, 'put', `replace${id}Scale`, style, WRITE_PARAMS, 'V1Scale', 'V1Scale', undefined, scaleKind),
        patch: operation(t, 'patch', `patch${id}Scale`, style, [...WRITE_PARAMS, 'force'], 'V1Scale', 'V1Patch', PATCH_TYPES, scaleKind),
      };
    } else {
      out[subPath] = {
        get: operation(t, 'get', `read${id}Status`, style, [], t.model),
        put: operation(t, 'put', `replace${id}Status`, style, WRITE_PARAMS, t.model, t.model),
        patch: operation(t, 'patch', `patch${id}Status`, style, [...WRITE_PARAMS, 'force'], t.model, 'V1Patch', PATCH_TYPES),
      };
    }
  }
  return out;
}

/** Builds and caches the OpenAPI documents. */
export class OpenApiDocuments {
  private v2?: string;
  private readonly v3 = new Map<string, string>();

  /** GET /openapi/v2 (JSON text). */
  v2Document(): string {
    this.v2 ??= JSON.stringify({
      swagger: '2.0',
      info: { title: 'Kubernetes', version: EMULATED_VERSION.gitVersion },
      paths: Object.assign({}, ...RESOURCE_TYPES.map((t) => pathsFor(t, 'v2'))),
      definitions: { ...buildDefinitions('v2'), 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { type: 'object' } },
    });
    return this.v2;
  }

  /** `group/version` path keys of the v3 index ("api/v1", "apis/apps/v1"). */
  private static key(g: { group: string; version: string }): string {
    return g.group === '' ? `api/${g.version}` : `apis/${g.group}/${g.version}`;
  }

  /** GET /openapi/v3. */
  v3Index(): JsonObject {
    const paths: JsonObject = {};
    for (const g of servedGroups()) {
      const key = OpenApiDocuments.key(g);
      const hash = createHash('sha512').update(this.v3Document(key) ?? '').digest('hex').slice(0, 128).toUpperCase();
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
    return { paths };
  }

  /** GET /openapi/v3/<key> (JSON text) or undefined when not served. */
  v3Document(key: string): string | undefined {
    const cached = this.v3.get(key);
    if (cached) return cached;
    const g = servedGroups().find((x) => OpenApiDocuments.key(x) === key);
    if (!g) return undefined;
    const types = RESOURCE_TYPES.filter((t) => groupVersion(t) === groupVersion(g));
    const doc = JSON.stringify({
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: EMULATED_VERSION.gitVersion },
      paths: Object.assign({}, ...types.map((t) => pathsFor(t, 'v3'))),
      components: { schemas: { ...buildDefinitions('v3', types), 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { type: 'object' } } },
    });
    this.v3.set(key, doc);
    return doc;
  }
}
