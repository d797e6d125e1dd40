/**
 * Rule: a module with restartPolicy `always` or `on-unhealthy` becomes a Deployment with one
 * replica (zero when its desired status is `stopped`). Strategy: k8s-experimental.strategy when
 * given; otherwise Recreate when a rolling update would deadlock (a ReadWriteOnce claim, host
 * networking, or GPUs held by the old pod), else RollingUpdate.
 */
import type { KubeObject } from './types.js';
import type { ModuleSpec, MountSpec } from './spec.js';
import type { ModuleLabels } from './labels.js';
import { usesGpu } from './resources.js';

/** True when the old pod holds something the new pod needs, so they cannot run side by side. */
export function needsRecreate(spec: ModuleSpec): boolean {
  // Named functions and `?.`: no closures or empty list made for every module.
  const claims = spec.mounts.some(isClaimMount);
  const experimentalClaims = spec.experimental.volumes?.some(isClaimVolume) === true;
  return claims || experimentalClaims || spec.pod.hostNetwork === true || usesGpu(spec.resources);
}

const isClaimMount = (m: MountSpec): boolean => m.source.kind === 'claim';
const isClaimVolume = (v: { volume: Record<string, unknown> }): boolean => v.volume.persistentVolumeClaim !== undefined;

export interface WorkloadInput {
  spec: ModuleSpec;
  /** The module's metadata and selector, shared with its other objects. */
  module: ModuleLabels;
  template: Record<string, unknown>;
}

export function buildDeployment(input: WorkloadInput, stopped: boolean): KubeObject {
  const strategy = input.spec.experimental.strategy ?? { type: needsRecreate(input.spec) ? 'Recreate' : 'RollingUpdate' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: input.module.metadata,
    spec: {
      replicas: stopped ? 0 : 1,
      selector: { matchLabels: input.module.selector },
      strategy,
      template: input.template,
    },
  };
}
