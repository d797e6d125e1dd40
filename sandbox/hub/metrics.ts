/**
 * System metrics of configurations, computed as IoT Hub computes them for IoT Edge deployments
 * (learn.microsoft.com/azure/iot-edge/how-to-monitor-iot-edge-deployments):
 * - `targetedCount`: IoT Edge devices whose twin matches the target condition;
 * - `appliedCount`: targeted devices where the deployment applies, i.e. no base deployment of
 *   higher priority replaces it (layered deployments apply to every device they target);
 * - `reportedSuccessfulCount`: applied devices whose `$edgeAgent` has reported the current
 *   desired properties (`properties.reported.lastDesiredVersion` equals `properties.desired.$version`)
 *   with `lastDesiredStatus.code` 200;
 * - `reportedFailedCount`: the same, with another `lastDesiredStatus.code`.
 * A device whose agent has not caught up with the current desired version counts in neither.
 * Configurations that are not deployments (device or module content) get the first two only.
 * Pure over the registry's current state.
 */
import { applicableDeployments, isDeployment, targets, type StoredConfiguration } from './configurations.js';
import { targetView } from './deployments.js';
import { isObject, type JsonObject } from './json.js';
import { parseQuery, runQuery } from './query.js';
import type { HubRegistry, IdentityRecord } from './registry.js';

/** `systemMetrics` of a configuration as the service API returns it. */
export interface SystemMetrics {
  results: Record<string, number>;
  queries: Record<string, string>;
}

/** The agent's answer to the current desired properties: 'success', 'failure' or undefined (not yet reported). */
export function agentOutcome(registry: HubRegistry, deviceId: string): 'success' | 'failure' | undefined {
  const agent = registry.findIdentity(deviceId, '$edgeAgent');
  if (!agent) return undefined;
  const reported = agent.twin.reported;
  if (reported.lastDesiredVersion !== agent.twin.desiredVersion) return undefined;
  const status = reported.lastDesiredStatus;
  if (!isObject(status) || typeof status.code !== 'number') return undefined;
  return status.code === 200 ? 'success' : 'failure';
}

function queries(config: StoredConfiguration, deployment: boolean): Record<string, string> {
  const applied = `SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[${config.id}]].status = 'Applied'`;
  const caughtUp = 'properties.desired.$version = properties.reported.lastDesiredVersion';
  return {
    targetedCount: `SELECT deviceId FROM devices WHERE ${deployment ? 'capabilities.iotEdge = true AND ' : ''}(${config.targetCondition})`,
    appliedCount: deployment ? applied : `SELECT deviceId FROM devices WHERE configurations.[[${config.id}]].status = 'Applied'`,
    ...(deployment
      ? {
          reportedSuccessfulCount: `${applied} AND ${caughtUp} AND properties.reported.lastDesiredStatus.code = 200`,
          reportedFailedCount: `${applied} AND ${caughtUp} AND properties.reported.lastDesiredStatus.code != 200`,
        }
      : {}),
  };
}

/** Computes the system metrics of one configuration. */
export function systemMetrics(config: StoredConfiguration, registry: HubRegistry): SystemMetrics {
  const deployment = isDeployment(config);
  const all = registry.listConfigurations();
  const candidates = registry.listDevices().filter((d) => !deployment || d.iotEdge === true);
  const targeted = candidates.filter((d) => targets(config, targetView(d)));
  const applied: IdentityRecord[] = deployment ? targeted.filter((d) => applicableDeployments(all, targetView(d)).some((c) => c.id === config.id)) : targeted;
  const results: Record<string, number> = { targetedCount: targeted.length, appliedCount: applied.length };
  if (deployment) {
    const outcomes = applied.map((d) => agentOutcome(registry, d.deviceId));
    results.reportedSuccessfulCount = outcomes.filter((o) => o === 'success').length;
    results.reportedFailedCount = outcomes.filter((o) => o === 'failure').length;
  }
  return { results, queries: queries(config, deployment) };
}

/**
 * Custom metrics of a configuration (`metrics.queries`): each query that the query endpoint
 * understands (query.ts) counts the twins it selects; a query it does not understand (such as
 * one with `configurations.[[id]]`) gets no result.
 */
export function customMetrics(queries: Record<string, string>, twins: () => readonly JsonObject[]): Record<string, number> {
  const results: Record<string, number> = {};
  let all: readonly JsonObject[] | undefined;
  for (const [name, text] of Object.entries(queries)) {
    let count: number;
    try {
      count = runQuery(parseQuery(String(text)), (all ??= twins())).length;
    } catch {
      continue;
    }
    results[name] = count;
  }
  return results;
}
