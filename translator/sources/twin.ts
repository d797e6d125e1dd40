/**
 * The `$edgeAgent` twin as a source of desired deployments: desired properties in (validated,
 * with their `$version`), reported documents out. IoT Hub connects in the background, so the
 * bridge runs (the last good deployment included) while the hub is unreachable.
 */
import { map, Subject, type Observable } from 'rxjs';
import { parseManifest } from '../manifest/index.js';
import { backoffDelay, ConnectionStringError, parseModuleConnectionString } from '../shared/index.js';
import type { ReportedDocument } from '../status/index.js';
import { HubLink, TwinError, type DesiredState, type HubLinkOptions, type TwinLink } from '../twin/index.js';
import type { DesiredInput, DesiredSource, SourceDevice } from './desired.js';

/** Environment variable holding the `$edgeAgent` module connection string. */
export const CONNECTION_STRING_ENV = 'IOTEDGE_K8S_CONNECTION_STRING';

/** Each desired document the twin link settles on, validated, with its `$version`. */
export function twinDesired(link: Pick<TwinLink, 'desired$'>): Observable<DesiredInput> {
  return link.desired$.pipe(map(({ version, desired }) => ({ version, manifest: parseManifest(desired) })));
}

/**
 * The device of the `$edgeAgent` module connection string (`HostName`, `DeviceId`, `ModuleId`).
 * Throws ConnectionStringError (naming the field, never the key) for any other string.
 */
export function connectionStringDevice(connectionString: string, what = 'the connection string'): SourceDevice {
  const { deviceId, hostName } = parseModuleConnectionString(connectionString, what);
  return { deviceId, hubHostname: hostName };
}

/**
 * The `$edgeAgent` connection string, CA, logger and callbacks of the IoT Hub link. The
 * connection string may be obtained from IoT Hub itself (device-credential mode reads the
 * `$edgeAgent` identity with the device key): then give a function, retried with backoff until
 * it answers, and the device, known without IoT Hub.
 */
export type TwinSourceOptions = Omit<HubLinkOptions, 'connectionString'> &
  ({ connectionString: string; device?: undefined } | { connectionString: () => Promise<string>; device: SourceDevice });

/** Backoff of the attempts to obtain the connection string. */
const OBTAIN_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

export class TwinSource implements DesiredSource {
  readonly device: SourceDevice;
  readonly desired$: Observable<DesiredInput>;
  private readonly desired = new Subject<DesiredState>();
  private link: HubLink | undefined;
  private latest: ReportedDocument | undefined;
  /** Why the link is not there yet (the connection string could not be obtained). */
  private obtaining: string | undefined;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: TwinSourceOptions) {
    if (typeof options.connectionString === 'string') {
      try {
        this.device = connectionStringDevice(options.connectionString);
      } catch (e) {
        if (e instanceof ConnectionStringError) throw new TwinError('invalid-configuration', e.message);
        throw e;
      }
      this.link = this.linkWith(options.connectionString);
    } else {
      this.device = options.device!;
      this.obtaining = 'obtaining the $edgeAgent connection string from IoT Hub';
    }
    this.desired$ = twinDesired({ desired$: this.desired.asObservable() });
  }

  /** True once the twin link is open. */
  get connected(): boolean {
    return this.link?.connected ?? false;
  }

  /** `true` while the twin is current; otherwise why /readyz should say not ready. */
  readiness(): true | string {
    if (this.link) return this.link.readiness();
    return `not connected to IoT Hub: ${this.obtaining ?? 'not started'}; the $edgeAgent twin is stale`;
  }

  report(document: ReportedDocument): void {
    this.latest = document;
    this.link?.report(document);
  }

  /** Starts the link; with a connection string still to obtain, resolves at once and obtains it in the background. */
  start(): Promise<void> {
    if (this.link) return this.link.start();
    void this.obtain();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.link?.stop();
  }

  private linkWith(connectionString: string): HubLink {
    const link = new HubLink({ ...this.options, connectionString });
    link.desired$.subscribe((state) => this.desired.next(state));
    return link;
  }

  /** Obtains the connection string, with backoff until it comes or the source stops; then links. */
  private async obtain(): Promise<void> {
    const { connectionString: obtain, logger } = this.options;
    if (typeof obtain === 'string' || this.stopped) return;
    try {
      const cs = await obtain();
      if (this.stopped) return;
      connectionStringDevice(cs);
      this.link = this.linkWith(cs);
      this.obtaining = undefined;
      if (this.latest) this.link.report(this.latest);
      await this.link.start();
    } catch (e) {
      if (e instanceof ConnectionStringError) {
        // Not an outage: what IoT Hub gave cannot be used; say so, and ask again (slowly).
        this.obtaining = `the $edgeAgent connection string IoT Hub gave is not usable: ${e.message}`;
      } else {
        this.obtaining = `cannot obtain the $edgeAgent connection string: ${e instanceof Error ? e.message : String(e)}`;
      }
      const delay = backoffDelay(this.attempts++, OBTAIN_BACKOFF);
      logger.warn({ error: this.obtaining, retryInMs: delay }, 'cannot reach IoT Hub; the current deployment keeps running');
      if (!this.stopped) this.timer = setTimeout(() => void this.obtain(), delay);
    }
  }
}
