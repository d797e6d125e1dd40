/**
 * The `$edgeAgent` reported properties, as edgeAgent writes them (Agent.IoTHub AgentState and
 * the module reported shape). Field names and value spellings follow edgeAgent exactly.
 */
import type { ImagePullPolicy, ModuleStatus, RestartPolicy } from '../manifest/index.js';

/** edgeAgent's runtime status of a module. */
/** IoT Edge module runtime statuses, as `$edgeAgent` reports them. */
export const RUNTIME_STATUSES = ['running', 'backoff', 'stopped', 'failed', 'unhealthy', 'unknown'] as const;
export type RuntimeStatus = (typeof RUNTIME_STATUSES)[number];

/** edgeAgent writes `DateTime.MinValue` for a time that never happened. */
export const NEVER_UTC = '0001-01-01T00:00:00Z';

/** `settings` of a reported module: the image and the createOptions string (chunked as in the desired properties). */
export interface ReportedSettings {
  image: string;
  /** The image's digest as the container runtime reports it (the newest pod's `imageID`), else "". */
  imageHash?: string;
  /** First (or only) 512-character chunk of the createOptions JSON. */
  createOptions?: string;
  /** Further chunks: `createOptions01`, `createOptions02`, ... */
  [chunk: `createOptions${string}`]: string | undefined;
}

/** One module under `modules` (or `systemModules.edgeHub`, which has no `version`). */
export interface ReportedModule {
  runtimeStatus: RuntimeStatus;
  /** The Kubernetes reason and message behind the status. */
  statusDescription: string;
  exitCode: number;
  lastStartTimeUtc: string;
  lastExitTimeUtc: string;
  /** Restarts of the module's container in its newest pod (`containerStatuses[].restartCount`). */
  restartCount: number;
  lastRestartTimeUtc: string;
  type: 'docker';
  status: ModuleStatus;
  restartPolicy: RestartPolicy;
  imagePullPolicy: ImagePullPolicy;
  /** Absent when it is the default (4294967295), as edgeAgent writes it. */
  startupOrder?: number;
  version?: string;
  env: Record<string, { value: string }>;
  settings: ReportedSettings;
  /**
   * Not in edgeAgent's schema: the address a LoadBalancer Service of the module got
   * (`ip[:port]` or host name). Also appended to {@link statusDescription}.
   */
  externalAddress?: string;
}

/**
 * `systemModules.edgeAgent`: the bridge itself, with the fields edgeAgent writes for itself
 * (EdgeAgentDockerRuntimeModule: no restartCount, lastRestartTimeUtc, status, restartPolicy or version).
 */
export interface ReportedAgent {
  runtimeStatus: 'running';
  statusDescription: string;
  exitCode: number;
  lastStartTimeUtc: string;
  lastExitTimeUtc: string;
  type: 'docker';
  imagePullPolicy: ImagePullPolicy;
  startupOrder: number;
  settings: ReportedSettings;
  env: Record<string, { value: string }>;
}

/** `lastDesiredStatus`: 200 ok, 400 format error, 406 not connected, 412 schema version, 417 empty, 500 failed. */
export interface DesiredStatus {
  code: number;
  description: string;
}

/** `version` of the agent: our package version, build and commit. */
export interface AgentVersion {
  version: string;
  build: string;
  commit: string;
}

/** `runtime.platform`. */
export interface Platform {
  os: string;
  architecture: string;
  version: string;
}

/** `runtime.settings`: the desired runtime settings, without registry credentials (never reported here). */
export interface RuntimeSettings {
  minDockerVersion: string;
  loggingOptions: string;
}

/** The whole reported document. */
export interface ReportedDocument {
  schemaVersion: '1.0';
  version: AgentVersion;
  lastDesiredVersion: number;
  lastDesiredStatus: DesiredStatus;
  runtime: { type: 'docker'; settings: RuntimeSettings; platform: Platform };
  systemModules: { edgeAgent: ReportedAgent; edgeHub?: ReportedModule };
  modules: Record<string, ReportedModule>;
}
