/**
 * Normalization: validated desired properties -> the neutral DeploymentModel.
 *
 * Runs defensively on anything (schema errors may exist elsewhere): each module is normalized
 * only when the schema found nothing wrong inside it, and its createOptions and image checks
 * add their own diagnostics. Defaults follow edgeAgent: imagePullPolicy `on-create`, startupOrder
 * 4294967295 (system modules: 0), restartPolicy `always` for system modules, which always run.
 */
import { error, joinPointer, type Diagnostic } from './diagnostics.js';
import { assembleCreateOptions } from './create-options.js';
import { imageProblem, withDefaultTag } from './image.js';
import { isObject, TWIN_METADATA_KEYS, type JsonObject } from './json-values.js';
import {
  DEFAULT_STARTUP_ORDER,
  type DeploymentModel,
  type EdgeHubModel,
  type EnvVar,
  type ImagePullPolicy,
  type ModuleModel,
  type ModuleStatus,
  type RegistryCredential,
  type RestartPolicy,
  type Route,
} from './model.js';
import type { ShowValue } from './schema-errors.js';
import { sortedKeys } from '../shared/index.js';

export interface NormalizeInput {
  agent: JsonObject;
  agentPointer: string;
  schemaVersion: string;
  hub?: { value: JsonObject; pointer: string; schemaVersion: string };
  twins: Map<string, { value: unknown; pointer: string }>;
  /** Accept object createOptions (deployment templates). */
  allowObjectCreateOptions: boolean;
  /** Pointers that already have an error: modules at or under them are not normalized. */
  errorPointers: readonly string[];
  show: ShowValue;
}

export interface NormalizeResult {
  model?: DeploymentModel;
  diagnostics: Diagnostic[];
}

function hasErrorAtOrUnder(pointer: string, errorPointers: readonly string[]): boolean {
  // A loop, not `some`: its callback was a closure allocated for every module, errors or not.
  for (const p of errorPointers) if (p === pointer || p.startsWith(pointer + '/')) return true;
  return false;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function envOf(env: unknown): EnvVar[] {
  if (!isObject(env)) return [];
  let vars: EnvVar[] | undefined;
  // for-in with an own check: the entries of Object.entries, in its order, without its arrays.
  for (const name in env) {
    if (!Object.hasOwn(env, name)) continue;
    const entry = env[name];
    if (!isObject(entry) || entry['value'] === undefined || entry['value'] === null) continue;
    const v: EnvVar = { name, value: String(entry['value']) };
    // The first variable starts a list of one: a list grown by push from empty reserves room
    // for 17 (about 150 bytes), and most modules set one or two.
    if (vars === undefined) vars = [v];
    else vars.push(v);
  }
  return vars ?? [];
}

interface ModuleSpec {
  name: string;
  value: unknown;
  pointer: string;
  system: boolean;
}

function normalizeModule(spec: ModuleSpec, input: NormalizeInput, diagnostics: Diagnostic[]): ModuleModel | undefined {
  const { name, value, pointer, system } = spec;
  if (!isObject(value) || hasErrorAtOrUnder(pointer, input.errorPointers)) return undefined;
  const settings = value['settings'];
  if (!isObject(settings)) return undefined;
  const settingsPointer = `${pointer}/settings`;
  const created = assembleCreateOptions(settings, settingsPointer, input.allowObjectCreateOptions);
  // By index: for...of over the shared frozen empty list of the usual result allocated an iterator.
  for (let i = 0; i < created.diagnostics.length; i++) diagnostics.push(created.diagnostics[i]!);
  const rawImage = str(settings['image']) ?? '';
  const problem = imageProblem(rawImage);
  if (problem !== undefined) {
    diagnostics.push(error(joinPointer(settingsPointer, 'image'), `image ${input.show(rawImage)} of module '${name}' ${problem}`, 'image'));
  }
  if (created.options === undefined || problem !== undefined) return undefined;
  const module: ModuleModel = {
    name,
    pointer,
    system,
    type: 'docker',
    image: withDefaultTag(rawImage),
    // edgeAgent always runs (it is the bridge); edgeHub's desired status is honoured as edgeAgent does (EdgeHubDockerModule).
    status: system && name === 'edgeAgent' ? 'running' : ((str(value['status']) as ModuleStatus | undefined) ?? 'running'),
    restartPolicy: (str(value['restartPolicy']) as RestartPolicy | undefined) ?? 'always',
    imagePullPolicy: (str(value['imagePullPolicy']) as ImagePullPolicy | undefined) ?? 'on-create',
    startupOrder: typeof value['startupOrder'] === 'number' ? value['startupOrder'] : system ? 0 : DEFAULT_STARTUP_ORDER,
    env: envOf(value['env']),
    createOptions: created.options,
    createOptionsPointer: created.pointer,
  };
  const version = str(value['version']);
  if (version !== undefined) module.version = version;
  if (created.textLength !== undefined) module.createOptionsLength = created.textLength;
  return module;
}

function registryCredentials(agent: JsonObject, agentPointer: string): RegistryCredential[] {
  const runtime = agent['runtime'];
  const settings = isObject(runtime) ? runtime['settings'] : undefined;
  const creds = isObject(settings) ? settings['registryCredentials'] : undefined;
  if (!isObject(creds)) return [];
  const base = joinPointer(agentPointer, 'runtime', 'settings', 'registryCredentials');
  return Object.entries(creds)
    .filter((entry): entry is [string, JsonObject] => isObject(entry[1]))
    .map(([name, c]) => ({ name, address: str(c['address']) ?? '', username: str(c['username']) ?? '', password: str(c['password']) ?? '', pointer: joinPointer(base, name) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function routesOf(routes: unknown): Route[] {
  if (!isObject(routes)) return [];
  const list: Route[] = [];
  for (const [name, r] of Object.entries(routes)) {
    if (typeof r === 'string') list.push({ name, route: r });
    else if (isObject(r) && typeof r['route'] === 'string') {
      const route: Route = { name, route: r['route'] };
      if (typeof r['priority'] === 'number') route.priority = r['priority'];
      if (typeof r['timeToLiveSecs'] === 'number') route.timeToLiveSecs = r['timeToLiveSecs'];
      list.push(route);
    }
  }
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function edgeHubDesired(hub: JsonObject, schemaVersion: string): EdgeHubModel {
  const model: EdgeHubModel = { schemaVersion, routes: routesOf(hub['routes']), extra: {} };
  const saf = hub['storeAndForwardConfiguration'];
  if (isObject(saf)) model.storeAndForwardConfiguration = typeof saf['timeToLiveSecs'] === 'number' ? { timeToLiveSecs: saf['timeToLiveSecs'] } : {};
  for (const [k, v] of Object.entries(hub)) {
    if (!['schemaVersion', 'routes', 'storeAndForwardConfiguration'].includes(k) && !TWIN_METADATA_KEYS.has(k)) model.extra[k] = v;
  }
  return model;
}

/** Builds the model, or only diagnostics when anything is wrong. */
export function normalize(input: NormalizeInput): NormalizeResult {
  const diagnostics: Diagnostic[] = [];
  const { agent, agentPointer } = input;
  const system = isObject(agent['systemModules']) ? agent['systemModules'] : {};
  const systemPointer = joinPointer(agentPointer, 'systemModules');
  const edgeAgent = normalizeModule({ name: 'edgeAgent', value: system['edgeAgent'], pointer: joinPointer(systemPointer, 'edgeAgent'), system: true }, input, diagnostics);
  const edgeHub =
    system['edgeHub'] === undefined
      ? undefined
      : normalizeModule({ name: 'edgeHub', value: system['edgeHub'], pointer: joinPointer(systemPointer, 'edgeHub'), system: true }, input, diagnostics);
  const userModules = isObject(agent['modules']) ? agent['modules'] : {};
  const modulesPointer = joinPointer(agentPointer, 'modules');
  const modules: ModuleModel[] = [];
  for (const name of sortedKeys(userModules)) {
    const m = normalizeModule({ name, value: userModules[name], pointer: joinPointer(modulesPointer, name), system: false }, input, diagnostics);
    if (m !== undefined) modules.push(m);
  }
  if (input.errorPointers.length > 0 || diagnostics.some((d) => d.severity === 'error') || edgeAgent === undefined) return { diagnostics };

  const runtime = isObject(agent['runtime']) ? agent['runtime'] : {};
  const runtimeSettings = isObject(runtime['settings']) ? runtime['settings'] : {};
  const model: DeploymentModel = {
    schemaVersion: input.schemaVersion,
    runtime: { type: 'docker' },
    registryCredentials: registryCredentials(agent, agentPointer),
    edgeAgent,
    modules,
    moduleTwins: {},
  };
  const minDockerVersion = str(runtimeSettings['minDockerVersion']);
  const loggingOptions = str(runtimeSettings['loggingOptions']);
  if (minDockerVersion !== undefined) model.runtime.minDockerVersion = minDockerVersion;
  if (loggingOptions !== undefined) model.runtime.loggingOptions = loggingOptions;
  if (edgeHub !== undefined) model.edgeHub = edgeHub;
  if (input.hub !== undefined) model.edgeHubDesired = edgeHubDesired(input.hub.value, input.hub.schemaVersion);
  for (const name of [...input.twins.keys()].sort()) {
    const twin = input.twins.get(name)!;
    if (isObject(twin.value)) model.moduleTwins[name] = twin.value;
  }
  return { model, diagnostics };
}
