/**
 * Module runtime status: what edgeAgent would report for a module, read from the module's
 * newest pod (by creationTimestamp) and its workload.
 *
 * Mapping rule, in order:
 * - desired `stopped` -> `stopped`, whatever pods are still terminating;
 * - a Job that completed -> `stopped` (exit 0); a Job that failed -> `failed` with the exit code;
 * - no pod -> `unknown` (nothing scheduled yet, or no workload);
 * - pod phase `Succeeded` -> `stopped`, `Failed` -> `failed`, `Unknown` -> `unknown`;
 * - container waiting: a back-off or pull/create error (CrashLoopBackOff, ImagePullBackOff,
 *   ErrImagePull, CreateContainerConfigError, ...) -> `backoff` at once; ContainerCreating /
 *   PodInitializing before the first start -> `unknown`; after a start -> `backoff`;
 * - container running -> `running`, or `unhealthy` when it has a liveness or readiness probe and
 *   is not ready;
 * - container terminated -> `stopped` for exit 0, `failed` otherwise;
 * - pod pending without a container status -> `backoff` when unschedulable, else `unknown`.
 * Times come from the container's state and lastState; restartCount is the container's real count.
 */
import { workloadRules } from '../kinds/index.js';
import type { ModuleModel } from '../manifest/index.js';
import { reportedEnv, reportedSettings } from './desired-fields.js';
import { type ContainerStateJson, type ContainerStatusJson, type DeploymentJson, type JobJson, type PodJson, type ServiceJson, type Timestamp } from './kube-json.js';
import { NEVER_UTC, type ReportedModule } from './reported-types.js';

/** Input of {@link moduleRuntimeStatus}. */
export interface ModuleStatusInput {
  /** The desired module. */
  module: ModuleModel;
  /** Its Deployment or Job, when one exists. */
  workload?: DeploymentJson | JobJson;
  /** Its pods (any order; the newest wins). */
  pods: readonly PodJson[];
  /** Its Service, when it has one; a LoadBalancer Service adds the external address. */
  service?: ServiceJson;
}

/** Waiting reasons that mean the container cannot start and will be retried. */
const BACKOFF_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreStartHookError',
  'PostStartHookError',
]);

/** The observed half of a reported module (the rest copies the desired fields). */
type Observed = Pick<ReportedModule, 'runtimeStatus' | 'statusDescription' | 'exitCode' | 'lastStartTimeUtc' | 'lastExitTimeUtc' | 'restartCount' | 'lastRestartTimeUtc'>;

function millis(time: Timestamp | undefined): number {
  return time === undefined ? NaN : time instanceof Date ? time.getTime() : Date.parse(time);
}

/**
 * The newest pod by creationTimestamp (ties broken by name, so the choice is stable): the pod
 * whose state is reported, and whose log GetModuleLogs reads. Takes plain JSON or client objects.
 */
export function newestPod<P extends { metadata?: { name?: string; creationTimestamp?: Timestamp } }>(pods: readonly P[]): P | undefined {
  let best: P | undefined;
  for (const pod of pods) {
    if (!best) {
      best = pod;
      continue;
    }
    const a = millis(pod.metadata?.creationTimestamp) || 0;
    const b = millis(best.metadata?.creationTimestamp) || 0;
    if (a > b || (a === b && (pod.metadata?.name ?? '') > (best.metadata?.name ?? ''))) best = pod;
  }
  return best;
}

/** Kubernetes timestamps have second precision; edgeAgent writes ISO 8601 UTC. */
function utc(time: Timestamp | undefined): string | undefined {
  if (!time) return undefined;
  const ms = millis(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function describe(reason: string | undefined, message: string | undefined, fallback: string): string {
  const r = reason?.trim();
  const m = message?.trim();
  if (r && m) return `${r}: ${m}`;
  return r || m || fallback;
}

/** The module's container status: the one named like the pod's module container, else the first. */
function moduleContainer(pod: PodJson): ContainerStatusJson | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  const wanted = pod.spec?.containers?.[0]?.name;
  return statuses.find((s) => s.name === wanted) ?? statuses[0];
}

function hasProbe(pod: PodJson, name: string | undefined): boolean {
  const spec = pod.spec?.containers?.find((c) => c.name === name) ?? pod.spec?.containers?.[0];
  return spec !== undefined && (spec.livenessProbe !== undefined || spec.readinessProbe !== undefined);
}

/**
 * Pod template annotation RestartModule counts its restarts in (a rollout restart makes a new pod
 * whose container count starts at 0): added to the container's restartCount.
 */
export const MODULE_RESTARTS_ANNOTATION = 'net.azure-devices.edge.restarts';

function podRestarts(pod: PodJson | undefined): number {
  const n = Number(pod?.metadata?.annotations?.[MODULE_RESTARTS_ANNOTATION] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Times, exit code and restart count of a container, before the runtime status is decided. */
function timesOf(status: ContainerStatusJson | undefined, restarts = 0): Omit<Observed, 'runtimeStatus' | 'statusDescription'> {
  const state: ContainerStateJson = status?.state ?? {};
  const last = status?.lastState?.terminated;
  const terminated = state.terminated ?? last;
  const restartCount = Math.max(0, Math.trunc(status?.restartCount ?? 0)) + restarts;
  const started = utc(state.running?.startedAt ?? state.terminated?.startedAt ?? last?.startedAt);
  return {
    exitCode: terminated?.exitCode ?? 0,
    lastStartTimeUtc: started ?? NEVER_UTC,
    lastExitTimeUtc: utc(terminated?.finishedAt) ?? NEVER_UTC,
    restartCount,
    lastRestartTimeUtc: restartCount > 0 ? (started ?? NEVER_UTC) : NEVER_UTC,
  };
}

function fromContainer(pod: PodJson, status: ContainerStatusJson): Pick<Observed, 'runtimeStatus' | 'statusDescription'> {
  const state = status.state ?? {};
  if (state.waiting) {
    const reason = state.waiting.reason ?? '';
    const description = describe(reason, state.waiting.message, 'waiting');
    if (BACKOFF_REASONS.has(reason)) return { runtimeStatus: 'backoff', statusDescription: description };
    const everStarted = (status.restartCount ?? 0) > 0 || status.lastState?.terminated !== undefined;
    return { runtimeStatus: everStarted ? 'backoff' : 'unknown', statusDescription: description };
  }
  if (state.running) {
    if (status.ready === false && hasProbe(pod, status.name)) {
      return { runtimeStatus: 'unhealthy', statusDescription: describe('Unhealthy', 'the container is running but its probe fails (not ready)', '') };
    }
    return { runtimeStatus: 'running', statusDescription: 'running' };
  }
  if (state.terminated) {
    const code = state.terminated.exitCode ?? 0;
    const description = describe(state.terminated.reason, state.terminated.message, 'terminated') + ` (exit code ${code})`;
    return { runtimeStatus: code === 0 ? 'stopped' : 'failed', statusDescription: description };
  }
  return { runtimeStatus: 'unknown', statusDescription: 'the container reports no state' };
}

function fromPod(pod: PodJson): Observed {
  const container = moduleContainer(pod);
  const times = timesOf(container, podRestarts(pod));
  const phase = pod.status?.phase ?? 'Unknown';
  const podDescription = (fallback: string): string => describe(pod.status?.reason, pod.status?.message, fallback);
  if (phase === 'Succeeded') return { ...times, runtimeStatus: 'stopped', statusDescription: podDescription(`Completed (exit code ${times.exitCode})`) };
  if (phase === 'Failed') return { ...times, runtimeStatus: 'failed', statusDescription: podDescription(`Failed (exit code ${times.exitCode})`) };
  if (phase !== 'Running' && phase !== 'Pending') return { ...times, runtimeStatus: 'unknown', statusDescription: podDescription(`pod phase ${phase}`) };
  if (!container) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False') return { ...times, runtimeStatus: 'backoff', statusDescription: describe(scheduled.reason, scheduled.message, 'not scheduled') };
    return { ...times, runtimeStatus: 'unknown', statusDescription: podDescription(`pod ${phase.toLowerCase()}`) };
  }
  return { ...times, ...fromContainer(pod, container) };
}

/** A workload that runs to completion (the kind registry says which) and has ended. */
function fromCompletion(workload: DeploymentJson | JobJson, pod: PodJson | undefined): Observed | undefined {
  const completion = workloadRules(workload.kind)?.completion?.(workload);
  if (completion === undefined) return undefined;
  const times = timesOf(pod ? moduleContainer(pod) : undefined);
  if (completion === 'complete') return { ...times, exitCode: 0, runtimeStatus: 'stopped', statusDescription: `${workload.kind} completed (exit code 0)` };
  const condition = workload.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  return { ...times, runtimeStatus: 'failed', statusDescription: describe(condition?.reason, condition?.message, `${workload.kind} failed`) + ` (exit code ${times.exitCode})` };
}

/** The external address of a LoadBalancer Service: `ip:port` (first port) or the host name. */
export function externalAddressOf(service: ServiceJson | undefined): string | undefined {
  if (service?.spec?.type !== 'LoadBalancer') return undefined;
  const ingress = service.status?.loadBalancer?.ingress?.[0];
  const host = ingress?.ip ?? ingress?.hostname;
  if (!host) return undefined;
  const port = service.spec.ports?.[0]?.port;
  return port !== undefined ? `${host}:${port}` : host;
}

function observe(input: ModuleStatusInput): Observed {
  const pod = newestPod(input.pods);
  if (input.module.status === 'stopped') {
    const times = timesOf(pod ? moduleContainer(pod) : undefined);
    return { ...times, runtimeStatus: 'stopped', statusDescription: 'desired status is stopped' };
  }
  if (input.workload) {
    const ended = fromCompletion(input.workload, pod);
    if (ended) return ended;
  }
  if (pod) return fromPod(pod);
  const times = timesOf(undefined);
  const why = input.workload ? `${input.workload.kind} has no pod yet` : 'no workload deployed';
  return { ...times, runtimeStatus: 'unknown', statusDescription: why };
}

/** edgeAgent's default startupOrder (uint.MaxValue), which it leaves out of reported properties. */
const DEFAULT_STARTUP_ORDER = 4294967295;

/** The image digest the newest pod's module container runs (`imageID`), else "". */
function imageHashOf(pods: readonly PodJson[]): string {
  const pod = newestPod(pods);
  return (pod && moduleContainer(pod)?.imageID) || '';
}

/** What edgeAgent would report for `input.module`, from its newest pod and workload. Pure. */
export function moduleRuntimeStatus(input: ModuleStatusInput): ReportedModule {
  const { module } = input;
  const observed = observe(input);
  const reported: ReportedModule = {
    runtimeStatus: observed.runtimeStatus,
    statusDescription: observed.statusDescription,
    exitCode: observed.exitCode,
    lastStartTimeUtc: observed.lastStartTimeUtc,
    lastExitTimeUtc: observed.lastExitTimeUtc,
    restartCount: observed.restartCount,
    lastRestartTimeUtc: observed.lastRestartTimeUtc,
    type: module.type,
    status: module.status,
    restartPolicy: module.restartPolicy,
    imagePullPolicy: module.imagePullPolicy,
    ...(module.startupOrder !== DEFAULT_STARTUP_ORDER ? { startupOrder: module.startupOrder } : {}),
    env: reportedEnv(module.env),
    settings: { ...reportedSettings(module.image, module.createOptions), imageHash: imageHashOf(input.pods) },
  };
  if (module.version !== undefined) reported.version = module.version;
  if (input.service?.spec?.type === 'LoadBalancer') {
    const address = externalAddressOf(input.service);
    if (address) reported.externalAddress = address;
    reported.statusDescription += address ? `; external address ${address}` : '; external address pending';
  }
  return reported;
}
