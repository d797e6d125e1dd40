/**
 * How the device verbs (`list`, `logs`, `restart`, `check`, `support-bundle`) reach one device:
 *
 * - **locally**, straight from the cluster (`--kubeconfig`, `--namespace`): the module statuses
 *   are computed from the pods and workloads with the bridge's own status code and the last
 *   good deployment, and the direct-method handlers run in this process;
 * - **remotely**, through IoT Hub (`--hub-connection-string`, `--device-id`): the `$edgeAgent`
 *   twin's reported properties and edgeAgent's direct methods, as an operator far from the
 *   device sees it.
 *
 * Both sides answer with the same shapes (edgeAgent's), so each verb formats one answer.
 */
import { readCaPem } from './hub-service.js';
import iothub from 'azure-iothub';
import { WORKLOAD_KINDS, type KubeJson } from '../kinds/index.js';
import { CoreV1Api, KubeConfigLoader, RegistryObjectApi, type KubeConfig } from '../kube/index.js';
import type { DeploymentModel } from '../manifest/index.js';
import { Methods, clusterModules, lastGoodModel, type MethodResponse } from '../methods/index.js';
import { LAST_GOOD_SECRET, toKubeError, KubeApiError } from '../reconcile/index.js';
import { type PodJson, type ReportedAgent, type ReportedModule } from '../status/index.js';
import { KubeLeaseStore } from '../leader/index.js';
import { agentFromLease, agentFromPods, agentFromReported, liveBridgePods, type ListedModule } from './agent.js';
import { BRIDGE_POD_SELECTOR } from './install.js';
import { DEVICE_LABEL, HUB_LABEL, MANAGED_BY, MANAGED_BY_LABEL, ownedSelector } from '../translate/index.js';
import { scrubSecrets, trustHubCa } from '../twin/index.js';
import { DeviceVerbError } from './errors.js';
import { isHubTimeout, withHubTimeout } from './hub-service.js';

const { Client, Registry } = iothub;

/** Flags every device verb takes. */
export interface DeviceFlags {
  kubeconfig?: string;
  namespace?: string;
  hubConnectionString?: string;
  deviceId?: string;
  ca?: string;
  /** Remote: deadline of each IoT Hub call (a direct method gets its own 30 s on top). @default 30000 */
  hubTimeoutMs?: number;
}

/** The modules of a device as `$edgeAgent` reports them (edgeHub and the user modules). */
export type ModuleMap = Record<string, ReportedModule>;

/** One device, reached locally or remotely. */
export interface DeviceAccess {
  readonly mode: 'local' | 'remote';
  readonly deviceId: string;
  /** What `list` shows: the bridge itself as edgeAgent, and edgeHub and every user module as reported. */
  listed(): Promise<{ agent: ListedModule; modules: ModuleMap }>;
  /** Calls one of edgeAgent's direct methods. */
  call(method: string, payload: unknown): Promise<MethodResponse>;
  close(): Promise<void>;
}

/** The PEM of `--ca FILE`; a bad file is a DeviceVerbError. */
export const readCa = (path: string): Promise<string> => readCaPem(path, (message) => new DeviceVerbError(message));

/** Picks the side from the flags: a hub connection string means remote. */
export async function openDevice(flags: DeviceFlags): Promise<DeviceAccess> {
  if (flags.hubConnectionString) {
    if (!flags.deviceId) throw new DeviceVerbError('--device-id is required with --hub-connection-string');
    return RemoteDevice.open(flags.hubConnectionString, flags.deviceId, flags.ca ? await readCa(flags.ca) : undefined, flags.hubTimeoutMs);
  }
  return LocalDevice.open(kubeConfigOf(flags), flags.namespace ?? 'iotedge', flags.deviceId);
}

/** --kubeconfig, else KUBECONFIG, else the in-cluster configuration. */
export function kubeConfigOf(flags: Pick<DeviceFlags, 'kubeconfig'>): KubeConfig {
  const kubeConfig = new KubeConfigLoader();
  try {
    if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
    else if (process.env.KUBECONFIG) kubeConfig.loadFromFile(process.env.KUBECONFIG);
    else if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
    else throw new DeviceVerbError('no device given: pass --kubeconfig FILE (or set KUBECONFIG) for a local device, or --hub-connection-string CS --device-id ID for a remote one');
  } catch (e) {
    if (e instanceof DeviceVerbError) throw e;
    throw new DeviceVerbError(`cannot read the kubeconfig: ${(e as Error).message.split('\n')[0]}`);
  }
  return kubeConfig;
}

function kubeMessage(e: unknown, what: string): string {
  const error = toKubeError(e, what);
  if (error instanceof KubeApiError) return `${what}: Kubernetes API ${error.status}: ${error.apiMessage}`;
  return `${what}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
}

/** The device as its cluster shows it. */
export class LocalDevice implements DeviceAccess {
  readonly mode = 'local';
  private readonly methods: Methods;

  private constructor(
    readonly kubeConfig: KubeConfig,
    readonly namespace: string,
    readonly deviceId: string,
    iotHub: string,
  ) {
    // Locally nothing travels through IoT Hub, so no direct-method size limit applies.
    this.methods = new Methods({ kubeConfig, namespace, deviceId, iotHub, maxLogsPayloadBytes: Number.MAX_SAFE_INTEGER });
  }

  /** Opens the device of `namespace`; its id is read from the bridge's labels when not given. */
  static async open(kubeConfig: KubeConfig, namespace: string, deviceId?: string): Promise<LocalDevice> {
    const api = RegistryObjectApi.forConfig(kubeConfig);
    let labels: Record<string, string>[];
    try {
      const selector = deviceId ? ownedSelector(deviceId) : `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
      labels = [];
      for (const kind of WORKLOAD_KINDS) {
        const list = await api.list(kind.apiVersion, kind.kind, namespace, undefined, undefined, undefined, undefined, selector);
        for (const item of list.items as KubeJson[]) labels.push(item.metadata?.labels ?? {});
      }
    } catch (e) {
      throw new DeviceVerbError(kubeMessage(e, `reading namespace '${namespace}'`));
    }
    const devices = [...new Set(labels.map((l) => l[DEVICE_LABEL]).filter((d): d is string => d !== undefined))];
    if (!deviceId && devices.length === 0) throw new DeviceVerbError(`no IoT Edge device runs in namespace '${namespace}' (no workload labelled ${MANAGED_BY_LABEL}=${MANAGED_BY}): pass the --namespace the bridge uses, or wait until it applied a deployment`);
    if (!deviceId && devices.length > 1) throw new DeviceVerbError(`namespace '${namespace}' holds several devices (${devices.join(', ')}); pass --device-id`);
    const hub = labels.map((l) => l[HUB_LABEL]).find((h) => h !== undefined) ?? '';
    return new LocalDevice(kubeConfig, namespace, deviceId ?? devices[0]!, hub);
  }

  /** The deployment the bridge last applied (its last-good Secret), or undefined. */
  async lastGoodModel(): Promise<DeploymentModel | undefined> {
    try {
      return await lastGoodModel(this.kubeConfig, this.namespace);
    } catch (e) {
      throw new DeviceVerbError(kubeMessage(e, `reading Secret ${LAST_GOOD_SECRET}`));
    }
  }

  /** The modules from the cluster and the last good deployment (read once for both). */
  async listed(): Promise<{ agent: ListedModule; modules: ModuleMap }> {
    const model = await this.lastGoodModel();
    if (!model) throw new DeviceVerbError(`namespace '${this.namespace}' has no deployment applied by the bridge yet (no Secret ${LAST_GOOD_SECRET})`);
    const modules = async () => {
      try {
        return await clusterModules(this.kubeConfig, this.namespace, this.deviceId, model);
      } catch (e) {
        throw new DeviceVerbError(kubeMessage(e, `reading the modules of namespace '${this.namespace}'`));
      }
    };
    const [agent, map] = await Promise.all([this.agent(model.edgeAgent.image), modules()]);
    return { agent, modules: map };
  }

  /** The pods of the bridge installed in this namespace (the Deployment `install` makes); none for a bridge outside the cluster. */
  async bridgePods(): Promise<PodJson[]> {
    try {
      return (await new CoreV1Api(this.kubeConfig).listNamespacedPod({ namespace: this.namespace, labelSelector: BRIDGE_POD_SELECTOR })).items as unknown as PodJson[];
    } catch (e) {
      throw new DeviceVerbError(kubeMessage(e, `reading the bridge's pods in namespace '${this.namespace}'`));
    }
  }

  /**
   * The bridge as its pod shows it (installed in the cluster), else as its Lease does (a bridge
   * outside the cluster), with `image`, the one the deployment names for edgeAgent.
   */
  private async agent(image: string): Promise<ListedModule> {
    const pods = await this.bridgePods();
    if (liveBridgePods(pods).length > 0) return agentFromPods(pods, image, this.namespace);
    const store = new KubeLeaseStore(this.kubeConfig, this.namespace);
    try {
      const lease = await store.get();
      // Fresh or expired as of this read, on this machine's clock.
      return agentFromLease(lease, image, this.namespace, new Date());
    } catch (e) {
      throw new DeviceVerbError(kubeMessage(e, `reading ${store.description}`));
    }
  }

  call(method: string, payload: unknown): Promise<MethodResponse> {
    return this.methods.handle(method, payload);
  }

  async close(): Promise<void> {
    await this.methods.tasks.idle();
  }
}

type IotRegistry = InstanceType<typeof Registry>;

/** Deadline of one IoT Hub call of a remote verb. */
const DEFAULT_HUB_TIMEOUT_MS = 30_000;
/** How long IoT Hub waits for the device to answer a direct method. */
const METHOD_TIMEOUT_S = 30;
type IotClient = InstanceType<typeof Client>;

/** The device as IoT Hub shows it to an operator. */
export class RemoteDevice implements DeviceAccess {
  readonly mode = 'remote';

  private constructor(
    readonly registry: IotRegistry,
    private readonly client: IotClient,
    readonly deviceId: string,
    private readonly timeoutMs: number,
  ) {}

  /** `timeoutMs` bounds each IoT Hub call, so that a hub that accepts but never answers is one line too. */
  static open(connectionString: string, deviceId: string, caPem?: string, timeoutMs = DEFAULT_HUB_TIMEOUT_MS): RemoteDevice {
    let registry: IotRegistry;
    let client: IotClient;
    try {
      registry = Registry.fromConnectionString(connectionString);
      client = Client.fromConnectionString(connectionString);
    } catch {
      throw new DeviceVerbError('--hub-connection-string is not a valid IoT Hub connection string (HostName=...;SharedAccessKeyName=...;SharedAccessKey=...)');
    }
    if (caPem) {
      trustHubCa(registry, caPem);
      trustHubCa(client, caPem);
    }
    return new RemoteDevice(registry, client, deviceId, timeoutMs);
  }

  /** The `$edgeAgent` reported properties, its connection state and the hub's clock (its Date header). */
  async reported(): Promise<{ reported: Record<string, unknown>; connectionState?: string; serverTime?: Date }> {
    try {
      const { responseBody, httpResponse } = await withHubTimeout(this.registry.getModuleTwin(this.deviceId, '$edgeAgent'), this.timeoutMs);
      const twin = responseBody as unknown as { connectionState?: string; properties?: { reported?: Record<string, unknown> } };
      const date = (httpResponse as { headers?: Record<string, string | undefined> } | undefined)?.headers?.date;
      return {
        reported: twin.properties?.reported ?? {},
        ...(typeof twin.connectionState === 'string' ? { connectionState: twin.connectionState } : {}),
        ...(date && !Number.isNaN(Date.parse(date)) ? { serverTime: new Date(date) } : {}),
      };
    } catch (e) {
      throw new DeviceVerbError(hubMessage(e, this.deviceId));
    }
  }

  /** Both from one read of the `$edgeAgent` twin. */
  async listed(): Promise<{ agent: ListedModule; modules: ModuleMap }> {
    const { reported, connectionState } = await this.reported();
    const system = (reported.systemModules ?? {}) as Record<string, ReportedModule> & { edgeAgent?: ReportedAgent };
    const modules = (reported.modules ?? {}) as Record<string, ReportedModule | null>;
    const out: ModuleMap = {};
    if (system.edgeHub) out.edgeHub = system.edgeHub;
    for (const [id, m] of Object.entries(modules)) if (m) out[id] = m;
    return { agent: agentFromReported(system.edgeAgent, connectionState), modules: out };
  }

  async call(method: string, payload: unknown): Promise<MethodResponse> {
    try {
      const { result } = await withHubTimeout(
        this.client.invokeDeviceMethod(this.deviceId, '$edgeAgent', { methodName: method, payload, responseTimeoutInSeconds: METHOD_TIMEOUT_S }),
        this.timeoutMs + METHOD_TIMEOUT_S * 1000,
      );
      return result as MethodResponse;
    } catch (e) {
      // azure-iothub raises for non-2xx answers: the device's status and payload are in the body.
      const body = (e as { responseBody?: string }).responseBody;
      if (typeof body === 'string' && body.startsWith('{')) {
        const answer = JSON.parse(body) as Partial<MethodResponse>;
        if (typeof answer.status === 'number') return answer as MethodResponse;
      }
      throw new DeviceVerbError(hubMessage(e, this.deviceId));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** One line about an IoT Hub failure, without secrets. */
export function hubMessage(e: unknown, deviceId: string): string {
  const err = e as { name?: string; code?: string; message?: string; response?: { statusCode?: number } };
  const name = e instanceof Error ? e.constructor.name : '';
  const status = err.response?.statusCode;
  // A direct method to a device that is not connected: IoT Hub answers 404 with error code 404103 (DeviceNotOnline).
  const body = (e as { responseBody?: unknown }).responseBody;
  if (/DeviceNotOnline|404103/.test(`${typeof body === 'string' ? body : ''} ${err.message ?? ''}`)) return `device '${deviceId}' is not connected to IoT Hub (is its bridge running?)`;
  if (name === 'DeviceNotFoundError' || status === 404) return `device '${deviceId}' (or its $edgeAgent) was not found in IoT Hub`;
  if (name === 'UnauthorizedError' || status === 401) return 'IoT Hub refused the credentials of the connection string';
  if (name === 'GatewayTimeoutError' || status === 504) return `device '${deviceId}' did not answer the direct method (is its bridge connected?)`;
  if (isHubTimeout(e)) return 'IoT Hub did not answer in time';
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return `cannot verify IoT Hub's TLS certificate (${code}); pass its CA with --ca FILE`;
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)$/.test(code)) return `cannot reach IoT Hub (${code})`;
  return `IoT Hub: ${scrubSecrets(err.message ?? String(e)).split('\n')[0]}`;
}
