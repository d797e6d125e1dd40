/**
 * Rule: a module with restartPolicy `on-failure` becomes a Job whose pod restarts on failure
 * (restartPolicy OnFailure, backoffLimit 6, Kubernetes' default); `never` becomes a Job that
 * runs once (restartPolicy Never, backoffLimit 0). A stopped module has no Job at all.
 */
import type { KubeObject } from './types.js';
import { moduleMetadata } from './labels.js';
import type { WorkloadInput } from './deployment.js';

/** Retries of an `on-failure` Job before it is marked failed. */
export const ON_FAILURE_BACKOFF_LIMIT = 6;

export function buildJob(input: WorkloadInput, restartPolicy: 'on-failure' | 'never'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: moduleMetadata(input.device, input.namespace, input.name, input.originalModuleId),
    spec: {
      backoffLimit: restartPolicy === 'never' ? 0 : ON_FAILURE_BACKOFF_LIMIT,
      template: input.template,
    },
  };
}
