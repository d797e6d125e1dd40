/**
 * The device-scoped module registry of IoT Hub, called with the edge device's own key, as the IoT
 * Edge identity service does (iot-identity-service, identity/aziot-cloud-client-async/src/hub/mod.rs):
 * `GET/PUT/DELETE https://<hub>/devices/<device>/modules[/<module>]?api-version=2017-11-08-preview`,
 * `If-Match: *` on updates and deletes, a fresh short-lived device SAS token on every request.
 * No hub-level policy is needed. Errors are typed ({@link RegistryError}) and never carry a key.
 */
import { request } from 'node:https';
import type { ConnectionString } from '../shared/index.js';
import { deviceSasToken } from './sas.js';

/** The api-version aziot-identityd uses for module identities. */
export const MODULES_API_VERSION = '2017-11-08-preview';

/** The SAS keys of an identity. */
export interface SymmetricKeys {
  primaryKey: string;
  secondaryKey: string;
}

/** A module identity as the registry returns it. */
export interface ModuleIdentity {
  deviceId: string;
  moduleId: string;
  /** Who manages it: `IotEdge` for identities edgeAgent (and this bridge) created. */
  managedBy?: string;
  generationId: string;
  etag: string;
  /** Absent when the identity has no SAS keys (X.509 or `none` authentication). */
  keys?: SymmetricKeys;
}

/** A failed registry call: HTTP status (undefined for network errors), IoT Hub error code and whether a retry can help. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** Network errors, throttling and server errors are worth retrying; 4xx (other than 408/429) are not. */
  get retryable(): boolean {
    return this.status === undefined || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** Options of {@link ModuleRegistryClient}. */
export interface RegistryClientOptions {
  /** The edge device's parsed connection string (HostName, DeviceId, SharedAccessKey). */
  device: ConnectionString;
  /** Extra CA certificates (PEM) to trust, e.g. the sandbox hub's CA. */
  ca?: string;
  /** HTTPS port. @default 443 */
  port?: number;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /** Lifetime of each request's SAS token. @default 300 s */
  tokenLifetimeSeconds?: number;
  /** Clock in milliseconds. @default Date.now */
  now?: () => number;
}

interface Response {
  status: number;
  body: unknown;
  /** The answer's Date header (IoT Hub's clock). */
  date?: string;
}

function keysOf(body: Record<string, unknown>): SymmetricKeys | undefined {
  const auth = body.authentication as { type?: unknown; symmetricKey?: { primaryKey?: unknown; secondaryKey?: unknown } } | undefined;
  const primaryKey = auth?.symmetricKey?.primaryKey;
  const secondaryKey = auth?.symmetricKey?.secondaryKey;
  if (typeof primaryKey === 'string' && primaryKey !== '' && typeof secondaryKey === 'string' && secondaryKey !== '') return { primaryKey, secondaryKey };
  return undefined;
}

/** Reads a module identity from a registry response body; throws a RegistryError when the shape is wrong. */
export function moduleFromJson(body: unknown): ModuleIdentity {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RegistryError('the registry answered with a module that is not a JSON object', 200, 'BadResponse');
  const b = body as Record<string, unknown>;
  if (typeof b.moduleId !== 'string' || typeof b.deviceId !== 'string') throw new RegistryError('the registry answered with a module without moduleId or deviceId', 200, 'BadResponse');
  const keys = keysOf(b);
  return {
    deviceId: b.deviceId,
    moduleId: b.moduleId,
    ...(typeof b.managedBy === 'string' && b.managedBy !== '' ? { managedBy: b.managedBy } : {}),
    generationId: typeof b.generationId === 'string' ? b.generationId : '',
    etag: typeof b.etag === 'string' ? b.etag : '',
    ...(keys ? { keys } : {}),
  };
}

/** IoT Hub error bodies carry `Message: "ErrorCode:<code>;<text>"`; returns the code and text. */
function hubError(body: unknown): { code: string; text: string } {
  const message = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).Message ?? (body as Record<string, unknown>).message : undefined;
  if (typeof message !== 'string') return { code: 'Unknown', text: '' };
  const m = /^ErrorCode:([A-Za-z]+);(.*)$/s.exec(message);
  return m ? { code: m[1]!, text: m[2]!.slice(0, 300) } : { code: 'Unknown', text: message.slice(0, 300) };
}

/** The module identities of one device, managed with that device's key. */
export class ModuleRegistryClient {
  private readonly device: ConnectionString;

  constructor(private readonly options: RegistryClientOptions) {
    this.device = options.device;
  }

  /** The id of the device whose modules this client manages. */
  get deviceId(): string {
    return this.device.deviceId;
  }

  /** All module identities of the device (including `$edgeAgent` and `$edgeHub`). */
  async list(): Promise<ModuleIdentity[]> {
    const res = await this.call('GET', undefined);
    if (!Array.isArray(res.body)) throw new RegistryError('the registry answered the module list with something other than a JSON array', res.status, 'BadResponse');
    return res.body.map(moduleFromJson);
  }

  /**
   * One read-only request that tells whether IoT Hub accepts the device's key: the module list
   * (`GET /devices/<self>/modules`, as aziot-identityd's GetModules). Resolves with IoT Hub's
   * clock (its Date header) and discards the answer (it holds the modules' keys); throws
   * RegistryError (401 when the key is refused).
   */
  async probe(): Promise<{ serverTime?: Date }> {
    const { date } = await this.call('GET', undefined);
    return date !== undefined && !Number.isNaN(Date.parse(date)) ? { serverTime: new Date(date) } : {};
  }

  /** One module identity, or undefined when it does not exist. */
  async get(moduleId: string): Promise<ModuleIdentity | undefined> {
    try {
      return moduleFromJson((await this.call('GET', moduleId)).body);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Creates a module identity with SAS authentication; IoT Hub generates its keys. 409 when it exists. */
  async create(moduleId: string, managedBy: string): Promise<ModuleIdentity> {
    const body = { moduleId, deviceId: this.device.deviceId, managedBy, authentication: { type: 'sas' } };
    return moduleFromJson((await this.call('PUT', moduleId, body)).body);
  }

  /**
   * Replaces a module identity (`If-Match: *`). Without `keys`, asks for SAS authentication and
   * lets IoT Hub keep or generate the keys (as iotedgehubdev does for an identity without keys).
   */
  async update(moduleId: string, managedBy: string | undefined, keys?: SymmetricKeys): Promise<ModuleIdentity> {
    const body = {
      moduleId,
      deviceId: this.device.deviceId,
      ...(managedBy !== undefined ? { managedBy } : {}),
      authentication: { type: 'sas', ...(keys ? { symmetricKey: keys } : {}) },
    };
    return moduleFromJson((await this.call('PUT', moduleId, body, '*')).body);
  }

  /** Deletes a module identity (`If-Match: *`); a missing one is not an error. */
  async delete(moduleId: string): Promise<void> {
    try {
      await this.call('DELETE', moduleId, undefined, '*');
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return;
      throw err;
    }
  }

  private call(method: string, moduleId: string | undefined, body?: unknown, ifMatch?: string): Promise<Response> {
    const { device } = this;
    const now = this.options.now ?? Date.now;
    const expiresAt = Math.floor(now() / 1000) + (this.options.tokenLifetimeSeconds ?? 300);
    const path = `/devices/${encodeURIComponent(device.deviceId)}/modules${moduleId === undefined ? '' : `/${encodeURIComponent(moduleId)}`}?api-version=${MODULES_API_VERSION}`;
    const payload = body === undefined ? '' : JSON.stringify(body);
    const what = `${method} module${moduleId === undefined ? 's' : ` '${moduleId}'`} of device '${device.deviceId}'`;
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        {
          host: device.hostName,
          port: this.options.port ?? 443,
          method,
          path,
          ...(this.options.ca ? { ca: this.options.ca } : {}),
          timeout: this.options.timeoutMs ?? 30_000,
          headers: {
            authorization: deviceSasToken(device.hostName, device.deviceId, device.sharedAccessKey, expiresAt),
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(ifMatch !== undefined ? { 'if-match': ifMatch } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (err) => reject(new RegistryError(`${what}: ${err.message}`, undefined, 'NetworkError')));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            if (status >= 200 && status < 300) {
              const date = res.headers.date;
              resolve({ status, body: parsed, ...(date !== undefined ? { date } : {}) });
              return;
            }
            const { code, text: detail } = hubError(parsed);
            reject(new RegistryError(`${what}: HTTP ${status} ${code}${detail ? `: ${detail}` : ''}`, status, code));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs ?? 30_000} ms`)));
      req.on('error', (err) => reject(new RegistryError(`${what}: ${err.message}`, undefined, 'NetworkError')));
      req.end(payload);
    });
  }
}
