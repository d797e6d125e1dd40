/**
 * Where a local `check` finds the device's own IoT Hub credential, as `iotedge check` reads the
 * device connection string the device is provisioned with (Azure/iotedge
 * edgelet/iotedge/src/check/checks/well_formed_connection_string.rs: `provisioning.device_connection_string`
 * of the device's config) instead of asking for an IoT Hub policy:
 *
 * 1. `--device-connection-string`, else `$IOTEDGE_K8S_DEVICE_CONNECTION_STRING` (the names `run` uses);
 * 2. else the bridge's credential Secret in the namespace, read only: the Secret and keys the
 *    bridge Deployment `install` prints takes its connection strings from (its env's
 *    `secretKeyRef`), else the Secret `deploy/` names (`iotedge-k8s-device`, keys
 *    `deviceConnectionString` and `connectionString`), which `run --sandbox` also writes.
 *
 * Only a device connection string is used. A Secret that holds only the `$edgeAgent` module
 * connection string gives no credential here: a real IoT Hub accepts that module's key for its
 * twin and methods over MQTT or AMQP, and connecting as `$edgeAgent` would take the running
 * bridge's place. The key never leaves this module except inside the parsed string.
 */
import { DEVICE_CONNECTION_STRING_ENV, BRIDGE_NAME, DEFAULT_CONNECTION_STRING_KEY, DEFAULT_DEVICE_CONNECTION_STRING_KEY } from './install.js';
import { CoreV1Api, kubeJson, type KubeConfig } from '../kube/index.js';
import { KubeApiError, toKubeError } from '../reconcile/index.js';
import { ConnectionStringError, parseConnectionString, parseDeviceConnectionString, type ConnectionString } from '../shared/index.js';
import { CONNECTION_STRING_ENV } from '../sources/index.js';

/** The credential Secret of `deploy/` (`install --credential-secret iotedge-k8s-device`). */
export const DEFAULT_CREDENTIAL_SECRET = 'iotedge-k8s-device';

/** What was found, and where (`source` names a flag, a variable or a Secret's key; never a value). */
export type DeviceCredential =
  | { kind: 'device'; device: ConnectionString; source: string }
  /** A credential was given but cannot be used: `problem` says why (no key in it). */
  | { kind: 'invalid'; source: string; problem: string }
  /** None found; `reason` says where it was looked for and how to give one. */
  | { kind: 'none'; reason: string };

/** Where the bridge's connection strings live: a Secret and its two keys. */
interface SecretRef {
  name: string;
  deviceKey: string;
  moduleKey: string;
  /** How the Secret was found, for messages. */
  via: string;
}

interface EnvVar {
  name?: string;
  valueFrom?: { secretKeyRef?: { name?: string; key?: string } };
}

const HOW = `pass --device-connection-string (or set ${DEVICE_CONNECTION_STRING_ENV})`;

function parsed(text: string, source: string): DeviceCredential {
  try {
    return { kind: 'device', device: parseDeviceConnectionString(text.trim(), source), source };
  } catch (e) {
    // An unknown field is echoed by name, which for a part without '=' would be the text itself.
    if (e instanceof ConnectionStringError) return { kind: 'invalid', source, problem: e.problem === 'unknown-field' ? `${source} is not a device connection string (HostName=...;DeviceId=...;SharedAccessKey=...)` : e.message };
    throw e;
  }
}

/** The Secret the bridge Deployment in `namespace` reads its connection strings from, else `deploy/`'s. */
async function credentialSecretRef(kubeConfig: KubeConfig, namespace: string): Promise<SecretRef> {
  const fallback: SecretRef = { name: DEFAULT_CREDENTIAL_SECRET, deviceKey: DEFAULT_DEVICE_CONNECTION_STRING_KEY, moduleKey: DEFAULT_CONNECTION_STRING_KEY, via: 'the default' };
  let deployment: { spec?: { template?: { spec?: { containers?: { env?: EnvVar[] }[] } } } };
  try {
    deployment = await kubeJson(kubeConfig, { method: 'GET', path: `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${BRIDGE_NAME}` });
  } catch {
    // No bridge Deployment (a bridge outside the cluster, as with `run --sandbox`), or not allowed to read it.
    return fallback;
  }
  const env = (deployment.spec?.template?.spec?.containers ?? []).flatMap((c) => c.env ?? []);
  const ref = (variable: string) => env.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
  const device = ref(DEVICE_CONNECTION_STRING_ENV);
  const module = ref(CONNECTION_STRING_ENV);
  const name = device?.name ?? module?.name;
  if (!name) return fallback;
  return {
    name,
    deviceKey: device?.name === name && device.key ? device.key : DEFAULT_DEVICE_CONNECTION_STRING_KEY,
    moduleKey: module?.name === name && module.key ? module.key : DEFAULT_CONNECTION_STRING_KEY,
    via: `Deployment ${BRIDGE_NAME}`,
  };
}

/** The device credential of the bridge's Secret in `namespace`. */
async function fromSecret(kubeConfig: KubeConfig, namespace: string): Promise<DeviceCredential> {
  const ref = await credentialSecretRef(kubeConfig, namespace);
  let data: Record<string, string>;
  try {
    data = (await new CoreV1Api(kubeConfig).readNamespacedSecret({ name: ref.name, namespace })).data ?? {};
  } catch (e) {
    const error = toKubeError(e, `reading Secret ${ref.name}`);
    const why = error instanceof KubeApiError ? (error.status === 404 ? `no Secret ${ref.name} in namespace '${namespace}'` : `reading Secret ${ref.name}: Kubernetes API ${error.status}: ${error.apiMessage}`) : `reading Secret ${ref.name}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
    return { kind: 'none', reason: `no device credential found (${why}); ${HOW}` };
  }
  const value = (key: string) => (data[key] ? Buffer.from(data[key], 'base64').toString('utf8').trim() : undefined);
  const deviceText = value(ref.deviceKey);
  if (deviceText) return parsed(deviceText, `Secret ${ref.name} key ${ref.deviceKey}`);
  const moduleText = value(ref.moduleKey);
  let module: ConnectionString | undefined;
  try {
    module = moduleText ? parseConnectionString(moduleText) : undefined;
  } catch {
    module = undefined;
  }
  const holds = module?.moduleId ? `only the ${module.moduleId} module connection string (checking it would mean connecting as ${module.moduleId}, in the running bridge's place)` : 'no device connection string';
  return { kind: 'none', reason: `no device credential found (Secret ${ref.name} holds ${holds}); add the device connection string as its key ${ref.deviceKey}, or ${HOW}` };
}

/** The device's credential for a local `check`: the flag, the variable, else the bridge's Secret. */
export async function findDeviceCredential(given: string | undefined, env: NodeJS.ProcessEnv, kubeConfig: KubeConfig, namespace: string): Promise<DeviceCredential> {
  if (given !== undefined) return parsed(given, '--device-connection-string');
  const fromEnv = env[DEVICE_CONNECTION_STRING_ENV];
  if (fromEnv) return parsed(fromEnv, `$${DEVICE_CONNECTION_STRING_ENV}`);
  return fromSecret(kubeConfig, namespace);
}
