/**
 * The `$edgeAgent` twin as a source of desired deployments: desired properties in (validated,
 * with their `$version`), reported documents out. IoT Hub connects in the background, so the
 * bridge runs (the last good deployment included) while the hub is unreachable.
 */
import { map, type Observable } from 'rxjs';
import { parseManifest } from '../manifest/index.js';
import { ConnectionStringError, parseModuleConnectionString } from '../shared/index.js';
import type { ReportedDocument } from '../status/index.js';
import { HubLink, TwinError, type HubLinkOptions, type TwinLink } from '../twin/index.js';
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

/** The `$edgeAgent` connection string, CA, logger and callbacks of the IoT Hub link. */
export type TwinSourceOptions = HubLinkOptions;

export class TwinSource implements DesiredSource {
  readonly device: SourceDevice;
  readonly desired$: Observable<DesiredInput>;
  private readonly link: HubLink;

  constructor(options: TwinSourceOptions) {
    try {
      this.device = connectionStringDevice(options.connectionString);
    } catch (e) {
      if (e instanceof ConnectionStringError) throw new TwinError('invalid-configuration', e.message);
      throw e;
    }
    this.link = new HubLink(options);
    this.desired$ = twinDesired(this.link);
  }

  /** True once the twin link is open. */
  get connected(): boolean {
    return this.link.connected;
  }

  /** `true` while the twin is current; otherwise why /readyz should say not ready. */
  readiness(): true | string {
    return this.link.readiness();
  }

  report(document: ReportedDocument): void {
    this.link.report(document);
  }

  start(): Promise<void> {
    return this.link.start();
  }

  stop(): Promise<void> {
    return this.link.stop();
  }
}
