/**
 * The service side of the hub: the IoT Hub REST API subset the azure-iothub SDK uses, over HTTPS
 * on port 443 of a loopback address (the SDK cannot reach any other port). Requests are
 * authenticated with a SAS token for the `iothubowner` policy (sr = the hub host name); a device
 * token of an IoT Edge device may also manage that device's own module identities, as IoT Edge
 * does. Registry, twins, direct methods, configurations and applyConfigurationContent.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { validateConfiguration, type StoredConfiguration } from './configurations.js';
import { customMetrics, systemMetrics } from './metrics.js';
import { page, pageOffset, pageSize, parseQuery, runQuery } from './query.js';
import { applyContent, evaluateAll, evaluateDevice } from './deployments.js';
import { OWNER_POLICY } from './device-auth.js';
import { badRequest, HubError, ServiceBindError } from './errors.js';
import type { FaultState } from './faults.js';
import type { MqttGateway } from './gateway.js';
import { deepEqual, isObject, tryParseJson, type Json, type JsonObject } from './json.js';
import { checkEtag, type HubRegistry, type IdentityRecord, type SymmetricKeys } from './registry.js';
import { checkSas, parseSas } from './sas.js';
import { twinEtag } from './twin.js';
import { deviceJson, moduleJson, twinJson } from './wire.js';
import { listen } from './listen.js';

/** Options of the service API server. */
export interface ServiceApiOptions {
  registry: HubRegistry;
  gateway: MqttGateway;
  /** Host names a token may name as its resource (the service address and the hub host name). */
  hostNames: readonly string[];
  host: string;
  port: number;
  tls: { key: string; cert: string };
  faults: FaultState;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * api-versions the emulator answers, as IoT Hub refuses unknown ones: 2017-11-08-preview is the
 * one aziot-identityd sends for module identities (iot-identity-service,
 * identity/aziot-cloud-client-async/src/hub/mod.rs), 2020-05-31-preview the one iotedgehubdev
 * sends, 2021-04-12 the one azure-iothub and azure-iot-common send; the rest are the GA versions
 * between them.
 */
export const API_VERSIONS: ReadonlySet<string> = new Set(['2017-11-08-preview', '2018-06-30', '2019-10-01', '2020-03-13', '2020-05-31-preview', '2020-09-30', '2021-04-12']);

/** Who made a request. */
type Caller = { kind: 'owner' } | { kind: 'device'; deviceId: string };

interface Request {
  method: string;
  segments: string[];
  headers: IncomingMessage['headers'];
  body: Json | undefined;
  caller: Caller;
}

type Reply = { status: number; body?: Json; headers?: Record<string, string> };

/** One entry of the route table. */
interface Route {
  method: string;
  /** Segments separated by `/`; `:name` matches any one segment and binds it. */
  path: string;
  /** `owner`: iothubowner only; `device`: also the device named by `:deviceId` (device-scoped module management). */
  access: 'owner' | 'device';
  handle: (req: Request, params: Record<string, string>) => Reply | Promise<Reply>;
}

/** The bound parameters when `segments` match `pattern`, else undefined. */
export function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

function ok(body: Json): Reply {
  return { status: 200, body };
}

function noContent(action: () => void): Reply {
  action();
  return { status: 204 };
}

function ifMatch(req: Request): string | undefined {
  const value = req.headers['if-match'];
  return typeof value === 'string' ? value : undefined;
}

function keysFrom(body: JsonObject): SymmetricKeys | undefined {
  const auth = body.authentication;
  if (!isObject(auth) || !isObject(auth.symmetricKey)) return undefined;
  const { primaryKey, secondaryKey } = auth.symmetricKey;
  if (typeof primaryKey === 'string' && primaryKey && typeof secondaryKey === 'string' && secondaryKey) return { primaryKey, secondaryKey };
  return undefined;
}

function objectBody(req: Request): JsonObject {
  if (!isObject(req.body)) throw badRequest('request body must be a JSON object');
  return req.body;
}

/** Every device and module twin as the service API shows it (the input of twin queries). */
function allTwins(registry: HubRegistry, connected: (deviceId: string, moduleId?: string) => boolean): JsonObject[] {
  const twins: JsonObject[] = [];
  for (const device of registry.listDevices()) {
    twins.push(twinJson(device, device, connected(device.deviceId)));
    for (const module of registry.listModules(device.deviceId)) twins.push(twinJson(module, device, connected(device.deviceId, module.moduleId)));
  }
  return twins;
}

function configurationJson(config: StoredConfiguration, registry: HubRegistry, connected: (deviceId: string, moduleId?: string) => boolean): JsonObject {
  const { sequence: _sequence, ...rest } = config;
  const metrics = { queries: config.metrics.queries, results: customMetrics(config.metrics.queries, () => allTwins(registry, connected)) };
  return { ...(rest as unknown as JsonObject), metrics, systemMetrics: systemMetrics(config, registry) as unknown as JsonObject };
}

/** The HTTPS service API server. */
export class ServiceApi {
  private readonly sockets = new Set<Socket>();
  private sequence = 0;

  private constructor(
    private readonly options: ServiceApiOptions,
    private readonly server: Server,
  ) {
    this.sequence = Math.max(0, ...options.registry.listConfigurations().map((c) => c.sequence));
  }

  /** Starts listening; fails with a ServiceBindError that names the address and the reason. */
  static async start(options: ServiceApiOptions): Promise<ServiceApi> {
    const server = createServer({ key: options.tls.key, cert: options.tls.cert });
    // Idle connections stay open longer than a client waits between calls: with Node's 5 s default,
    // a reused keep-alive socket can close as a service client (Node 20's agent keeps them) sends on it,
    // a 'socket hang up' under load (as the kube emulator, sandbox/kube/index.ts). IoT Hub keeps idle connections for minutes.
    server.keepAliveTimeout = 65_000;
    const api = new ServiceApi(options, server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void api.handle(req, res));
    server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      api.sockets.add(socket);
      socket.once('close', () => api.sockets.delete(socket));
    });
    try {
      await listen(server, options.port, options.host);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const reason =
        e.code === 'EACCES'
          ? 'permission denied (binding port 443 needs root or CAP_NET_BIND_SERVICE)'
          : e.code === 'EADDRNOTAVAIL'
            ? 'address not available on this machine (is it a loopback address in 127.0.0.0/8?)'
            : e.code === 'EADDRINUSE'
              ? 'address already in use (another sandbox hub or web server?)'
              : e.message;
      throw new ServiceBindError(options.host, options.port, reason);
    }
    return api;
  }

  /** Stops the server and closes open connections. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private authorize(header: string | undefined): Caller {
    const token = header ? parseSas(header) : undefined;
    if (!token) throw new HubError(401, 'IotHubUnauthorizedAccess', 'missing or malformed SharedAccessSignature authorization');
    const now = Math.floor(Date.now() / 1000);
    const { registry, hostNames } = this.options;
    if (token.skn !== undefined) {
      if (token.skn !== OWNER_POLICY) throw new HubError(401, 'IotHubUnauthorizedAccess', `unknown shared access policy '${token.skn.slice(0, 64)}'`);
      const check = checkSas(token, [registry.policyKey], hostNames, now);
      if (!check.ok) throw new HubError(401, 'IotHubUnauthorizedAccess', `unauthorized: ${check.reason}`);
      return { kind: 'owner' };
    }
    const match = /^[^/]+\/devices\/([^/]+)$/.exec(decodeSegment(token.sr));
    // aziot-identityd lowercases the audience; IoT Hub compares it without regard to case.
    const named = match?.[1];
    const device = named === undefined ? undefined : (registry.findIdentity(named) ?? registry.listDevices().find((d) => d.deviceId.toLowerCase() === named.toLowerCase()));
    if (!device || !device.iotEdge) throw new HubError(401, 'IotHubUnauthorizedAccess', 'unauthorized: the token is neither an iothubowner policy token nor an IoT Edge device token');
    const check = checkSas(token, [device.keys.primaryKey, device.keys.secondaryKey], hostNames.map((h) => `${h}/devices/${device.deviceId}`), now);
    if (!check.ok) throw new HubError(401, 'IotHubUnauthorizedAccess', `unauthorized: ${check.reason}`);
    return { kind: 'device', deviceId: device.deviceId };
  }

  private async readBody(req: IncomingMessage): Promise<Json | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HubError(413, 'RequestEntityTooLarge', `request body over ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return undefined;
    const parsed = tryParseJson(text);
    if (!parsed) throw badRequest('request body is not valid JSON');
    return parsed.value;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      const faults = this.options.faults;
      if (faults.throttledServiceRequests > 0) {
        faults.throttledServiceRequests -= 1;
        throw new HubError(429, 'ThrottlingException', 'request throttled by fault injection');
      }
      const url = new URL(req.url ?? '/', 'https://hub');
      const apiVersion = url.searchParams.get('api-version');
      if (!apiVersion) throw badRequest('the api-version query parameter is required');
      if (!API_VERSIONS.has(apiVersion)) throw new HubError(400, 'InvalidApiVersion', `api-version '${apiVersion.slice(0, 40)}' is not supported`);
      const caller = this.authorize(req.headers.authorization);
      const body = await this.readBody(req);
      const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeSegment);
      reply = await this.route({ method: req.method ?? 'GET', segments, headers: req.headers, body, caller });
    } catch (err) {
      const status = err instanceof HubError ? err.status : 500;
      const code = err instanceof HubError ? err.code : 'ServerError';
      const message = err instanceof HubError || err instanceof Error ? err.message : 'internal error';
      // The SDK splits Message at ';' into code and text, so the text must not contain one.
      reply = { status, body: { Message: `ErrorCode:${code};${message.replace(/;/g, ',')}`, ExceptionMessage: `Tracking ID:${randomUUID()}` } };
    }
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...reply.headers,
      ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  private readonly isConnected = (deviceId: string, moduleId?: string): boolean => this.connected(deviceId, moduleId);

  private connected(deviceId: string, moduleId?: string): boolean {
    return this.options.gateway.isConnected(deviceId, moduleId);
  }

  /** `owner` routes need the iothubowner policy; `device` routes also take the token of the device named in the path. */
  private requireAccess(req: Request, access: Route['access'], deviceId: string | undefined): void {
    if (req.caller.kind === 'owner') return;
    if (access === 'device' && deviceId !== undefined && req.caller.deviceId === deviceId) return;
    throw new HubError(401, 'IotHubUnauthorizedAccess', 'a device token may only manage the modules of its own device');
  }

  /** The route table: method, path pattern (`:name` binds a segment), who may call, handler. */
  private readonly routes: readonly Route[] = [
    { method: 'POST', path: 'devices/query', access: 'owner', handle: (req) => this.query(req) },
    { method: 'GET', path: 'devices', access: 'owner', handle: () => ok(this.options.registry.listDevices().map((dev) => deviceJson(dev, this.connected(dev.deviceId)))) },
    { method: 'PUT', path: 'devices/:deviceId', access: 'owner', handle: (req, p) => this.putDevice(p.deviceId!, req) },
    { method: 'GET', path: 'devices/:deviceId', access: 'owner', handle: (_req, p) => ok(deviceJson(this.options.registry.getDevice(p.deviceId!), this.connected(p.deviceId!))) },
    { method: 'DELETE', path: 'devices/:deviceId', access: 'owner', handle: (req, p) => noContent(() => this.deleteIdentity(p.deviceId!, undefined, ifMatch(req))) },
    { method: 'POST', path: 'devices/:deviceId/applyConfigurationContent', access: 'owner', handle: (req, p) => noContent(() => applyContent(this.options.registry, p.deviceId!, req.body)) },
    { method: 'GET', path: 'devices/:deviceId/modules', access: 'device', handle: (_req, p) => ok(this.options.registry.listModules(p.deviceId!).map((mod) => moduleJson(mod, this.connected(p.deviceId!, mod.moduleId)))) },
    { method: 'PUT', path: 'devices/:deviceId/modules/:moduleId', access: 'device', handle: (req, p) => this.putModule(p.deviceId!, p.moduleId!, req) },
    { method: 'GET', path: 'devices/:deviceId/modules/:moduleId', access: 'device', handle: (_req, p) => ok(moduleJson(this.options.registry.getModule(p.deviceId!, p.moduleId!), this.connected(p.deviceId!, p.moduleId!))) },
    { method: 'DELETE', path: 'devices/:deviceId/modules/:moduleId', access: 'device', handle: (req, p) => noContent(() => this.deleteIdentity(p.deviceId!, p.moduleId!, ifMatch(req))) },
    ...['GET', 'PATCH', 'PUT'].flatMap((method): Route[] => [
      { method, path: 'twins/:deviceId', access: 'owner', handle: (req, p) => this.twin(p.deviceId!, undefined, req) },
      { method, path: 'twins/:deviceId/modules/:moduleId', access: 'owner', handle: (req, p) => this.twin(p.deviceId!, p.moduleId!, req) },
    ]),
    { method: 'POST', path: 'twins/:deviceId/methods', access: 'owner', handle: (req, p) => this.method(p.deviceId!, undefined, req) },
    { method: 'POST', path: 'twins/:deviceId/modules/:moduleId/methods', access: 'owner', handle: (req, p) => this.method(p.deviceId!, p.moduleId!, req) },
    { method: 'GET', path: 'configurations', access: 'owner', handle: () => ok(this.options.registry.listConfigurations().map((cfg) => configurationJson(cfg, this.options.registry, this.isConnected))) },
    ...['GET', 'PUT', 'DELETE'].map((method): Route => ({ method, path: 'configurations/:id', access: 'owner', handle: (req, p) => this.configuration(p.id!, req) })),
  ];

  private async route(req: Request): Promise<Reply> {
    const matches = this.routes.map((route) => ({ route, params: matchPath(route.path, req.segments) })).filter((m) => m.params !== undefined);
    const match = matches.find((m) => m.route.method === req.method);
    if (!match) {
      const where = `${req.method} /${req.segments.join('/')}`;
      if (matches.length > 0) throw new HubError(405, 'MethodNotAllowed', `${where} is not supported by the emulator`);
      throw new HubError(404, 'NotFound', `${where}: unknown resource`);
    }
    const params = match.params!;
    this.requireAccess(req, match.route.access, params.deviceId);
    return match.route.handle(req, params);
  }

  /** Deletes a device (with its modules) or a module and, as IoT Hub does, closes their MQTT connections. */
  private deleteIdentity(deviceId: string, moduleId: string | undefined, etag: string | undefined): void {
    const { registry, gateway } = this.options;
    if (moduleId !== undefined) {
      registry.deleteModule(deviceId, moduleId, etag ?? '*');
      gateway.drop(deviceId, moduleId);
      return;
    }
    const modules = registry.listModules(deviceId).map((m) => m.moduleId);
    registry.deleteDevice(deviceId, etag ?? '*');
    gateway.drop(deviceId);
    for (const m of modules) gateway.drop(deviceId, m);
  }

  private putDevice(deviceId: string, req: Request): Reply {
    const body = objectBody(req);
    if (body.deviceId !== undefined && body.deviceId !== deviceId) throw badRequest('deviceId in the body differs from the URL');
    const registry = this.options.registry;
    const keys = keysFrom(body);
    const iotEdge = isObject(body.capabilities) && typeof body.capabilities.iotEdge === 'boolean' ? body.capabilities.iotEdge : undefined;
    const status = body.status === 'disabled' ? 'disabled' : body.status === 'enabled' ? 'enabled' : undefined;
    const etag = ifMatch(req);
    if (etag !== undefined) {
      const device = registry.updateDevice(deviceId, etag, { ...(keys ? { keys } : {}), ...(iotEdge !== undefined ? { iotEdge } : {}), ...(status ? { status } : {}) });
      return { status: 200, body: deviceJson(device, this.connected(deviceId)) };
    }
    const device = registry.createDevice(deviceId, { ...(keys ? { keys } : {}), ...(iotEdge !== undefined ? { iotEdge } : {}), ...(status ? { status } : {}) });
    evaluateDevice(registry, deviceId);
    return { status: 200, body: deviceJson(device, false) };
  }

  private putModule(deviceId: string, moduleId: string, req: Request): Reply {
    const body = objectBody(req);
    if (body.moduleId !== undefined && body.moduleId !== moduleId) throw badRequest('moduleId in the body differs from the URL');
    const registry = this.options.registry;
    const keys = keysFrom(body);
    const managedBy = typeof body.managedBy === 'string' ? body.managedBy : undefined;
    const options = { ...(keys ? { keys } : {}), ...(managedBy !== undefined ? { managedBy } : {}) };
    const etag = ifMatch(req);
    const module = etag !== undefined ? registry.updateModule(deviceId, moduleId, etag, options) : registry.createModule(deviceId, moduleId, options);
    return { status: 200, body: moduleJson(module, this.connected(deviceId, moduleId)) };
  }

  private twin(deviceId: string, moduleId: string | undefined, req: Request): Reply {
    const registry = this.options.registry;
    const identity: IdentityRecord = registry.identity(deviceId, moduleId);
    if (req.method === 'PATCH' || req.method === 'PUT') {
      checkEtag(ifMatch(req) ?? '*', twinEtag(identity.twin));
      const body = objectBody(req);
      const replace = req.method === 'PUT';
      if (body.tags !== undefined) {
        if (!isObject(body.tags)) throw badRequest('tags must be a JSON object');
        registry.patchTags(deviceId, moduleId, replace ? replaceAsPatch(identity.twin.tags, body.tags) : body.tags);
      }
      const desired = isObject(body.properties) ? body.properties.desired : undefined;
      if (desired !== undefined) {
        if (!isObject(desired)) throw badRequest('properties.desired must be a JSON object');
        const { $version: _v, $metadata: _m, ...patch } = desired;
        if (replace) registry.replaceDesired(deviceId, moduleId, patch);
        else registry.patchDesired(deviceId, moduleId, patch);
      }
    } else if (req.method !== 'GET') {
      throw new HubError(405, 'MethodNotAllowed', `${req.method} is not supported on twins`);
    }
    return { status: 200, body: twinJson(identity, registry.getDevice(deviceId), this.connected(deviceId, moduleId)) };
  }

  private async method(deviceId: string, moduleId: string | undefined, req: Request): Promise<Reply> {
    const registry = this.options.registry;
    registry.identity(deviceId, moduleId);
    const body = objectBody(req);
    const result = await this.options.gateway.invokeMethod(deviceId, moduleId, {
      methodName: body.methodName as string,
      payload: body.payload ?? null,
      ...(typeof body.responseTimeoutInSeconds === 'number' ? { responseTimeoutInSeconds: body.responseTimeoutInSeconds } : {}),
      ...(typeof body.connectTimeoutInSeconds === 'number' ? { connectTimeoutInSeconds: body.connectTimeoutInSeconds } : {}),
    });
    return { status: 200, body: { status: result.status, payload: result.payload } };
  }

  /** `POST /devices/query`: one page of a twin query (query.ts), `x-ms-continuation` naming the next. */
  private query(req: Request): Reply {
    const body = objectBody(req);
    if (typeof body.query !== 'string') throw badRequest('the body must be {"query": "SELECT ..."}');
    const query = parseQuery(body.query);
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const size = pageSize(header('x-ms-max-item-count'));
    const offset = pageOffset(header('x-ms-continuation'));
    const results = runQuery(query, allTwins(this.options.registry, (d, mod) => this.connected(d, mod)));
    const { items, continuation } = page(results, offset, size);
    return { status: 200, body: items, headers: { 'x-ms-item-type': 'Twin', ...(continuation ? { 'x-ms-continuation': continuation } : {}) } };
  }

  private configuration(id: string, req: Request): Reply {
    const registry = this.options.registry;
    const existing = registry.findConfiguration(id);
    if (req.method === 'GET') {
      if (!existing) throw new HubError(404, 'ConfigurationNotFound', `configuration ${id} not found`);
      return { status: 200, body: configurationJson(existing, registry, this.isConnected) };
    }
    if (req.method === 'DELETE') {
      if (!existing) throw new HubError(404, 'ConfigurationNotFound', `configuration ${id} not found`);
      checkEtag(ifMatch(req) ?? '*', existing.etag);
      registry.deleteConfiguration(id);
      evaluateAll(registry);
      return { status: 204 };
    }
    if (req.method !== 'PUT') throw new HubError(405, 'MethodNotAllowed', `${req.method} is not supported on configurations`);
    const fields = validateConfiguration(id, req.body);
    const etag = ifMatch(req);
    const now = new Date().toISOString();
    let stored: StoredConfiguration;
    if (etag === undefined) {
      if (existing) throw new HubError(409, 'ConfigurationAlreadyExists', `configuration ${id} already exists`);
      stored = { ...fields, createdTimeUtc: now, lastUpdatedTimeUtc: now, etag: newEtag(), sequence: ++this.sequence };
    } else {
      if (!existing) throw new HubError(404, 'ConfigurationNotFound', `configuration ${id} not found`);
      checkEtag(etag, existing.etag);
      if (!deepEqual(existing.content as unknown as Json, fields.content as unknown as Json)) {
        throw badRequest(`the content of configuration ${id} cannot be changed; create a new configuration`);
      }
      stored = { ...existing, ...fields, content: existing.content, lastUpdatedTimeUtc: now, etag: newEtag() };
    }
    registry.putConfiguration(stored);
    evaluateAll(registry);
    return { status: 200, body: configurationJson(stored, registry, this.isConnected) };
  }
}

/** decodeURIComponent that reports malformed escapes as a 400. */
function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badRequest(`malformed percent-encoding in '${text.slice(0, 100)}'`);
  }
}

function newEtag(): string {
  return Buffer.from(randomUUID()).toString('base64').slice(0, 12);
}

/** A merge patch that replaces `current` by `next` entirely. */
function replaceAsPatch(current: JsonObject, next: JsonObject): JsonObject {
  const patch: JsonObject = { ...next };
  for (const key of Object.keys(current)) if (!(key in next)) patch[key] = null;
  return patch;
}
