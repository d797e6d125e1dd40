/**
 * The bridge itself as `list` shows it, in the row `iotedge list` gives edgeAgent: running (or
 * not), since when, and CONFIG the image the deployment names for edgeAgent
 * (`systemModules.edgeAgent`). Remotely it is the `$edgeAgent` reported `systemModules.edgeAgent`
 * (the bridge reports itself as edgeAgent); locally it is read from the bridge's pod (the
 * Deployment `iotedge-k8s install` makes), which keeps the restart and backoff detail, and when
 * there is none (a bridge outside the cluster: `run --sandbox`, a laptop) from the Lease
 * `iotedge-k8s` the bridge keeps renewed (translator/leader: its heartbeat, or the elector's
 * renewals), since the start time it writes there. Pure.
 */
import { conditionTrue } from '../kinds/index.js';
import { LEASE_NAME, leaseLiveness, type StoredLease } from '../leader/index.js';
import { NEVER_UTC, newestPod, type PodJson, type ReportedAgent, type ReportedModule } from '../status/index.js';

/** The fields of a module `list` shows (edgeAgent reports no restartCount). */
export type ListedModule = Pick<ReportedModule, 'runtimeStatus' | 'statusDescription' | 'exitCode' | 'lastStartTimeUtc' | 'lastExitTimeUtc'> & {
  restartCount?: number;
  settings?: { image?: string };
};

/** Waiting reasons of a container that cannot start and is retried (as the module statuses read them). */
const BACKOFF_REASONS = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

const time = (t: unknown): string => (typeof t === 'string' && t !== '' ? t : t instanceof Date ? t.toISOString().replace(/\.\d{3}Z$/, 'Z') : NEVER_UTC);

const baseOf = (image: string) => ({ exitCode: 0, lastStartTimeUtc: NEVER_UTC, lastExitTimeUtc: NEVER_UTC, restartCount: 0, settings: { image } });

/** The bridge's pods that are not being deleted: when there is one, {@link agentFromPods} tells; else {@link agentFromLease}. */
export function liveBridgePods(pods: readonly PodJson[]): PodJson[] {
  return pods.filter((p) => !p.metadata?.deletionTimestamp);
}

/** The bridge's pod that tells: with leader election several replicas run, and the ready one leads; else the newest live one. */
export function bridgePod(pods: readonly PodJson[]): PodJson | undefined {
  const live = liveBridgePods(pods);
  const ready = live.filter((p) => conditionTrue(p.status?.conditions, 'Ready'));
  return newestPod(ready.length > 0 ? ready : live);
}

/**
 * edgeAgent as the bridge's pods show it; `image` is the deployment's edgeAgent image. Its
 * restartCount is 0, as remotely: edgeAgent reports none for itself.
 */
export function agentFromPods(pods: readonly PodJson[], image: string, namespace: string): ListedModule {
  const pod = bridgePod(pods);
  const base = baseOf(image);
  if (!pod) return { ...base, runtimeStatus: 'unknown', statusDescription: `no bridge pod in namespace '${namespace}'` };
  const container = pod.status?.containerStatuses?.[0];
  const last = container?.lastState?.terminated;
  const ended = { exitCode: last?.exitCode ?? 0, lastExitTimeUtc: time(last?.finishedAt) };
  const state = container?.state;
  if (state?.running) return { ...base, ...ended, runtimeStatus: 'running', statusDescription: 'running', lastStartTimeUtc: time(state.running.startedAt) };
  if (state?.terminated) {
    const t = state.terminated;
    return { ...base, runtimeStatus: t.exitCode === 0 ? 'stopped' : 'failed', statusDescription: t.reason ?? 'terminated', exitCode: t.exitCode ?? 0, lastStartTimeUtc: time(t.startedAt), lastExitTimeUtc: time(t.finishedAt) };
  }
  const waiting = state?.waiting;
  if (waiting?.reason && BACKOFF_REASONS.has(waiting.reason)) return { ...base, ...ended, runtimeStatus: 'backoff', statusDescription: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` };
  return { ...base, ...ended, runtimeStatus: 'unknown', statusDescription: waiting?.reason ?? `pod ${pod.status?.phase ?? 'Pending'}` };
}

/**
 * edgeAgent as the Lease `iotedge-k8s` shows it, read at `readAt` (no bridge pod): fresh is
 * running since the bridge's start time; released is stopped when it released it; expired is
 * unknown, saying since when no heartbeat came; no Lease is unknown.
 */
export function agentFromLease(lease: StoredLease | undefined, image: string, namespace: string, readAt: Date): ListedModule {
  const base = baseOf(image);
  if (!lease) return { ...base, runtimeStatus: 'unknown', statusDescription: `no bridge pod and no Lease ${LEASE_NAME} in namespace '${namespace}': no bridge has run for this device here` };
  const seen = leaseLiveness(lease, readAt);
  const started = seen.startedAt ? { lastStartTimeUtc: seen.startedAt } : {};
  switch (seen.state) {
    case 'alive':
      return { ...base, ...started, runtimeStatus: 'running', statusDescription: 'running' };
    case 'released':
      return { ...base, ...started, ...(seen.releasedAt ? { lastExitTimeUtc: seen.releasedAt } : {}), runtimeStatus: 'stopped', statusDescription: `stopped: the bridge released the Lease ${LEASE_NAME}${seen.releasedAt ? ` at ${seen.releasedAt}` : ''}` };
    case 'expired':
      return {
        ...base,
        ...started,
        runtimeStatus: 'unknown',
        statusDescription: seen.renewedAt
          ? `no heartbeat from ${seen.holder} since ${seen.renewedAt} (the Lease ${LEASE_NAME} expired at ${seen.expiresAt}): the bridge stopped without releasing it or cannot reach the cluster`
          : `the Lease ${LEASE_NAME} held by ${seen.holder} has no renew time`,
      };
  }
}

/**
 * edgeAgent as the reported properties show it. `connectionState` is the `$edgeAgent` module
 * twin's: when IoT Hub says the bridge is `Disconnected`, its last report (say `running`, up
 * since long ago) no longer holds, so the row is `unknown` and says so.
 */
export function agentFromReported(agent: ReportedAgent | undefined, connectionState?: string): ListedModule {
  if (!agent) return { runtimeStatus: 'unknown', statusDescription: 'the bridge has not reported edgeAgent yet', exitCode: 0, lastStartTimeUtc: NEVER_UTC, lastExitTimeUtc: NEVER_UTC, restartCount: 0 };
  if (connectionState === 'Disconnected') {
    return {
      runtimeStatus: 'unknown',
      statusDescription: `not connected to IoT Hub (it last reported '${agent.runtimeStatus}'; the other modules are shown as last reported)`,
      exitCode: agent.exitCode,
      lastStartTimeUtc: agent.lastStartTimeUtc,
      lastExitTimeUtc: agent.lastExitTimeUtc,
      restartCount: 0,
      ...(agent.settings?.image ? { settings: { image: agent.settings.image } } : {}),
    };
  }
  return {
    runtimeStatus: agent.runtimeStatus,
    statusDescription: agent.statusDescription,
    exitCode: agent.exitCode,
    lastStartTimeUtc: agent.lastStartTimeUtc,
    lastExitTimeUtc: agent.lastExitTimeUtc,
    restartCount: 0,
    ...(agent.settings?.image ? { settings: { image: agent.settings.image } } : {}),
  };
}
