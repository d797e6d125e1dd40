/**
 * When has a module started? Used between startupOrder groups. Pure predicates over what
 * the API returns.
 * - Deployment: the controller has seen the applied generation and every replica of the new
 *   revision is updated and available (its pods run with containers started). 0 replicas
 *   (a stopped module) counts as started.
 * - Job: one of its pods runs with every container started, or has already finished.
 */

interface ContainerStatusLike {
  started?: boolean;
  state?: { running?: unknown };
}

/** The parts of a Pod the predicate reads. */
export interface PodLike {
  status?: { phase?: string; containerStatuses?: ContainerStatusLike[] };
}

/** The parts of a Deployment the predicate reads. */
export interface DeploymentLike {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; unavailableReplicas?: number };
}

/** A pod that runs with all containers started, or that already ran to an end. */
export function podStarted(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  if (phase !== 'Running') return false;
  const containers = pod.status?.containerStatuses ?? [];
  return containers.length > 0 && containers.every((c) => c.started === true || c.state?.running !== undefined);
}

/** A Deployment whose applied generation is rolled out and available. */
export function deploymentStarted(deployment: DeploymentLike, appliedGeneration: number | undefined): boolean {
  const replicas = deployment.spec?.replicas ?? 1;
  if (replicas === 0) return true;
  const status = deployment.status ?? {};
  const generation = appliedGeneration ?? deployment.metadata?.generation ?? 0;
  return (
    (status.observedGeneration ?? 0) >= generation &&
    (status.updatedReplicas ?? 0) >= replicas &&
    (status.availableReplicas ?? 0) >= replicas &&
    (status.unavailableReplicas ?? 0) === 0
  );
}
