/**
 * `run`'s credential modes (docs/identities.md): with the device connection string
 * (`--device-connection-string`, `IOTEDGE_K8S_DEVICE_CONNECTION_STRING`, or the sandbox hub's)
 * the bridge opens {@link DeviceIdentities}, connects as `$edgeAgent` with that module's own keys,
 * and every reconcile pass syncs the module identities and adds their credentials to the objects
 * it applies. With only `--connection-string`, modules get no credentials and the bridge says so.
 */
import { rootCertificates } from 'node:tls';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CoreV1Api, PatchStrategy, RegistryObjectApi, type KubeConfig } from '../kube/index.js';
import type { PassInput, PreparedPass } from '../bridge/index.js';
import { ConnectionStringError, DEVICE_CA_SECRET, DeviceIdentities, withCredentials, type CaSecretStore } from '../identities/index.js';
import type { ObjectReader } from '../kinds/index.js';
import { DEFAULT_FIELD_MANAGER } from '../reconcile/index.js';
import { RunError } from './errors.js';

export { NO_MODULE_CREDENTIALS } from '../identities/index.js';

export { DEVICE_CONNECTION_STRING_ENV } from './install.js';

/** What the device-credential mode needs from the command line (or the sandbox hub). */
export interface IdentityFlags {
  deviceConnectionString: string;
  namespace: string;
  /** GatewayHostName of the modules. @default the edgeHub Service name */
  gatewayHost?: string;
  /** PEM of a CA to trust for IoT Hub's registry, in addition to the public roots (`--ca`). */
  hubCa?: string;
  /** PEM modules trust instead of the device CA (the sandbox hub, which stands in for edgeHub). */
  moduleTrustBundlePem?: string;
}

/** The device CA Secret in the device namespace, read and written through the Kubernetes API. */
export function kubeCaSecretStore(kubeConfig: KubeConfig, namespace: string): CaSecretStore {
  const core = new CoreV1Api(kubeConfig);
  const objects = RegistryObjectApi.forConfig(kubeConfig);
  return {
    read: async () => {
      try {
        return await core.readNamespacedSecret({ name: DEVICE_CA_SECRET, namespace });
      } catch (e) {
        if ((e as { code?: number }).code === 404) return undefined;
        // eslint-disable-next-line preserve-caught-error -- the API error may carry the Secret's content; only its status code is kept
        throw new Error(`cannot read Secret ${DEVICE_CA_SECRET}: ${kubeErrorLine(e)}`);
      }
    },
    write: async (secret) => {
      try {
        await objects.patch(secret as KubernetesObject, undefined, undefined, DEFAULT_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      } catch (e) {
        // eslint-disable-next-line preserve-caught-error -- the API error may carry the Secret's content; only its status code is kept
        throw new Error(`cannot write Secret ${DEVICE_CA_SECRET}: ${kubeErrorLine(e)}`);
      }
    },
  };
}

/** The status code of a Kubernetes API error, never its body (a Secret's API error may echo its values). */
function kubeErrorLine(e: unknown): string {
  const code = (e as { code?: number }).code;
  return code ? `HTTP ${code}` : (e as Error).message;
}

/**
 * Opens the device's identities: parses the connection string. IoT Hub (`$edgeAgent`, `$edgeHub`)
 * and the device CA Secret are reached later, in the background and by the reconcile passes, so
 * an unreachable IoT Hub never stops the bridge from starting. A bad string is a one-line
 * {@link RunError} naming the field, never the key.
 */
export async function openIdentities(flags: IdentityFlags, kubeConfig: KubeConfig): Promise<DeviceIdentities> {
  try {
    return DeviceIdentities.open({
      deviceConnectionString: flags.deviceConnectionString,
      namespace: flags.namespace,
      ...(flags.gatewayHost ? { gatewayHostName: flags.gatewayHost } : {}),
      ...(flags.hubCa ? { hubCa: [...rootCertificates, flags.hubCa].join('\n') } : {}),
      ...(flags.moduleTrustBundlePem ? { moduleTrustBundlePem: flags.moduleTrustBundlePem } : {}),
      caSecretStore: kubeCaSecretStore(kubeConfig, flags.namespace),
    });
  } catch (e) {
    if (e instanceof ConnectionStringError) throw new RunError(`the device connection string is not valid: ${e.message}`);
    throw new RunError(`cannot open the device's identities: ${(e as Error).message}`);
  }
}

/**
 * The bridge's preparePass hook: every reconcile pass syncs the module identities of the model
 * being applied, adds their credential Secrets and pod environment to the objects (so pruning
 * removes a removed module's Secret), reports identity errors on their modules, and asks for the
 * next pass when a retry or a certificate check is due. A module whose identity IoT Hub cannot
 * give keeps the credential the cluster holds (`objects`: its credential Secrets, recalled), so a
 * bridge started without IoT Hub applies the last good deployment as it runs. Only when no module
 * has any credential does it throw: the bridge retries the pass and leaves what runs alone.
 */
export function identityPass(identities: DeviceIdentities, objects?: ObjectReader): (deployment: PassInput) => Promise<PreparedPass> {
  return async ({ model, objects: translated }) => {
    if (objects) identities.recall(objects.list('Secret'));
    const sync = await identities.sync(model);
    // IoT Hub unreachable and no credential known (a first start): applying now would deploy the
    // modules without credentials, so the pass is retried and nothing is applied.
    const { modules } = sync.report;
    if (modules.length > 0 && modules.every((m) => m.outcome === 'failed' && !m.identity)) throw new Error(modules[0]!.error ?? 'module identities unavailable');
    return {
      objects: withCredentials(translated, sync.credentials),
      moduleNotes: sync.moduleErrors,
      ...(sync.retryInMs !== undefined ? { nextPassInMs: sync.retryInMs } : {}),
    };
  };
}
