/**
 * IoT Hub configurations used as IoT Edge deployments, and how the hub turns the ones that target a
 * device into module twin desired properties:
 * - a deployment whose `$edgeAgent` content has a full `properties.desired` is a base deployment;
 *   one that only has `properties.desired.<path>` entries is a layered deployment;
 * - of the base deployments targeting a device, the one with the highest priority applies (on a tie,
 *   the most recently created);
 * - layered deployments targeting the device are applied on top, lowest priority first, so the
 *   highest priority wins a conflicting path (ties: the most recently created applies last);
 * - `properties.desired` replaces a module's whole desired document, `properties.desired.a.b`
 *   sets the member at path `a.b` (replacing what was there).
 * Pure functions; the registry stores the configurations and applies the result.
 */
import { badRequest } from './errors.js';
import { clone, isObject, type Json, type JsonObject } from './json.js';
import { matches, parseCondition, type TargetView } from './target-condition.js';

/** A configuration as stored and returned by the service API (IoT Hub's Configuration shape). */
export interface StoredConfiguration {
  id: string;
  schemaVersion: string;
  labels: Record<string, string>;
  content: { modulesContent?: Record<string, JsonObject>; deviceContent?: JsonObject; moduleContent?: JsonObject };
  targetCondition: string;
  priority: number;
  createdTimeUtc: string;
  lastUpdatedTimeUtc: string;
  etag: string;
  metrics: { queries: Record<string, string>; results: Record<string, number> };
  /** Creation order, to break priority ties deterministically within one millisecond. */
  sequence: number;
}

/** Module twin desired documents computed for one device, by module id. */
export type ModuleDesired = Map<string, JsonObject>;

const CONFIG_ID = /^[a-z0-9\-:+%_#*?!(),=@;$']{1,128}$/;
const DESIRED = 'properties.desired';

/** Validates and normalizes the modulesContent of a configuration or applyConfigurationContent body. */
export function validateModulesContent(value: unknown): Record<string, JsonObject> {
  if (!isObject(value)) throw badRequest('content.modulesContent must be an object of module twins');
  for (const [moduleId, twin] of Object.entries(value)) {
    if (!isObject(twin)) throw badRequest(`content.modulesContent.${moduleId} must be an object`);
    for (const [key, desired] of Object.entries(twin)) {
      if (key !== DESIRED && !key.startsWith(`${DESIRED}.`)) {
        throw badRequest(`content.modulesContent.${moduleId}: '${key}' must be 'properties.desired' or start with 'properties.desired.'`);
      }
      if (key === DESIRED && !isObject(desired)) throw badRequest(`content.modulesContent.${moduleId}['properties.desired'] must be an object`);
    }
  }
  return value as Record<string, JsonObject>;
}

/** Validates a configuration body sent by the service SDK; returns its normalized fields. */
export function validateConfiguration(id: string, body: unknown): Pick<StoredConfiguration, 'id' | 'schemaVersion' | 'labels' | 'content' | 'targetCondition' | 'priority' | 'metrics'> {
  if (!CONFIG_ID.test(id)) throw badRequest(`configuration id '${id.slice(0, 140)}' must be 1-128 lowercase letters, digits or -:+%_#*?!(),=@;$'`);
  if (!isObject(body)) throw badRequest('configuration body must be a JSON object');
  if (body.id !== undefined && body.id !== id) throw badRequest(`configuration id in the body ('${String(body.id)}') differs from the URL ('${id}')`);
  const content = body.content;
  if (!isObject(content)) throw badRequest('configuration content is required');
  const normalized: StoredConfiguration['content'] = {};
  if (content.modulesContent !== undefined && content.modulesContent !== null) normalized.modulesContent = validateModulesContent(content.modulesContent);
  if (isObject(content.deviceContent)) normalized.deviceContent = content.deviceContent;
  if (isObject(content.moduleContent)) normalized.moduleContent = content.moduleContent;
  const targetCondition = typeof body.targetCondition === 'string' ? body.targetCondition : '';
  if (targetCondition !== '') parseCondition(targetCondition);
  const priority = body.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) throw badRequest('configuration priority must be a non-negative integer');
  const labels = isObject(body.labels) ? (body.labels as Record<string, string>) : {};
  const metrics = isObject(body.metrics) && isObject(body.metrics.queries) ? { queries: body.metrics.queries as Record<string, string>, results: {} } : { queries: {}, results: {} };
  return { id, schemaVersion: typeof body.schemaVersion === 'string' ? body.schemaVersion : '1.0', labels, content: normalized, targetCondition, priority, metrics };
}

/** True when the configuration is an IoT Edge deployment (has modulesContent). */
export function isDeployment(config: StoredConfiguration): boolean {
  return config.content.modulesContent !== undefined;
}

/** True for a base (non-layered) deployment: its `$edgeAgent` has a full `properties.desired`. */
export function isBaseDeployment(config: StoredConfiguration): boolean {
  const agent = config.content.modulesContent?.['$edgeAgent'];
  return agent !== undefined && isObject(agent[DESIRED]);
}

/** True when a configuration's target condition selects the device (an empty condition selects none). */
export function targets(config: StoredConfiguration, view: TargetView): boolean {
  return config.targetCondition.trim() !== '' && matches(parseCondition(config.targetCondition), view);
}

function byPriorityThenAge(a: StoredConfiguration, b: StoredConfiguration): number {
  return a.priority - b.priority || a.sequence - b.sequence;
}

/**
 * The deployments that apply to a device, in application order: the winning base deployment (if
 * any) first, then the layered ones from lowest to highest priority.
 */
export function applicableDeployments(configs: readonly StoredConfiguration[], view: TargetView): StoredConfiguration[] {
  const targeting = configs.filter((c) => isDeployment(c) && targets(c, view)).sort(byPriorityThenAge);
  const bases = targeting.filter(isBaseDeployment);
  const base = bases[bases.length - 1];
  const layered = targeting.filter((c) => !isBaseDeployment(c));
  return base ? [base, ...layered] : layered;
}

/** Sets `value` at a dotted path inside `target` (creating objects on the way), replacing what was there. */
function setPath(target: JsonObject, path: string[], value: Json): void {
  let current = target;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (!isObject(next)) current[key] = {};
    current = current[key] as JsonObject;
  }
  current[path[path.length - 1]!] = clone(value);
}

/**
 * Merges modulesContent documents in order into module desired documents, starting from
 * `start` for modules that a content only patches by path.
 */
export function mergeModulesContent(contents: readonly Record<string, JsonObject>[], start: (moduleId: string) => JsonObject = () => ({})): ModuleDesired {
  const result: ModuleDesired = new Map();
  for (const content of contents) {
    for (const [moduleId, twin] of Object.entries(content)) {
      const full = twin[DESIRED];
      const desired = isObject(full) ? clone(full) : (result.get(moduleId) ?? clone(start(moduleId)));
      for (const [key, value] of Object.entries(twin)) {
        if (key === DESIRED) continue;
        setPath(desired, key.slice(DESIRED.length + 1).split('.'), value);
      }
      result.set(moduleId, desired);
    }
  }
  return result;
}

/** The module desired documents produced by the deployments that apply to a device, or undefined when none does. */
export function deploymentDesired(configs: readonly StoredConfiguration[], view: TargetView, current: (moduleId: string) => JsonObject): ModuleDesired | undefined {
  const applicable = applicableDeployments(configs, view);
  if (applicable.length === 0) return undefined;
  return mergeModulesContent(
    applicable.map((c) => c.content.modulesContent!),
    current,
  );
}
