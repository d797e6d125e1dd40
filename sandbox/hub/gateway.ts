/**
 * The device side of the hub: MQTT 3.1.1 over TLS (aedes on a node:tls server). It authenticates
 * connections as IoT Hub does, confines each client to its own topics, serves twin GET and reported
 * PATCH requests, pushes desired-property patches, delivers direct methods and keeps telemetry.
 * Hub-to-device messages are written to the one connection they are for (never routed through
 * shared topics), because IoT Hub's `$iothub/...` topics are per connection.
 */
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { authenticateDevice } from './device-auth.js';
import { listen } from './listen.js';
import { HubError } from './errors.js';
import type { FaultState } from './faults.js';
import { isObject, tryParseJson, type Json } from './json.js';
import type { DesiredChange, HubRegistry } from './registry.js';
import type { TelemetryStore } from './telemetry.js';
import {
  classifyPublish,
  desiredPatchTopic,
  maySubscribe,
  METHODS_FILTER,
  methodRequestTopic,
  TWIN_DESIRED_FILTER,
  twinResponseTopic,
  type ClientIdentity,
} from './topics.js';
import { deviceTwinDocument, MAX_TWIN_SECTION_BYTES } from './twin.js';

/** Largest direct method request or response payload, in bytes. */
export const MAX_METHOD_PAYLOAD_BYTES = 128 * 1024;

/** A direct method call as the service API receives it. */
export interface MethodRequest {
  methodName: string;
  payload?: Json;
  responseTimeoutInSeconds?: number;
  connectTimeoutInSeconds?: number;
}

/** A direct method result: the status and JSON payload the device answered with. */
export interface MethodResult {
  status: number;
  payload: Json;
}

/** Options of the MQTT gateway. */
export interface GatewayOptions {
  registry: HubRegistry;
  /** Host names a device token or username may name (the hub host name and the service address). */
  hostNames: readonly string[];
  /** Address to listen on. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  tls: { key: string; cert: string };
  faults: FaultState;
  telemetry: TelemetryStore;
}

interface Connection {
  identity: ClientIdentity;
  subscriptions: Set<string>;
}

interface PendingMethod {
  clientId: string;
  resolve: (result: MethodResult) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const NOT_AUTHORIZED = 5;

function clientIdOf(deviceId: string, moduleId?: string): string {
  return moduleId === undefined ? deviceId : `${deviceId}/${moduleId}`;
}

function errorBody(status: number, message: string): Buffer {
  const errorCode = status === 400 ? 400004 : status * 1000 + 1;
  return Buffer.from(JSON.stringify({ errorCode, message }));
}

/** The running MQTT side of the emulator. */
export class MqttGateway {
  private broker!: Aedes;
  private server!: Server;
  private readonly connections = new WeakMap<Client, Connection>();
  private readonly active = new Map<string, Client>();
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Map<string, PendingMethod>();
  private nextRid = 1;
  private readonly onDesired = (change: DesiredChange): void => this.pushDesired(change);
  /** The port the gateway listens on. */
  port: number;

  private constructor(private readonly options: GatewayOptions) {
    this.port = options.port;
  }

  /** Starts the broker and its TLS listener. */
  static async start(options: GatewayOptions): Promise<MqttGateway> {
    const gateway = new MqttGateway(options);
    await gateway.listen(undefined);
    options.registry.on('desired', gateway.onDesired);
    return gateway;
  }

  private async listen(persistence: unknown): Promise<void> {
    this.broker = await Aedes.createBroker({
      ...(persistence ? { persistence } : {}),
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => this.authorizeSubscribe(client, sub, done),
      // IoT Hub never routes one client's publishes to another. authorizePublish (which aedes also
      // applies to wills) already keeps clients off each other's topics; as a second line of
      // defence only the hub's own per-connection sends, which carry no clientId, are delivered.
      authorizeForward: (_client, packet) => ((packet as { clientId?: string }).clientId ? null : packet),
    });
    this.broker.on('clientReady', (client) => this.active.set(client.id, client));
    this.broker.on('clientDisconnect', (client) => {
      if (this.active.get(client.id) === client) this.active.delete(client.id);
    });
    const broker = this.broker;
    this.server = createServer({ key: this.options.tls.key, cert: this.options.tls.cert }, (socket: TLSSocket) => {
      broker.handle(socket);
    });
    this.server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    try {
      await listen(this.server, this.port, this.options.host);
    } catch (err) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw new Error(`IoT Hub emulator: cannot listen for MQTT on ${this.options.host}:${this.port}: ${(err as Error).message}`, { cause: err });
    }
    const address = this.server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  private authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (err: AuthenticateError | null, ok: boolean | null) => void): void {
    const result = authenticateDevice(this.options.registry, this.options.hostNames, client.id, username, password, Math.floor(Date.now() / 1000));
    if (!result.ok) {
      const err = new Error(`connection refused: ${result.reason}`) as AuthenticateError;
      err.returnCode = NOT_AUTHORIZED;
      done(err, false);
      return;
    }
    this.connections.set(client, { identity: result.identity, subscriptions: new Set() });
    done(null, true);
  }

  private authorizeSubscribe(client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void {
    const connection = this.connections.get(client);
    if (!connection || !maySubscribe(connection.identity, sub.topic)) {
      done(null, null);
      return;
    }
    connection.subscriptions.add(sub.topic);
    done(null, { ...sub, qos: Math.min(sub.qos, 1) as 0 | 1 });
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    const connection = client ? this.connections.get(client) : undefined;
    if (!client || !connection) {
      done(new Error('not authorized'));
      return;
    }
    const inbound = classifyPublish(connection.identity, packet.topic);
    packet.retain = false;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    switch (inbound.kind) {
      case 'forbidden':
        done(new Error(`publishing to ${packet.topic} is not allowed for ${client.id}`));
        return;
      case 'telemetry':
        this.options.telemetry.add({
          deviceId: connection.identity.deviceId,
          ...(connection.identity.moduleId !== undefined ? { moduleId: connection.identity.moduleId } : {}),
          body: payload.toString('utf8'),
          properties: inbound.properties,
          enqueuedTimeUtc: new Date().toISOString(),
        });
        break;
      case 'methodResponse':
        this.completeMethod(client.id, inbound.rid, inbound.status, payload);
        break;
      case 'twinGet':
      case 'twinPatchReported':
        void this.serveTwin(client, connection.identity, inbound.kind, inbound.rid, payload);
        break;
    }
    done(null);
  }

  private send(client: Client, topic: string, payload: Buffer): void {
    if (client.closed) return;
    client.publish({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false }, () => undefined);
  }

  private async serveTwin(client: Client, id: ClientIdentity, kind: 'twinGet' | 'twinPatchReported', rid: string, payload: Buffer): Promise<void> {
    const faults = this.options.faults;
    if (faults.twinDelayMs > 0) await new Promise((r) => setTimeout(r, faults.twinDelayMs));
    if (faults.twinRefuseStatus !== undefined) {
      this.send(client, twinResponseTopic(faults.twinRefuseStatus, rid), errorBody(faults.twinRefuseStatus, 'twin request refused by fault injection'));
      return;
    }
    const registry = this.options.registry;
    try {
      if (kind === 'twinGet') {
        const identity = registry.identity(id.deviceId, id.moduleId);
        this.send(client, twinResponseTopic(200, rid), Buffer.from(JSON.stringify(deviceTwinDocument(identity.twin))));
        return;
      }
      if (payload.length > MAX_TWIN_SECTION_BYTES) throw new HubError(413, 'MessageTooLarge', `reported patch is ${payload.length} bytes; the limit is ${MAX_TWIN_SECTION_BYTES}`);
      const parsed = tryParseJson(payload.toString('utf8'));
      if (!parsed || !isObject(parsed.value)) throw new HubError(400, 'ArgumentInvalid', 'reported patch must be a JSON object');
      const version = registry.patchReported(id.deviceId, id.moduleId, parsed.value);
      this.send(client, twinResponseTopic(204, rid, version), Buffer.alloc(0));
    } catch (err) {
      const status = err instanceof HubError ? err.status : 500;
      this.send(client, twinResponseTopic(status, rid), errorBody(status, err instanceof HubError ? err.message : 'internal error'));
    }
  }

  private subscribedClient(clientId: string, filter: string): Client | undefined {
    const client = this.active.get(clientId);
    if (!client || client.closed) return undefined;
    return this.connections.get(client)?.subscriptions.has(filter) ? client : undefined;
  }

  private pushDesired(change: DesiredChange): void {
    const client = this.subscribedClient(clientIdOf(change.deviceId, change.moduleId), TWIN_DESIRED_FILTER);
    if (client) this.send(client, desiredPatchTopic(change.version), Buffer.from(JSON.stringify({ ...change.patch, $version: change.version })));
  }

  /** True when the identity has a live MQTT connection. */
  isConnected(deviceId: string, moduleId?: string): boolean {
    const client = this.active.get(clientIdOf(deviceId, moduleId));
    return client !== undefined && !client.closed;
  }

  /**
   * Invokes a direct method on a connected device or module. Rejects with a HubError: 404 when the
   * target is not connected and subscribed to methods (after waiting `connectTimeoutInSeconds`),
   * 504 when it does not answer within `responseTimeoutInSeconds`, 413 for payloads over 128 KB.
   */
  async invokeMethod(deviceId: string, moduleId: string | undefined, request: MethodRequest): Promise<MethodResult> {
    const clientId = clientIdOf(deviceId, moduleId);
    if (typeof request.methodName !== 'string' || request.methodName === '' || /[/#+?]/.test(request.methodName)) {
      throw new HubError(400, 'ArgumentInvalid', 'methodName must be a non-empty string without / # + ?');
    }
    const body = Buffer.from(JSON.stringify(request.payload ?? null));
    if (body.length > MAX_METHOD_PAYLOAD_BYTES) throw new HubError(413, 'RequestEntityTooLarge', `method payload is ${body.length} bytes; the limit is ${MAX_METHOD_PAYLOAD_BYTES}`);
    const responseTimeout = Math.min(Math.max(request.responseTimeoutInSeconds ?? 30, 5), 300);
    const connectTimeout = Math.min(Math.max(request.connectTimeoutInSeconds ?? 0, 0), 300);
    let client = this.subscribedClient(clientId, METHODS_FILTER);
    const connectDeadline = Date.now() + connectTimeout * 1000;
    while (!client && Date.now() < connectDeadline) {
      await new Promise((r) => setTimeout(r, 100));
      client = this.subscribedClient(clientId, METHODS_FILTER);
    }
    if (!client) throw new HubError(404, 'DeviceNotOnline', `${clientId} is not connected or not subscribed to direct methods`);
    const rid = (this.nextRid++).toString(16);
    const target = client;
    return new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new HubError(504, 'GatewayTimeout', `${clientId} did not answer method '${request.methodName}' within ${responseTimeout} s`));
      }, responseTimeout * 1000);
      this.pending.set(rid, { clientId, resolve, reject, timer });
      this.send(target, methodRequestTopic(request.methodName, rid), body);
    });
  }

  private completeMethod(clientId: string, rid: string, status: number, payload: Buffer): void {
    const pending = this.pending.get(rid);
    if (!pending || pending.clientId !== clientId) return;
    this.pending.delete(rid);
    clearTimeout(pending.timer);
    if (payload.length > MAX_METHOD_PAYLOAD_BYTES) {
      pending.reject(new HubError(413, 'RequestEntityTooLarge', `method response is ${payload.length} bytes; the limit is ${MAX_METHOD_PAYLOAD_BYTES}`));
      return;
    }
    const text = payload.toString('utf8');
    const parsed = text === '' ? { value: null } : tryParseJson(text);
    if (!parsed) {
      pending.reject(new HubError(400, 'BadDeviceResponse', 'the device answered with a payload that is not JSON'));
      return;
    }
    pending.resolve({ status, payload: parsed.value });
  }

  /** Closes the connection of an identity as a network failure would. */
  drop(deviceId: string, moduleId?: string): boolean {
    const client = this.active.get(clientIdOf(deviceId, moduleId));
    if (!client || client.closed) return false;
    client.conn.destroy();
    return true;
  }

  private async close(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await serverClosed;
    this.active.clear();
  }

  /** Stops the broker and starts a new one on the same port with the same sessions and state. */
  async restart(): Promise<void> {
    const persistence = (this.broker as unknown as { persistence: unknown }).persistence;
    await this.close();
    await this.listen(persistence);
  }

  /** Stops the gateway; pending method calls fail with 404. */
  async stop(): Promise<void> {
    this.options.registry.off('desired', this.onDesired);
    for (const [rid, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new HubError(404, 'DeviceNotOnline', 'the hub is stopping'));
      this.pending.delete(rid);
    }
    await this.close();
  }
}
