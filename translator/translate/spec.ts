/**
 * ModuleSpec: what one module's createOptions mean, already in Kubernetes terms but not yet
 * assembled into objects. `create-options.ts` fills it key by key; `pod.ts`, `service.ts`,
 * `deployment.ts` and `job.ts` turn it into objects.
 */
import type { EnvVar } from '../manifest/index.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A port from `ExposedPorts`. */
export interface ExposedPort {
  port: number;
  protocol: Protocol;
}

/** A port from `HostConfig.PortBindings`: published on the Service as `hostPort`. */
export interface PortBinding {
  containerPort: number;
  protocol: Protocol;
  hostPort: number;
}

/** A port of the Service that publishes a module, in output key order. */
export interface ServicePort {
  name: string;
  port: number;
  protocol: Protocol;
  targetPort: number;
}

/** Where a mount's data lives. */
export type MountSource =
  | { kind: 'hostPath'; path: string; type: 'DirectoryOrCreate' | 'CharDevice' | 'Socket' }
  | { kind: 'claim'; source: string }
  | { kind: 'emptyDir'; medium?: 'Memory'; sizeLimit?: string };

/** One path mounted into the container. */
export interface MountSpec {
  target: string;
  readOnly: boolean;
  source: MountSource;
  /** Pointer of the createOptions entry that asked for it. */
  pointer: string;
}

/** Resource quantities by resource name (`cpu`, `memory`, `nvidia.com/gpu`). */
export type Quantities = Record<string, string | number>;

export interface Resources {
  requests: Quantities;
  limits: Quantities;
}

/** `k8s-experimental` after type checks; Kubernetes fragments are kept verbatim. */
export interface Experimental {
  nodeSelector?: Record<string, string>;
  resources?: Partial<Resources>;
  volumes?: { volume: Record<string, unknown>; volumeMounts: Record<string, unknown>[] }[];
  securityContext?: Record<string, unknown>;
  serviceOptions?: { type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; loadBalancerIP?: string };
  strategy?: Record<string, unknown>;
  tolerations?: Record<string, unknown>[];
  affinity?: Record<string, unknown>;
}

export interface ModuleSpec {
  command?: string[];
  args?: string[];
  workingDir?: string;
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  /** createOptions.Env, in order (module env is merged later, see env.ts). */
  env: EnvVar[];
  exposedPorts: ExposedPort[];
  portBindings: PortBinding[];
  mounts: MountSpec[];
  resources: Resources;
  /** Container securityContext fields (privileged, capabilities, runAsUser...). */
  securityContext: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  /** Pod-level fields (hostname, hostNetwork, dnsConfig, hostAliases, securityContext...). */
  pod: Record<string, unknown>;
  /** Pod template annotations from createOptions.Labels. */
  annotations: Record<string, string>;
  experimental: Experimental;
  /** The published Service's ports, found (and checked) once by interpretCreateOptions; empty when the module publishes none (no PortBindings, no serviceOptions). */
  servicePorts: ServicePort[];
}

export function emptySpec(): ModuleSpec {
  return {
    env: [],
    exposedPorts: [],
    portBindings: [],
    mounts: [],
    resources: { requests: {}, limits: {} },
    securityContext: {},
    pod: {},
    annotations: {},
    experimental: {},
    servicePorts: [],
  };
}
