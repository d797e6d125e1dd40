/**
 * The deployment content to push to IoT Hub (`applyConfigurationContent`): `{modulesContent}`
 * with every template placeholder resolved and layers merged, as the IoT Edge solution tools'
 * "generate deployment manifest" step writes it. createOptions given as objects (templates) are
 * serialized and split into 512-character chunks (`createOptions`, `createOptions01`, ...),
 * because IoT Hub only takes strings of at most 512 characters per twin property.
 */
import type { ManifestParts } from './forms.js';
import { isObject, type JsonObject } from './json-values.js';
import { setOwn } from '../shared/index.js';

const DESIRED = 'properties.desired';
const CHUNK = 512;

export interface DeploymentContent {
  modulesContent: Record<string, { [DESIRED]: unknown }>;
}

/** createOptions text as IoT Hub takes it: `createOptions`, `createOptions01`, ... of 512 characters. */
export function chunkCreateOptions(text: string): Record<string, string> {
  const chunks: Record<string, string> = {};
  for (let i = 0, n = 0; i < text.length || n === 0; i += CHUNK, n++) {
    chunks[n === 0 ? 'createOptions' : `createOptions${String(n).padStart(2, '0')}`] = text.slice(i, i + CHUNK);
  }
  return chunks;
}

function withStringCreateOptions(module: unknown): unknown {
  if (!isObject(module) || !isObject(module['settings'])) return module;
  const settings = module['settings'];
  const options = settings['createOptions'];
  if (!isObject(options)) return module;
  const rest: JsonObject = Object.fromEntries(Object.entries(settings).filter(([k]) => !/^createoptions\d*$/i.test(k)));
  return { ...module, settings: { ...rest, ...chunkCreateOptions(JSON.stringify(options)) } };
}

function mapModules(group: unknown): unknown {
  if (!isObject(group)) return group;
  const out: JsonObject = {};
  for (const name of Object.keys(group)) {
    // An own `__proto__` member stays a member, as Object.fromEntries keeps it.
    setOwn(out, name, withStringCreateOptions(group[name]));
  }
  return out;
}

/** Builds the content from a validated document's parts. */
export function deploymentContent(parts: ManifestParts): DeploymentContent {
  const modulesContent: DeploymentContent['modulesContent'] = {};
  if (parts.agent && isObject(parts.agent.value)) {
    const agent = parts.agent.value;
    modulesContent['$edgeAgent'] = { [DESIRED]: { ...agent, systemModules: mapModules(agent['systemModules']), modules: mapModules(agent['modules']) } };
  }
  if (parts.hub) modulesContent['$edgeHub'] = { [DESIRED]: parts.hub.value };
  for (const [name, twin] of parts.twins) modulesContent[name] = { [DESIRED]: twin.value };
  return { modulesContent };
}
