/**
 * The identities loop behind one small API for the bridge's run loop:
 *
 *   const ids = DeviceIdentities.open({ deviceConnectionString, namespace, caSecretStore, ... });
 *   // connect the twin with await ids.edgeAgentConnectionString() (retried until IoT Hub answers)
 *   // on every reconcile (and when ids.sync() asked for a retry):
 *   ids.recall(credentialSecretsInTheCluster);
 *   const sync = await ids.sync(model);
 *   objects = withCredentials(translate(model, ...).objects, sync.credentials);
 *   // sync.moduleErrors -> statusDescription of those modules; sync.retryInMs -> schedule a pass
 *
 * Opening needs neither IoT Hub nor the cluster: only the connection string is parsed, so a bridge
 * starts (and keeps the last good deployment running) while IoT Hub is unreachable. The device CA
 * Secret is first read by the first `sync`, that is by a bridge that reconciles (with leader
 * election, only the leader). `sync` reconciles the module identities (see reconciler.ts), keeps
 * the device CA and edgeHub's server certificate current (see certificates.ts; the CA Secret is
 * written through the store only when it changed) and returns the input of
 * {@link withCredentials}. It never throws for IoT Hub failures (they are per module, with the
 * last credential known, from the cluster's Secrets at start); a CA Secret that cannot be read or
 * written throws.
 */
import { GATEWAY_HOSTNAME, type KubeObject } from '../translate/index.js';
import { deviceCaFromSecret, deviceCaSecret, edgeHubServerNames, edgeHubTlsOf, maintainCertificates, trustBundle, type CertificatePolicy, type DeviceCaState, type CertificateAction } from './certificates.js';
import { desiredIdentityIds, identitiesFromSecrets, identityIdOf, type CredentialInput } from './credentials.js';
import { IdentityReconciler, type IdentityReport, type IdentityReconcilerOptions } from './reconciler.js';
import { parseDeviceConnectionString, type ConnectionString } from '../shared/index.js';
import { ModuleRegistryClient } from './registry-client.js';
import { ensureSystemIdentities, moduleConnectionString, type SystemIdentities } from './system.js';

/**
 * What the bridge says once in its log and in edgeAgent's reported status when it runs with only
 * the `$edgeAgent` connection string (`--connection-string`).
 */
export const NO_MODULE_CREDENTIALS =
  'modules get no IoT Hub credentials: the bridge has only the $edgeAgent connection string; give it the device connection string (--device-connection-string) to manage module identities';

/** Where the device CA Secret is kept: the bridge's Kubernetes client. */
export interface CaSecretStore {
  /** The Secret `iotedge-k8s-device-ca` as the API returns it, or undefined when it does not exist. */
  read(): Promise<unknown>;
  /** Creates or replaces it (server-side apply is fine). */
  write(secret: KubeObject): Promise<void>;
}

/** Options of {@link DeviceIdentities.open}. */
export interface DeviceIdentitiesOptions {
  /** The edge device's connection string (`--device-connection-string`). Never logged. */
  deviceConnectionString: string;
  /** The device namespace. */
  namespace: string;
  /** GatewayHostName for modules (`--gateway-host`). @default the edgeHub Service name, `edgehub` */
  gatewayHostName?: string;
  /** Extra CA (PEM) for the registry's HTTPS (the sandbox hub's CA). */
  hubCa?: string;
  /**
   * PEM modules trust for their gateway instead of the device CA: with `run --sandbox` the sandbox
   * hub stands in for edgeHub, so this is its CA. @default the device CA trust bundle
   */
  moduleTrustBundlePem?: string;
  caSecretStore: CaSecretStore;
  certificatePolicy?: CertificatePolicy;
  /** Clock in milliseconds. @default Date.now */
  now?: () => number;
  reconciler?: Omit<IdentityReconcilerOptions, 'now'>;
}

/** Result of {@link DeviceIdentities.sync}. */
export interface IdentitySync {
  /** Input of withCredentials / credentialObjects / withModuleCredentials. */
  credentials: CredentialInput;
  /** The identity loop's report. */
  report: IdentityReport;
  /** Module id as in the manifest (`edgeHub`, `tempSensor`) -> one line for its statusDescription. */
  moduleErrors: Map<string, string>;
  /** What was done to the certificates in this pass (empty when nothing). */
  certificateActions: CertificateAction[];
  /** Run sync again after this many milliseconds (a retry, or the next certificate check). */
  retryInMs?: number;
}

/** How often certificates are checked when nothing else asks for a pass. */
const CERT_CHECK_MS = 6 * 3600 * 1000;

/** See the file comment. */
export class DeviceIdentities {
  /** The CA as the Secret held it; read by the first pass. */
  private caState: DeviceCaState | undefined;
  private caLoaded = false;
  private system: Promise<SystemIdentities> | undefined;
  private last: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: DeviceIdentitiesOptions,
    private readonly device: ConnectionString,
    private readonly client: ModuleRegistryClient,
    private readonly reconciler: IdentityReconciler,
  ) {}

  /**
   * Parses the connection string; reaches neither IoT Hub nor the cluster. Throws
   * ConnectionStringError (naming the field, never the key).
   */
  static open(options: DeviceIdentitiesOptions): DeviceIdentities {
    const now = options.now ?? Date.now;
    const device = parseDeviceConnectionString(options.deviceConnectionString);
    const client = new ModuleRegistryClient({ device, ...(options.hubCa ? { ca: options.hubCa } : {}), now });
    return new DeviceIdentities(options, device, client, new IdentityReconciler(client, { ...options.reconciler, now }));
  }

  /**
   * The `$edgeAgent` module connection string the bridge connects with (the device's
   * GatewayHostName kept): reads (creating when missing, keying when keyless) `$edgeAgent` and
   * `$edgeHub` in IoT Hub once. Rejects with RegistryError while IoT Hub is unreachable or
   * refuses; the next call asks again.
   */
  async edgeAgentConnectionString(): Promise<string> {
    this.system ??= ensureSystemIdentities(this.client).catch((e: unknown) => {
      this.system = undefined;
      throw e;
    });
    const { edgeAgent } = await this.system;
    return moduleConnectionString(this.device, edgeAgent, this.device.gatewayHostName);
  }

  /**
   * Credentials the cluster already holds (the module credential Secrets of this device, plain
   * objects as the API returns them): used for a module whose identity IoT Hub cannot give.
   */
  recall(secrets: readonly unknown[]): void {
    this.reconciler.remember(identitiesFromSecrets(secrets, { hubHostName: this.device.hostName, deviceId: this.device.deviceId }));
  }

  /** The edge device's id. */
  get deviceId(): string {
    return this.device.deviceId;
  }

  /** The IoT Hub host name (HostName of the device connection string). */
  get hubHostName(): string {
    return this.device.hostName;
  }

  /** One pass of the identities loop for a deployment model (see the file comment). Passes never overlap. */
  sync(model: { modules: readonly { name: string }[]; edgeHub?: { name: string } }): Promise<IdentitySync> {
    const pass = this.last.then(() => this.pass(model));
    this.last = pass.catch(() => undefined);
    return pass;
  }

  private async pass(model: { modules: readonly { name: string }[]; edgeHub?: { name: string } }): Promise<IdentitySync> {
    const { options } = this;
    if (!this.caLoaded) {
      const stored = await options.caSecretStore.read();
      this.caState = stored === undefined ? undefined : deviceCaFromSecret(stored);
      this.caLoaded = true;
    }
    const now = (options.now ?? Date.now)();
    const gatewayHostName = options.gatewayHostName ?? GATEWAY_HOSTNAME;
    const certs = maintainCertificates(this.caState, edgeHubServerNames(options.namespace, gatewayHostName), now, {
      deviceId: this.device.deviceId,
      ...(options.certificatePolicy ? { policy: options.certificatePolicy } : {}),
    });
    if (certs.changed) await options.caSecretStore.write(deviceCaSecret(certs.state, options.namespace));
    this.caState = certs.state;

    const report = await this.reconciler.reconcile(desiredIdentityIds(model));
    const moduleErrors = new Map<string, string>();
    const names = new Map([...(model.edgeHub ? [model.edgeHub] : []), ...model.modules].map((m) => [identityIdOf(m.name), m.name]));
    for (const m of report.modules) if (m.error) moduleErrors.set(names.get(m.moduleId) ?? m.moduleId, m.error);
    const tls = edgeHubTlsOf(certs.state);
    const credentials: CredentialInput = {
      namespace: options.namespace,
      hubHostName: this.device.hostName,
      deviceId: this.device.deviceId,
      gatewayHostName,
      identities: report.modules,
      moduleTrustBundlePem: options.moduleTrustBundlePem ?? trustBundle(certs.state),
      ...(tls ? { edgeHubTls: tls } : {}),
    };
    const retryInMs = Math.min(report.retryInMs ?? Infinity, CERT_CHECK_MS);
    return { credentials, report, moduleErrors, certificateActions: certs.actions, retryInMs };
  }
}
