/**
 * Rule: every deployed module gets its own ServiceAccount, named after it, with
 * automountServiceAccountToken off: modules do not talk to the Kubernetes API.
 */
import type { KubeObject } from './types.js';
import type { ModuleLabels } from './labels.js';

/** The ServiceAccount of a module (named after it: its metadata is the module's own, shared with its workload). */
export function buildServiceAccount(module: ModuleLabels): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: module.metadata,
    automountServiceAccountToken: false,
  };
}
