/**
 * The neutral deployment model: what a validated IoT Edge manifest means, with no Kubernetes
 * types. `manifest/` produces it; `translate/` consumes it.
 */

export type ModuleStatus = 'running' | 'stopped';
export type RestartPolicy = 'never' | 'on-failure' | 'on-unhealthy' | 'always';
export type ImagePullPolicy = 'on-create' | 'never';

/** startupOrder when the manifest does not give one (IoT Edge: start last). */
export const DEFAULT_STARTUP_ORDER = 4294967295;

/** A parsed Docker `createOptions` object (Docker Engine API ContainerCreate body). */
export type CreateOptions = Record<string, unknown>;

export interface EnvVar {
  name: string;
  value: string;
}

export interface ModuleModel {
  /** The module id exactly as in the manifest (`SimulatedTemperatureSensor`, `edgeHub`). */
  name: string;
  /** JSON pointer to the module's object in the input file. */
  pointer: string;
  /** True for `systemModules.edgeHub` / `systemModules.edgeAgent`. */
  system: boolean;
  type: 'docker';
  /** The image reference, with `:latest` added when it had no tag or digest. */
  image: string;
  /** Desired status; system modules are always `running`. */
  status: ModuleStatus;
  restartPolicy: RestartPolicy;
  imagePullPolicy: ImagePullPolicy;
  startupOrder: number;
  version?: string;
  /** The module's `env` section in manifest order, values stringified. */
  env: EnvVar[];
  /** Reassembled and parsed createOptions (`{}` when absent, empty or `"null"`). */
  createOptions: CreateOptions;
  /**
   * JSON pointer to the createOptions in the input (`.../settings/createOptions`). Pointers to
   * keys inside createOptions append to it (`.../settings/createOptions/HostConfig/Binds`),
   * even when the options were a JSON string.
   */
  createOptionsPointer: string;
  /**
   * Length (UTF-16 units) of the JSON text the createOptions were parsed from, chunks joined;
   * absent when they were an object (a deployment template). It bounds the options' size
   * without a walk of them (see translate/limits.ts).
   */
  createOptionsLength?: number;
}

export interface RegistryCredential {
  /** The key under `registryCredentials`. */
  name: string;
  address: string;
  username: string;
  /** Secret: never log it or put it in a diagnostic. */
  password: string;
  pointer: string;
}

export interface Route {
  name: string;
  route: string;
  priority?: number;
  timeToLiveSecs?: number;
}

export interface EdgeHubModel {
  schemaVersion: string;
  routes: Route[];
  storeAndForwardConfiguration?: { timeToLiveSecs?: number };
  /** Anything else in the `$edgeHub` desired properties (e.g. mqttBroker), kept verbatim. */
  extra: Record<string, unknown>;
}

export interface DeploymentModel {
  /** `$edgeAgent` schemaVersion ("1.0" or "1.1"). */
  schemaVersion: string;
  runtime: {
    type: 'docker';
    minDockerVersion?: string;
    loggingOptions?: string;
  };
  registryCredentials: RegistryCredential[];
  /** edgeAgent: described, never deployed (the bridge is the agent). */
  edgeAgent: ModuleModel;
  edgeHub?: ModuleModel;
  /** User modules, sorted by name. */
  modules: ModuleModel[];
  /** `$edgeHub` desired properties, when the manifest has them. */
  edgeHubDesired?: EdgeHubModel;
  /** Desired properties of other module twins (deployment schema 2.0), by module name. */
  moduleTwins: Record<string, Record<string, unknown>>;
}
