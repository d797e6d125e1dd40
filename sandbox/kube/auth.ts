/**
 * Authentication and authorization in front of the emulator's routes.
 *
 * - The admin token of the emulator's kubeconfig (and, for curl's convenience, a request with no
 *   credentials) is `system:admin` in `system:masters`: allowed everything, as on a real cluster.
 * - ServiceAccount tokens come from the TokenRequest subresource (`kubectl create token SA`,
 *   `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`): signed by the emulator (HMAC-SHA256
 *   JWTs), valid until they expire and while the ServiceAccount (same uid) exists. Their user is
 *   `system:serviceaccount:NS:NAME`, and RBAC (rbac.ts) decides what it may do; a refusal is the
 *   real API server's 403 Status. Discovery, OpenAPI and version are open to every
 *   authenticated user (the default `system:discovery` binding).
 * - A bad, expired or revoked token is 401 Unauthorized.
 * - `SelfSubjectAccessReview` (`kubectl auth can-i`) answers for the caller; the admin may
 *   impersonate (`Impersonate-User` / `Impersonate-Group`, `kubectl --as`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeApi } from './api.js';
import { badRequest, invalid, KubeApiError, methodNotAllowed, notFound } from './errors.js';
import { sendJson } from './http-util.js';
import { reviewSpec, tokenSpec } from './auth-review.js';
import { authorize, forbidden, type RbacObjects, type RequestAttributes, type UserInfo } from './rbac.js';
import { findTypeByKind, type ResourceType } from './resources.js';
import { parsePath } from './router.js';

/** The bearer token of the emulator's admin kubeconfig. */
export const ADMIN_TOKEN = 'sandbox';
/** The API server's audience: tokens must carry it to authenticate here. */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

const ADMIN: UserInfo = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
const DEFAULT_EXPIRATION_S = 3600;
const MIN_EXPIRATION_S = 600;
const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  iat: number;
  nbf: number;
  exp: number;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string } };
}

const b64 = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

/** One signing key per emulator. */
const keys = new WeakMap<KubeApi, Buffer>();
function keyOf(api: KubeApi): Buffer {
  let key = keys.get(api);
  if (!key) keys.set(api, (key = randomBytes(32)));
  return key;
}

function sign(key: Buffer, claims: Claims): string {
  const body = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}`;
  return `${body}.${b64(createHmac('sha256', key).update(body).digest())}`;
}

function verify(key: Buffer, token: string): Claims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const expected = createHmac('sha256', key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Claims;
  } catch {
    return undefined;
  }
}

function type(kind: string, group = 'rbac.authorization.k8s.io'): ResourceType {
  return findTypeByKind(group, kind)!;
}

function rbacObjects(api: KubeApi): RbacObjects {
  return {
    roles: (ns) => api.list(type('Role'), ns).items,
    roleBindings: (ns) => api.list(type('RoleBinding'), ns).items,
    clusterRoles: () => api.list(type('ClusterRole'), undefined).items,
    clusterRoleBindings: () => api.list(type('ClusterRoleBinding'), undefined).items,
  };
}

function unauthorized(): KubeApiError {
  return new KubeApiError(401, 'Unauthorized', 'Unauthorized');
}

function serviceAccountUser(namespace: string, name: string): UserInfo {
  return { name: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] };
}

function headerValues(req: IncomingMessage, name: string): string[] {
  const v = req.headers[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Who sends the request; throws 401 for a token that is not (or no longer) valid. */
export function authenticate(api: KubeApi, req: IncomingMessage): UserInfo {
  const header = req.headers.authorization;
  let user: UserInfo;
  if (header === undefined) user = ADMIN;
  else {
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (token === undefined) throw unauthorized();
    if (token === ADMIN_TOKEN) user = ADMIN;
    else {
      const claims = verify(keyOf(api), token);
      const now = Date.now() / 1000;
      if (!claims || claims.exp <= now || claims.nbf > now + 60 || !claims.aud.includes(API_AUDIENCE)) throw unauthorized();
      const { namespace, serviceaccount } = claims['kubernetes.io'];
      const sa = api.tryGet(type('ServiceAccount', ''), namespace, serviceaccount.name);
      if (!sa || sa.metadata.uid !== serviceaccount.uid) throw unauthorized();
      user = serviceAccountUser(namespace, serviceaccount.name);
    }
  }
  const impersonate = headerValues(req, 'impersonate-user')[0];
  if (impersonate === undefined) return user;
  if (user !== ADMIN) throw new KubeApiError(403, 'Forbidden', `users "${impersonate}" is forbidden: User "${user.name}" cannot impersonate resource "users" in API group "" at the cluster scope`, { name: impersonate, kind: 'users' });
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(impersonate);
  const groups = [...headerValues(req, 'impersonate-group'), ...(sa ? serviceAccountUser(sa[1]!, sa[2]!).groups : ['system:authenticated'])];
  return { name: impersonate, groups: [...new Set(groups)] };
}

/** What a resource request does, as the API server's RequestInfo sees it; undefined for other paths. */
export function requestAttributes(method: string, url: URL): RequestAttributes | undefined {
  const parsed = parsePath(url.pathname.replace(/\/+$/, ''));
  if (parsed.kind !== 'resource') return undefined;
  const p = parsed.path;
  const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const verbs: Record<string, string> = {
    GET: watch ? 'watch' : p.name ? 'get' : 'list',
    HEAD: p.name ? 'get' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: p.name ? 'delete' : 'deletecollection',
  };
  const verb = verbs[method];
  if (verb === undefined) return undefined;
  // As the API server: /api/v1/namespaces/NS is a request in namespace NS.
  const namespace = p.type.plural === 'namespaces' && p.type.group === '' ? p.name : p.namespace;
  const attributes: RequestAttributes = { verb, apiGroup: p.type.group, resource: p.type.plural };
  if (p.subresource !== undefined) attributes.subresource = p.subresource;
  if (namespace !== undefined) attributes.namespace = namespace;
  if (p.name !== undefined) attributes.name = p.name;
  return attributes;
}

function allowed(api: KubeApi, user: UserInfo, a: RequestAttributes): boolean {
  return user.groups.includes('system:masters') || authorize(rbacObjects(api), user, a);
}

async function tokenRequest(api: KubeApi, req: IncomingMessage, res: ServerResponse, namespace: string, name: string): Promise<void> {
  const sa = api.tryGet(type('ServiceAccount', ''), namespace, name);
  if (!sa) throw notFound('serviceaccounts', '', name);
  const spec = tokenSpec(await readRaw(req));
  const seconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_S;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < MIN_EXPIRATION_S || seconds > 2 ** 32) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [
      { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(seconds)}: may not specify a duration less than 10 minutes`, field: 'spec.expirationSeconds' },
    ]);
  }
  const aud = spec.audiences !== undefined && spec.audiences.length > 0 ? spec.audiences : [API_AUDIENCE];
  const now = Math.floor(Date.now() / 1000);
  const claims: Claims = {
    iss: API_AUDIENCE,
    sub: `system:serviceaccount:${namespace}:${name}`,
    aud,
    iat: now,
    nbf: now,
    exp: now + seconds,
    'kubernetes.io': { namespace, serviceaccount: { name, uid: String(sa.metadata.uid) } },
  };
  sendJson(res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences: aud, expirationSeconds: seconds, boundObjectRef: null },
    status: { token: sign(keyOf(api), claims), expirationTimestamp: new Date((now + seconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z') },
  });
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new KubeApiError(413, 'BadRequest', 'Request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function selfSubjectAccessReview(api: KubeApi, user: UserInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const spec = reviewSpec(await readRaw(req));
  const ra = spec.resourceAttributes;
  let status: { allowed: boolean; reason?: string };
  if (ra) {
    const a: RequestAttributes = { verb: ra['verb'] ?? '', apiGroup: ra['group'] ?? '', resource: ra['resource'] ?? '' };
    for (const k of ['subresource', 'namespace', 'name'] as const) if (ra[k]) a[k] = ra[k];
    status = { allowed: allowed(api, user, a) };
  } else if (spec.nonResourceAttributes) {
    // The default system:discovery binding: authenticated users may get non-resource URLs.
    status = { allowed: user.groups.includes('system:masters') || spec.nonResourceAttributes['verb'] === 'get' };
  } else throw badRequest('spec.resourceAttributes or spec.nonResourceAttributes is required');
  if (status.allowed && user.groups.includes('system:masters')) status.reason = 'allowed as a member of system:masters';
  sendJson(res, 201, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status });
}

/**
 * Authenticates and authorizes a request, and serves TokenRequest and SelfSubjectAccessReview.
 * Returns true when it answered the request itself; throws the API's 401/403 Status errors.
 */
export async function guard(api: KubeApi, req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<boolean> {
  const user = authenticate(api, req);
  const path = url.pathname.replace(/\/+$/, '');
  if (path === SSAR_PATH) {
    if (method !== 'POST') throw methodNotAllowed();
    await selfSubjectAccessReview(api, user, req, res);
    return true;
  }
  const a = requestAttributes(method, url);
  if (!a) return false; // discovery, OpenAPI, version, health: open to authenticated users
  if (!allowed(api, user, a)) throw forbidden(user, a);
  // Server-side apply that creates the object needs create as well as patch.
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (a.verb === 'patch' && !a.subresource && contentType === 'application/apply-patch+yaml') {
    const t = parsePath(path);
    if (t.kind === 'resource' && api.tryPeek(t.path.type, t.path.namespace, a.name ?? '') === undefined && !allowed(api, user, { ...a, verb: 'create' })) {
      throw forbidden(user, { ...a, verb: 'create' });
    }
  }
  if (a.resource === 'serviceaccounts' && a.apiGroup === '' && a.subresource === 'token') {
    if (method !== 'POST') throw methodNotAllowed();
    await tokenRequest(api, req, res, a.namespace ?? '', a.name ?? '');
    return true;
  }
  return false;
}
