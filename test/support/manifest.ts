/**
 * The one builder of test deployment manifests: a valid `{modulesContent}` document (schema
 * 1.1) around the modules a test names, with the system modules filled in. Tests change the
 * parts they are about and leave the skeleton here.
 */

/** Test documents are mutated freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = Record<string, any>;

export const EDGE_AGENT_IMAGE = 'mcr.microsoft.com/azureiotedge-agent:1.5';
export const EDGE_HUB_IMAGE = 'mcr.microsoft.com/azureiotedge-hub:1.5';

/** A running docker module with empty createOptions; `extra` replaces or adds members. */
export function dockerModule(image: string, extra: Doc = {}): Doc {
  return { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image, createOptions: '{}' }, ...extra };
}

export interface ManifestParts {
  /** `$edgeAgent` modules by name. @default {} */
  modules?: Doc;
  /** The edgeHub system module. @default dockerModule(EDGE_HUB_IMAGE) */
  edgeHub?: Doc;
  /** Members added to the edgeAgent system module (e.g. `env`). */
  edgeAgent?: Doc;
  /** `runtime.settings`. @default {} */
  runtimeSettings?: Doc;
  /** `$edgeHub` desired properties: routes, or `false` for a manifest without `$edgeHub`. @default { routes: {} } */
  edgeHubDesired?: false | { routes?: Doc };
}

/** `$edgeAgent` desired properties. */
export function agentDesired(parts: ManifestParts = {}): Doc {
  return {
    schemaVersion: '1.1',
    runtime: { type: 'docker', settings: parts.runtimeSettings ?? {} },
    systemModules: {
      edgeAgent: { type: 'docker', settings: { image: EDGE_AGENT_IMAGE, createOptions: '{}' }, ...parts.edgeAgent },
      edgeHub: parts.edgeHub ?? dockerModule(EDGE_HUB_IMAGE),
    },
    modules: parts.modules ?? {},
  };
}

/** `$edgeHub` desired properties. */
export function hubDesired(routes: Doc = {}): Doc {
  return { schemaVersion: '1.1', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } };
}

/** A `{modulesContent}` manifest around given desired properties (`hub` undefined: no `$edgeHub`). */
export function wrapDesired(agent: unknown, hub?: unknown): Doc {
  return { modulesContent: { $edgeAgent: { 'properties.desired': agent }, ...(hub === undefined ? {} : { $edgeHub: { 'properties.desired': hub } }) } };
}

/** A valid deployment manifest around `parts`. */
export function deploymentManifest(parts: ManifestParts = {}): Doc {
  const hub = parts.edgeHubDesired === false ? undefined : hubDesired(parts.edgeHubDesired?.routes);
  return wrapDesired(agentDesired(parts), hub);
}
