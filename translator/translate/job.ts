/**
 * Rule: a module with restartPolicy `on-failure` becomes a Job whose pod restarts its container
 * on a non-zero exit (restartPolicy OnFailure) without a lifetime cap (backoffLimit 2147483647;
 * Kubernetes' default of 6 would fail the module for good after its 6th crash in its whole
 * life), and stays stopped after exit 0 (the Job completes). The kubelet's back-off (10 s
 * doubling to 5 min, reset after 10 min of running) is edgeAgent's (Azure/iotedge
 * edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/RestartPolicyManager.cs: 10 s x 2^n,
 * at most 300 s; its restart count resets after a module has run 10 minutes). `never` becomes a
 * Job that runs once (restartPolicy Never, backoffLimit 0). A stopped module has no Job at all.
 */
import type { KubeObject } from './types.js';
import type { WorkloadInput } from './deployment.js';

/** Retries of an `on-failure` Job before it is marked failed: the largest backoffLimit, i.e. no cap. */
export const ON_FAILURE_BACKOFF_LIMIT = 2147483647;

export function buildJob(input: WorkloadInput, restartPolicy: 'on-failure' | 'never'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: input.module.metadata,
    spec: {
      backoffLimit: restartPolicy === 'never' ? 0 : ON_FAILURE_BACKOFF_LIMIT,
      template: input.template,
    },
  };
}
