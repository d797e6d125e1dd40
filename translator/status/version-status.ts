/**
 * `lastDesiredStatus` of an applied deployment, as edgeAgent decides it (Azure/iotedge
 * edge-agent `Agent.Core/Agent.cs` ReconcileAsync, `planrunner/OrdererdRetryPlanRunner.cs`,
 * `DeploymentStatusCode.cs`): edgeAgent reports a version 200 once its plan ran, that is once
 * every module of it was created (image pulled, container created); a command that fails (an
 * image that cannot be pulled, a container that cannot be created) fails the plan, and the
 * version is reported 500 (`DeploymentStatusCode.Failed`) with the failure's message.
 *
 * Here, per module whose desired status is `running` (pure, from the observed objects), with the
 * kind registry's rules of its workload's kind (translator/kinds: this file names no kind):
 * - created: its newest pod of the current template has a container that is running, has
 *   terminated or has restarted (a crash after the start is the module's own business), or a
 *   workload that runs to completion has ended (`completion`);
 * - failed: the workload cannot create pods (its `rollout` rule, e.g. a Deployment's
 *   `ReplicaFailure`), the pod cannot be scheduled (`PodScheduled` False), or the container
 *   waits with a pull or create error (`ErrImagePull`, `ImagePullBackOff`, `InvalidImageName`,
 *   `CreateContainerConfigError`, `CreateContainerError`, ...);
 * - pending: anything else (no workload or pod of the current template yet, pulling, creating).
 * The version is failed when a module failed, created when all were, else pending.
 */
import type { DeploymentModel, ModuleModel } from '../manifest/index.js';
import { WORKLOAD_KINDS, reasonText } from '../kinds/index.js';
import type { PodJson } from './kube-json.js';
import { objectsByModule, workloadOf, type ModuleObjects, type ObservedObjects } from './observed.js';
import type { DesiredStatus } from './reported-types.js';
import { newestPod } from './runtime-status.js';

/** edgeAgent's DeploymentStatusCode.Failed. */
export const DEPLOYMENT_FAILED = 500;

/** Waiting reasons that mean the container could not be created. */
const CREATE_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'RegistryUnavailable',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** Where an applied version stands. */
export type VersionProgress =
  | { kind: 'created' }
  | { kind: 'pending'; reason: string }
  | { kind: 'failed'; status: DesiredStatus };

type ModuleProgress = { kind: 'created' } | { kind: 'pending'; reason: string } | { kind: 'failed'; reason: string };

function podProgress(pod: PodJson | undefined): ModuleProgress {
  if (!pod) return { kind: 'pending', reason: 'no pod yet' };
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return { kind: 'failed', reason: `pod cannot be scheduled (${reasonText(scheduled.reason, scheduled.message)})` };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { kind: 'created' };
  const wanted = pod.spec?.containers?.[0]?.name;
  const statuses = pod.status?.containerStatuses ?? [];
  const container = statuses.find((s) => s.name === wanted) ?? statuses[0];
  if (!container) return { kind: 'pending', reason: 'pod not started yet' };
  const state = container.state ?? {};
  if (state.running || state.terminated || (container.restartCount ?? 0) > 0 || container.lastState?.terminated) return { kind: 'created' };
  const waiting = state.waiting?.reason ?? '';
  if (CREATE_FAILURES.has(waiting)) return { kind: 'failed', reason: reasonText(waiting, state.waiting?.message) };
  return { kind: 'pending', reason: waiting || 'container not started yet' };
}

/**
 * A module's progress from its workload, judged by the kind registry's rules of that workload's
 * kind (the highest status priority first, as during a kind change): ended, its rollout, else
 * its newest live pod of its own.
 */
function moduleProgress(module: ModuleModel, objects: ModuleObjects): ModuleProgress {
  const live = workloadOf(objects, module.name);
  const rules = live && WORKLOAD_KINDS.find((k) => k.kind === live.kind)?.workload;
  if (!live || !rules) return { kind: 'pending', reason: 'no workload yet' };
  if (rules.completion?.(live) !== undefined) return { kind: 'created' };
  const rollout = rules.rollout?.(live);
  if (rollout) return rollout;
  const pods = (objects.pods.get(module.name) ?? []).filter((p) => !p.metadata?.deletionTimestamp);
  return podProgress(newestPod(pods.filter((pod) => rules.ownsPod(live, pod))));
}

/** Where the applied `model` stands in the cluster, and the 500 status naming each failed module. Pure. */
export function versionProgress(model: DeploymentModel, observed: ObservedObjects): VersionProgress {
  const modules = [...(model.edgeHub ? [model.edgeHub] : []), ...model.modules].filter((m) => m.status === 'running');
  const objects = objectsByModule(observed);
  const failed: string[] = [];
  let pending: string | undefined;
  for (const module of modules) {
    const progress = moduleProgress(module, objects);
    if (progress.kind === 'failed') failed.push(`module '${module.name}' could not be created: ${progress.reason}`);
    else if (progress.kind === 'pending') pending ??= `module '${module.name}': ${progress.reason}`;
  }
  if (failed.length > 0) {
    const description = failed.join('; ');
    return { kind: 'failed', status: { code: DEPLOYMENT_FAILED, description: description.length > 1000 ? `${description.slice(0, 997)}...` : description } };
  }
  return pending ? { kind: 'pending', reason: pending } : { kind: 'created' };
}
