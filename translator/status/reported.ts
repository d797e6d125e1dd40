/**
 * The `$edgeAgent` reported document, assembled as edgeAgent writes it: schemaVersion "1.0",
 * the agent's version, the last desired version and status, the runtime (type docker, with the
 * platform the bridge runs on), systemModules (edgeAgent is the bridge itself and always
 * `running`; edgeHub as observed from its pods) and the user modules.
 */
import type { DeploymentModel } from '../manifest/index.js';
import { reportedEnv, reportedSettings } from './desired-fields.js';
import { NEVER_UTC, type AgentVersion, type DesiredStatus, type Platform, type ReportedAgent, type ReportedDocument, type ReportedModule } from './reported-types.js';

/** Input of {@link reportedDocument}. */
export interface ReportedInput {
  /** The desired deployment being run, when one is known. */
  model?: DeploymentModel;
  /**
   * Observed modules by module id (as in the manifest). The entry of the edgeHub module
   * (`model.edgeHub.name`, else `edgeHub`) goes to `systemModules.edgeHub`.
   */
  modules: ReadonlyMap<string, ReportedModule>;
  lastDesiredVersion: number;
  lastDesiredStatus: DesiredStatus;
  /** The bridge's version, reported as edgeAgent's `version`. */
  bridgeVersion: AgentVersion;
  platform: Platform;
  /** When the bridge started (edgeAgent's `lastStartTimeUtc`). @default NEVER_UTC */
  startedAt?: string;
  /**
   * What the bridge says about itself, appended to edgeAgent's `statusDescription` ("running; ..."),
   * e.g. that modules get no IoT Hub credentials.
   */
  agentNote?: string;
  /** Module id -> a problem the bridge has with the module (its identity), appended to its `statusDescription`. */
  moduleNotes?: ReadonlyMap<string, string>;
}

/** The image edgeAgent reports for itself when no desired deployment names one. */
export const BRIDGE_IMAGE = 'iotedge-k8s';

function agentEntry(input: ReportedInput): ReportedAgent {
  const agent = input.model?.edgeAgent;
  return {
    runtimeStatus: 'running',
    statusDescription: input.agentNote ? `running; ${input.agentNote}` : 'running',
    exitCode: 0,
    lastStartTimeUtc: input.startedAt ?? NEVER_UTC,
    lastExitTimeUtc: NEVER_UTC,
    type: 'docker',
    imagePullPolicy: agent?.imagePullPolicy ?? 'on-create',
    startupOrder: 0,
    settings: reportedSettings(agent?.image ?? BRIDGE_IMAGE, agent?.createOptions ?? {}),
    env: reportedEnv(agent?.env ?? []),
  };
}

/** The full reported document; pure (no clock: pass `startedAt`). */
export function reportedDocument(input: ReportedInput): ReportedDocument {
  const edgeHubId = input.model?.edgeHub?.name ?? 'edgeHub';
  const modules: Record<string, ReportedModule> = {};
  let edgeHub: ReportedModule | undefined;
  for (const id of [...input.modules.keys()].sort()) {
    const observed = input.modules.get(id)!;
    const note = input.moduleNotes?.get(id);
    const entry = note ? { ...observed, statusDescription: `${observed.statusDescription}; ${note}` } : observed;
    if (id === edgeHubId) {
      // edgeAgent writes no version for edgeHub (EdgeHubDockerRuntimeModule).
      const { version: _version, ...hub } = entry;
      edgeHub = hub;
    }
    else modules[id] = entry;
  }
  return {
    schemaVersion: '1.0',
    version: { ...input.bridgeVersion },
    lastDesiredVersion: input.lastDesiredVersion,
    lastDesiredStatus: { ...input.lastDesiredStatus },
    runtime: {
      type: 'docker',
      settings: { minDockerVersion: input.model?.runtime.minDockerVersion ?? '', loggingOptions: input.model?.runtime.loggingOptions ?? '' },
      platform: { ...input.platform },
    },
    systemModules: { edgeAgent: agentEntry(input), ...(edgeHub ? { edgeHub } : {}) },
    modules,
  };
}
