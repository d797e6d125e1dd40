/**
 * The bridge's link to IoT Hub as the device's `$edgeAgent` module identity
 * (azure-iot-device ModuleClient over MQTT).
 *
 * Desired state intake follows edgeAgent: the full twin is fetched at start; a desired patch is
 * applied only when its `$version` is the last one plus one, otherwise the full twin is fetched
 * again; the full twin is fetched again after every reconnect. Patches that arrive while a
 * fetch is in flight are kept and applied on top of its result when they follow it.
 *
 * Every call to IoT Hub has a deadline (`timeoutMs`): a request the hub never answers (a lost
 * MQTT session) fails with a `timeout` TwinError on `errors$`, and `freshness()` says the twin
 * is stale until a full fetch succeeds; the link's owner replaces a link that times out.
 */
import type { ModuleClient, Twin } from 'azure-iot-device';
import { Observable, ReplaySubject, Subject } from 'rxjs';
import { applyMergePatch, isObject, type JsonObject } from '../shared/index.js';
import { TwinError, toTwinError } from './errors.js';
import { SILENT_LOGGER, type StructuredLogger } from '../ops/index.js';
import { DEFAULT_HUB_TIMEOUT_MS, withTimeout } from './timeout.js';
import { skipMqttNumberCache } from './mqtt-numbers.js';

/**
 * The device SDK and its MQTT transport, loaded when a link opens (`import()`): commands that
 * only name the twin's errors (`validate`, `translate`) do not load them. The SDKs are CommonJS:
 * Node's ESM loader offers them only as a default export.
 */
async function deviceSdk() {
  const [{ default: sdk }, { default: mqtt }] = await Promise.all([import('azure-iot-device'), import('azure-iot-device-mqtt')]);
  // Before the first packet: mqtt-packet's cache of every 16-bit number costs about 6 MiB.
  skipMqttNumberCache();
  return { ModuleClient: sdk.ModuleClient, Mqtt: mqtt.Mqtt };
}

/** A desired document and its `$version`. `desired` carries no `$`-keys. */
export interface DesiredState {
  version: number;
  desired: JsonObject;
}

/** The twin as fetched in full: desired (with version) and reported (without `$`-keys). */
export interface TwinSnapshot extends DesiredState {
  reported: JsonObject;
}

/** Options of {@link TwinLink.open}. */
export interface TwinLinkOptions {
  /** `$edgeAgent` module connection string. Never logged. */
  connectionString: string;
  /** PEM of a CA to trust (a private hub or the sandbox). */
  ca?: string;
  logger?: StructuredLogger;
  /** First delay before retrying a failed full fetch; doubles up to 30 s. @default 1000 */
  retryDelayMs?: number;
  /** Deadline of every IoT Hub call (open, twin fetch, reported patch, close). @default 30000 */
  timeoutMs?: number;
}

const MAX_RETRY_DELAY_MS = 30_000;

/** A plain JSON copy of a twin section without `$version`, `$metadata` and other `$`-keys. */
function withoutMeta(section: unknown): JsonObject {
  const out: JsonObject = {};
  if (!isObject(section)) return out;
  for (const [key, value] of Object.entries(section)) {
    // JSON round trip: drops the SDK's `update` function and anything else that is not data.
    if (!key.startsWith('$') && typeof value !== 'function' && value !== undefined) out[key] = JSON.parse(JSON.stringify(value));
  }
  return out;
}

function versionOf(section: unknown): number | undefined {
  const v = isObject(section) ? section.$version : undefined;
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

function getTwin(client: ModuleClient): Promise<Twin> {
  return new Promise((resolve, reject) => client.getTwin((err, twin) => (err || !twin ? reject(err ?? new Error('no twin returned')) : resolve(twin))));
}

/** A `$edgeAgent` connection to IoT Hub with a versioned desired-properties stream. */
export class TwinLink {
  /** Every desired state, in version order; replays the latest to new subscribers. */
  readonly desired$: Observable<DesiredState>;
  /** Every full twin fetch (at start, after a gap, after a reconnect). */
  readonly snapshots$: Observable<TwinSnapshot>;
  /** Emits when the SDK has reconnected (not for the first connection). */
  readonly reconnected$: Observable<void>;
  /** Failures the link recovers from by itself (refetch failures, SDK errors), already normalized. */
  readonly errors$: Observable<TwinError>;

  private readonly desiredSubject = new ReplaySubject<DesiredState>(1);
  private readonly snapshotSubject = new ReplaySubject<TwinSnapshot>(1);
  private readonly reconnectedSubject = new Subject<void>();
  private readonly errorSubject = new Subject<TwinError>();
  private state: DesiredState | undefined;
  private fetching: Promise<void> | undefined;
  private fetchAgain = false;
  private buffered: JsonObject[] = [];
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private fullFetches = 0;
  /** Why the last full fetch failed, while a fetch is still pending. */
  private fetchError: string | undefined;

  private constructor(
    /** The open ModuleClient; methods attach to it. */
    readonly client: ModuleClient,
    private readonly twin: Twin,
    private readonly logger: StructuredLogger,
    private readonly retryDelayMs: number,
    private readonly timeoutMs: number,
  ) {
    this.desired$ = this.desiredSubject.asObservable();
    this.snapshots$ = this.snapshotSubject.asObservable();
    this.reconnected$ = this.reconnectedSubject.asObservable();
    this.errors$ = this.errorSubject.asObservable();
  }

  /** Connects, fetches the full twin and subscribes to desired patches. Rejects with a {@link TwinError}. */
  static async open(options: TwinLinkOptions): Promise<TwinLink> {
    const logger = options.logger ?? SILENT_LOGGER;
    const sdk = await deviceSdk();
    let client: ModuleClient;
    try {
      client = sdk.ModuleClient.fromConnectionString(options.connectionString, sdk.Mqtt);
    } catch (e) {
      throw new TwinError('invalid-configuration', toTwinError(e, 'the $edgeAgent connection string is invalid').message);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_HUB_TIMEOUT_MS;
    try {
      if (options.ca) await client.setOptions({ ca: options.ca });
      await withTimeout(client.open(), timeoutMs, 'opening the IoT Hub connection');
      const twin = await withTimeout(getTwin(client), timeoutMs, 'fetching the $edgeAgent twin');
      const link = new TwinLink(client, twin, logger, options.retryDelayMs ?? 1000, timeoutMs);
      link.start();
      return link;
    } catch (e) {
      await withTimeout(client.close(), timeoutMs, 'closing the IoT Hub connection').catch(() => undefined);
      throw toTwinError(e, 'cannot connect to IoT Hub as $edgeAgent');
    }
  }

  /** The latest desired state (undefined only before the first fetch completes). */
  get current(): DesiredState | undefined {
    return this.state;
  }

  /**
   * `true` while the desired state is known to be current; otherwise why not: a full fetch is
   * pending (after a reconnect or a version gap) or failing, or the link is closed.
   */
  freshness(): true | string {
    if (this.closed) return 'the IoT Hub link is closed';
    if (this.fetching) return this.fetchError ? `the $edgeAgent twin is stale: ${this.fetchError}` : 'the $edgeAgent twin is being fetched again';
    return true;
  }

  /** Number of full twin fetches so far (for metrics and tests). */
  get fullFetchCount(): number {
    return this.fullFetches;
  }

  private start(): void {
    this.takeSnapshot(this.twin);
    this.twin.on('properties.desired', (patch: unknown) => this.onPatch(patch));
    this.client.on('connect', () => {
      if (this.closed) return;
      this.logger.info({}, 'IoT Hub link reconnected; fetching the full twin');
      this.reconnectedSubject.next();
      this.refetch();
    });
    this.client.on('disconnect', () => this.logger.warn({}, 'IoT Hub link disconnected'));
    this.client.on('error', (e: unknown) => this.report(toTwinError(e, 'IoT Hub link error')));
  }

  private report(error: TwinError): void {
    this.logger.warn({ kind: error.kind }, error.message);
    this.errorSubject.next(error);
  }

  private takeSnapshot(twin: Twin): void {
    const version = versionOf(twin.properties.desired) ?? 0;
    const snapshot: TwinSnapshot = { version, desired: withoutMeta(twin.properties.desired), reported: withoutMeta(twin.properties.reported) };
    this.fullFetches += 1;
    this.snapshotSubject.next(snapshot);
    this.setState({ version, desired: snapshot.desired });
  }

  private setState(next: DesiredState): void {
    if (this.state && next.version === this.state.version) {
      this.state = next;
      return;
    }
    this.state = next;
    this.desiredSubject.next(next);
  }

  private onPatch(patch: unknown): void {
    if (this.closed || !isObject(patch)) return;
    const version = versionOf(patch);
    if (version === undefined) return;
    if (this.fetching) {
      this.buffered.push(patch);
      return;
    }
    this.applyPatch(patch, version);
  }

  /** Applies a sequential patch; ignores an old one; refetches on a gap. */
  private applyPatch(patch: JsonObject, version: number): void {
    const last = this.state?.version ?? 0;
    if (version <= last) return;
    if (version !== last + 1) {
      this.logger.info({ last, received: version }, 'desired patch does not follow the last version; fetching the full twin');
      this.refetch();
      return;
    }
    this.logger.debug({ version }, 'desired patch received');
    const desired = applyMergePatch(this.state?.desired ?? {}, withoutMeta(patch)) as JsonObject;
    this.setState({ version, desired });
  }

  /** Fetches the full twin (coalescing concurrent requests), then applies buffered patches that follow it. */
  refetch(): void {
    if (this.closed) return;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = this.fetchLoop().finally(() => {
      this.fetching = undefined;
      const pending = this.buffered.sort((a, b) => (versionOf(a) ?? 0) - (versionOf(b) ?? 0));
      this.buffered = [];
      for (const patch of pending) if (!this.fetching) this.applyPatch(patch, versionOf(patch) ?? 0);
      else this.buffered.push(patch);
    });
  }

  private async fetchLoop(): Promise<void> {
    let delay = this.retryDelayMs;
    for (;;) {
      this.fetchAgain = false;
      try {
        const twin = await withTimeout(getTwin(this.client), this.timeoutMs, 'fetching the $edgeAgent twin');
        if (this.closed) return;
        this.fetchError = undefined;
        this.takeSnapshot(twin);
        if (!this.fetchAgain) return;
      } catch (e) {
        if (this.closed) return;
        const error = toTwinError(e, 'fetching the $edgeAgent twin failed');
        this.fetchError = error.message;
        this.report(error);
        await new Promise<void>((resolve) => {
          this.retryTimer = setTimeout(resolve, delay);
        });
        if (this.closed) return;
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    }
  }

  /** Sends a reported-properties patch; resolves when IoT Hub acknowledges it. Rejects with a {@link TwinError}. */
  updateReported(patch: JsonObject): Promise<void> {
    if (this.closed) return Promise.reject(new TwinError('not-connected', 'the IoT Hub link is closed'));
    const sent = new Promise<void>((resolve, reject) =>
      this.twin.properties.reported.update(patch, (err?: Error) => (err ? reject(toTwinError(err, 'reporting properties failed')) : resolve())),
    );
    return withTimeout(sent, this.timeoutMs, 'reporting properties');
  }

  /** Closes the connection and completes the streams. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.desiredSubject.complete();
    this.snapshotSubject.complete();
    this.reconnectedSubject.complete();
    this.errorSubject.complete();
    await withTimeout(this.client.close(), this.timeoutMs, 'closing the IoT Hub link').catch((e: unknown) => this.logger.warn({}, toTwinError(e, 'closing the IoT Hub link').message));
  }
}
