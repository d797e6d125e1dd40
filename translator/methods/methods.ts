/**
 * edgeAgent's direct methods, answered by the bridge: ping, RestartModule, GetModuleLogs,
 * UploadModuleLogs, UploadSupportBundle and GetTaskStatus (the uploads run as background tasks,
 * see tasks.ts and uploads.ts). Method names are case-insensitive; an unknown method or a bad payload answers
 * 400 `{ message }`; other failures 500 `{ message }` (edgeAgent answers 500 for an unknown
 * module in RestartModule too); GetModuleLogs content over 127,000 bytes answers 400, as edgeAgent does.
 */
import type { EventEmitter } from 'node:events';
import type { KubeConfig } from '../kube/index.js';
import deviceSdk, { type DeviceMethodResponse, type DeviceTransport, type MethodMessage, type ModuleClient } from 'azure-iot-device';
import { SILENT_LOGGER, type StructuredLogger } from '../ops/index.js';
import { newestPod } from '../status/index.js';
import type { ObjectReader } from '../kinds/index.js';
import { DeviceCluster } from './cluster.js';
import { DEVICE_CHECKS_METHOD, deviceChecks } from './device-checks.js';
import { encodeLogs, filterLines, parseKubeletLog, parseLogLine, type LogLine, type LogsResponseItem, type RawLogLine } from './logs.js';
import { MethodError, parseGetModuleLogs, parseGetTaskStatus, parseRestartModule, selectModules } from './requests.js';
import { EDGEHUB_CERTIFICATE, SupportBundles, type SupportBundleOptions } from './support.js';
import { isObject } from '../shared/index.js';
import { TaskRunner, type TaskStatus } from './tasks.js';

// The SDK is CommonJS: Node's ESM loader offers it only as a default export.
const DeviceMethodResponseClass = deviceSdk.DeviceMethodResponse;

/** Largest GetModuleLogs response: IoT Hub limits method payloads to 128 KB. */
export const MAX_LOGS_PAYLOAD_BYTES = 127_000;

/** Canonical names of the methods answered. */
export const METHOD_NAMES = ['ping', 'RestartModule', 'GetModuleLogs', 'GetTaskStatus', 'UploadModuleLogs', 'UploadSupportBundle', DEVICE_CHECKS_METHOD] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** The module id of the bridge itself in GetModuleLogs. */
export const AGENT_MODULE_ID = 'edgeAgent';

/** Ids that name the bridge itself. */
const AGENT_IDS = new Set(['edgeagent', '$edgeagent']);

/** Options of {@link Methods}. */
export interface MethodsOptions {
  kubeConfig: KubeConfig;
  /** The device's namespace. */
  namespace: string;
  /** The IoT Hub device id (selects the device's objects by label). */
  deviceId: string;
  /** IoT Hub host name written into json log messages. @default '' */
  iotHub?: string;
  logger?: StructuredLogger;
  /** Clock, for relative `since`/`until` and restart stamps. @default () => new Date() */
  now?: () => Date;
  /** The bridge's informer cache; without it every call lists the device's pods and workloads. */
  objects?: ObjectReader;
  /** @default MAX_LOGS_PAYLOAD_BYTES */
  maxLogsPayloadBytes?: number;
  /**
   * The bridge's own recent log lines, served as the logs of module `edgeAgent` (as edgeAgent
   * serves its own). Without it, `edgeAgent` matches no module.
   */
  agentLogs?: () => readonly RawLogLine[];
  /** Upload tasks and support bundles: the bridge's own log lines, the task timeout. */
  support?: SupportBundleOptions;
}

/** A method's answer: status and JSON payload. */
export interface MethodResponse {
  status: number;
  payload: unknown;
}

export type { TaskStatus };

/** The direct-method handlers of one device. */
export class Methods {
  private readonly cluster: DeviceCluster;
  private readonly logger: StructuredLogger;
  private readonly now: () => Date;
  private readonly maxLogsPayloadBytes: number;
  /** Background tasks of the upload methods. */
  readonly tasks: TaskRunner;
  private readonly support: SupportBundles;

  constructor(private readonly options: MethodsOptions) {
    this.cluster = new DeviceCluster(options.kubeConfig, options.namespace, options.deviceId, options.objects);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.now = options.now ?? (() => new Date());
    this.maxLogsPayloadBytes = options.maxLogsPayloadBytes ?? MAX_LOGS_PAYLOAD_BYTES;
    this.tasks = new TaskRunner({
      ...(options.support?.taskTimeoutMs !== undefined ? { timeoutMs: options.support.taskTimeoutMs } : {}),
      onFinished: (correlationId, state) => this.logger.warn({ correlationId, status: state.status }, state.message),
    });
    this.support = new SupportBundles(options.kubeConfig, this.cluster, { deviceId: options.deviceId, iotHub: options.iotHub ?? '' }, options.support ?? {});
  }

  /** Answers one call; never throws. */
  async handle(methodName: string, payload: unknown): Promise<MethodResponse> {
    const started = Date.now();
    let response: MethodResponse;
    try {
      response = await this.dispatch(methodName, payload);
    } catch (e) {
      const error = e instanceof MethodError ? e : new MethodError(500, `${methodName} failed: ${e instanceof Error ? e.message : String(e)}`);
      response = { status: error.status, payload: { message: error.message } };
    }
    this.logger.info({ method: methodName, status: response.status, ms: Date.now() - started }, 'direct method answered');
    return response;
  }

  /** The handler of each method, by canonical name: a new method is one entry here. */
  private readonly handlers: Readonly<Record<MethodName, (payload: unknown) => Promise<MethodResponse>>> = {
    ping: () => Promise.resolve({ status: 200, payload: null }),
    RestartModule: (payload) => this.restartModule(payload),
    GetModuleLogs: (payload) => this.getModuleLogs(payload),
    GetTaskStatus: (payload) => {
      const request = parseGetTaskStatus(payload);
      const answer = this.tasks.status(request.correlationId);
      return Promise.resolve({ status: 200, payload: answer.status === 'Unknown' ? { ...answer, message: `no task with correlationId '${request.correlationId}'` } : answer });
    },
    UploadModuleLogs: (payload) => Promise.resolve({ status: 200, payload: this.support.uploadModuleLogs(this.tasks, payload, this.now()) }),
    UploadSupportBundle: (payload) => Promise.resolve({ status: 200, payload: this.support.uploadSupportBundle(this.tasks, payload, this.now()) }),
    [DEVICE_CHECKS_METHOD]: (payload) => this.runDeviceChecks(payload),
  };

  /** Ours, not edgeAgent's: the checks of `check` that need the cluster, for a remote `check`. */
  private async runDeviceChecks(payload: unknown): Promise<MethodResponse> {
    if (payload !== undefined && payload !== null && !isObject(payload)) throw new MethodError(400, `${DEVICE_CHECKS_METHOD}: the payload must be empty or a JSON object`);
    const checks = await deviceChecks({
      kubeConfig: this.options.kubeConfig,
      namespace: this.options.namespace,
      deviceId: this.options.deviceId,
      edgeHubCertificate: this.options.support?.edgeHubCertificate ?? EDGEHUB_CERTIFICATE,
      now: this.now(),
    });
    return { status: 200, payload: { schemaVersion: '1.0', checks } };
  }

  private dispatch(methodName: string, payload: unknown): Promise<MethodResponse> {
    const name = METHOD_NAMES.find((n) => n.toLowerCase() === methodName.toLowerCase());
    if (!name) throw new MethodError(400, `unknown method '${methodName.slice(0, 100)}' (supported: ${METHOD_NAMES.join(', ')})`);
    return this.handlers[name](payload);
  }

  private async restartModule(payload: unknown): Promise<MethodResponse> {
    const { id } = parseRestartModule(payload);
    if (AGENT_IDS.has(id.toLowerCase())) throw new MethodError(400, `RestartModule: '${id}' is the bridge itself and cannot be restarted through this method`);
    const workload = await this.cluster.workloadOf(id);
    if (!workload) throw new MethodError(500, `RestartModule: module '${id}' not found in namespace '${this.options.namespace}'`);
    const name = workload.object.metadata?.name ?? '';
    if (workload.kind.workload.restart === 'rollout') {
      if (workload.kind.workload.stopped(workload.object)) throw new MethodError(500, `RestartModule: module '${id}' is stopped`);
      await this.cluster.rolloutRestart(workload, this.now());
    } else {
      const pods = (await this.cluster.podsByModule()).get(id) ?? [];
      const active = pods.filter((p) => !p.metadata?.deletionTimestamp && (p.status?.phase === 'Running' || p.status?.phase === 'Pending'));
      if (active.length === 0) throw new MethodError(500, `RestartModule: module '${id}' (${workload.kind.kind} '${name}') has no running pod; deploy it again to run it again`);
      for (const pod of active) await this.cluster.deletePod(pod.metadata?.name ?? '');
    }
    return { status: 200, payload: null };
  }

  private async getModuleLogs(payload: unknown): Promise<MethodResponse> {
    const request = parseGetModuleLogs(payload, this.now());
    const pods = await this.cluster.podsByModule();
    const agentLogs = this.options.agentLogs;
    // The modules edgeAgent's runtime lists: itself (when its own log is kept) and every module with a pod.
    const moduleIds = [...(agentLogs ? [AGENT_MODULE_ID] : []), ...[...pods.keys()].sort()];
    const result: LogsResponseItem[] = [];
    let size = 0;
    for (const { id: moduleId, item } of selectModules(request.items, moduleIds)) {
      let lines: LogLine[];
      if (agentLogs && moduleId === AGENT_MODULE_ID) {
        lines = filterLines(agentLogs().map(parseLogLine), item.filter);
      } else {
        const pod = newestPod(pods.get(moduleId) ?? []);
        if (!pod) continue;
        const { since, tail, until, regex, loglevel } = item.filter;
        // The kubelet can apply tail itself only when no other filter drops lines after it.
        const kubeletTail = until === undefined && regex === undefined && loglevel === undefined ? tail : undefined;
        const raw = (await this.cluster.podLog(pod, { ...(since ? { since } : {}), ...(kubeletTail !== undefined ? { tailLines: kubeletTail } : {}) })) ?? '';
        lines = filterLines(parseKubeletLog(raw), item.filter);
      }
      const encoded = encodeLogs(moduleId, lines, request, { iotHub: this.options.iotHub ?? '', deviceId: this.options.deviceId });
      result.push(encoded.item);
      size += encoded.size;
    }
    if (size > this.maxLogsPayloadBytes) {
      // edgeAgent answers an over-size request as a bad request (ArgumentException -> 400).
      throw new MethodError(
        400,
        `GetModuleLogs: the logs are ${size} bytes, over the ${this.maxLogsPayloadBytes}-byte limit of a direct method; narrow them with filter.tail, since, until, regex or loglevel, or use "encoding": "gzip"`,
      );
    }
    return { status: 200, payload: result };
  }

  /**
   * Registers the handlers on an open ModuleClient. The canonical names are registered with
   * `onMethod` (which subscribes to methods); calls are then taken from the MQTT transport's
   * `method_<name>` events so that any spelling of a name, unknown methods and non-JSON payloads
   * are answered too (`onMethod` matches names exactly and answers bad JSON with a bare string).
   * That uses the SDK's internal `_transport`; without it only the exact canonical names work.
   */
  attach(client: ModuleClient): void {
    this.support.useTwinOf(client);
    const transport = (client as unknown as { _transport?: EventEmitter & DeviceTransport })._transport;
    if (transport && typeof transport.emit === 'function') {
      const emit = transport.emit.bind(transport);
      transport.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
        if (typeof event === 'string' && event.startsWith('method_')) {
          void this.answerRaw(transport, args[0] as MethodMessage);
          return true;
        }
        return emit(event, ...args);
      }) as typeof transport.emit;
    } else {
      this.logger.warn({}, 'the device SDK has no _transport: direct method names are matched exactly');
    }
    for (const name of METHOD_NAMES) {
      client.onMethod(name, (request, response) => {
        if (request && response) void this.handle(request.methodName, request.payload).then((r) => this.send(response, r));
      });
    }
  }

  private async answerRaw(transport: DeviceTransport, message: MethodMessage): Promise<void> {
    const response = new DeviceMethodResponseClass(message.requestId, transport);
    const name = message.methods?.methodName ?? '';
    const body = message.body ? Buffer.from(message.body).toString('utf8') : '';
    let payload: unknown;
    if (body.trim() !== '') {
      try {
        payload = JSON.parse(body);
      } catch {
        await this.send(response, { status: 400, payload: { message: `${name}: the payload is not valid JSON` } });
        return;
      }
    }
    await this.send(response, await this.handle(name, payload));
  }

  private async send(response: DeviceMethodResponse, answer: MethodResponse): Promise<void> {
    try {
      await response.send(answer.status, answer.payload ?? undefined);
    } catch (e) {
      this.logger.warn({ status: answer.status }, `sending a direct method response failed: ${e instanceof Error ? e.name : 'error'}`);
    }
  }
}
