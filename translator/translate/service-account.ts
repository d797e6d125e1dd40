/**
 * Rule: every deployed module gets its own ServiceAccount, named after it, with
 * automountServiceAccountToken off: modules do not talk to the Kubernetes API.
 */
import type { KubeObject } from './types.js';
import { moduleMetadata, type DeviceLabels } from './labels.js';

export function buildServiceAccount(name: string, originalModuleId: string, device: DeviceLabels, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: moduleMetadata(device, namespace, name, originalModuleId),
    automountServiceAccountToken: false,
  };
}
