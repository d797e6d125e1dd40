/**
 * The official IoT Edge JSON schemas (vendored in `schemas/`, see schemas/README.md) compiled
 * with ajv. Some are JSON Schema draft-04 and some draft-07, so there are two ajv instances;
 * every vendored schema is registered with its draft's instance so `$ref`s between schemas
 * (by their `id` / `$id` URL) resolve. Validators are compiled once, on first use, and reused.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvDraft04 from 'ajv-draft-04';
import { packageRoot } from '../package.js';

/** The schema directory at the package root (found from the sources and from dist/ alike). */
const SCHEMA_DIR = new URL('schemas/', packageRoot);

const SCHEMA_BASE = 'https://json.schemastore.org/';

/** `$edgeAgent` desired-properties schema versions we validate against (major.minor). */
export const AGENT_SCHEMA_VERSIONS = ['1.0', '1.1'] as const;
/** `$edgeHub` desired-properties schema versions we validate against (major.minor). */
export const HUB_SCHEMA_VERSIONS = ['1.0', '1.1', '1.2'] as const;

export type AgentSchemaVersion = (typeof AGENT_SCHEMA_VERSIONS)[number];
export type HubSchemaVersion = (typeof HUB_SCHEMA_VERSIONS)[number];

type AjvInstance = InstanceType<typeof Ajv>;
// ajv-draft-04 is CommonJS: its default export arrives either as the class or as a namespace.
type Ajv04Module = { default?: new (opts: object) => AjvInstance };
const Ajv04 = ((ajvDraft04 as unknown as Ajv04Module).default ?? ajvDraft04) as unknown as new (opts: object) => AjvInstance;

interface Registry {
  draft04: AjvInstance;
  draft07: AjvInstance;
  /** Schema id -> the instance that holds it. */
  owner: Map<string, AjvInstance>;
  compiled: Map<string, ValidateFunction>;
}

let registry: Registry | undefined;

const AJV_OPTIONS = { allErrors: true, strict: false, verbose: true, validateSchema: false } as const;

function loadRegistry(): Registry {
  const draft04 = new Ajv04(AJV_OPTIONS);
  const draft07 = new Ajv(AJV_OPTIONS);
  const owner = new Map<string, AjvInstance>();
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const schema = JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as Record<string, unknown>;
    const id = (schema['$id'] ?? schema['id']) as string | undefined;
    if (typeof id !== 'string') continue;
    const instance = String(schema['$schema']).includes('draft-04') ? draft04 : draft07;
    instance.addSchema(schema, id);
    owner.set(id, instance);
  }
  return { draft04, draft07, owner, compiled: new Map() };
}

/** The registry, loaded on first use. */
function getRegistry(): Registry {
  registry ??= loadRegistry();
  return registry;
}

/** Ids (URLs) of every registered vendored schema. */
export function schemaIds(): string[] {
  return [...getRegistry().owner.keys()];
}

/**
 * A validator for `ref` (`<schema id>#<json pointer>`), compiled once and cached. The ref is
 * compiled through a wrapper schema in the owning instance so its relative refs resolve.
 */
export function validatorFor(ref: string): ValidateFunction {
  const reg = getRegistry();
  let validate = reg.compiled.get(ref);
  if (validate === undefined) {
    const id = ref.split('#')[0]!;
    const instance = reg.owner.get(id);
    if (instance === undefined) throw new Error(`no vendored schema with id ${id}`);
    validate = instance.compile({ $ref: ref });
    reg.compiled.set(ref, validate);
  }
  return validate;
}

function run(ref: string, data: unknown): ErrorObject[] {
  const validate = validatorFor(ref);
  return validate(data) ? [] : [...(validate.errors ?? [])];
}

/** Validates `$edgeAgent` desired properties; instance paths are relative to them. */
export function validateAgentDesired(desired: unknown, version: AgentSchemaVersion): ErrorObject[] {
  return run(`${SCHEMA_BASE}azure-iot-edgeagent-deployment-${version}.json#/properties/$edgeAgent/properties/properties.desired`, desired);
}

/** Validates `$edgeHub` desired properties; instance paths are relative to them. */
export function validateHubDesired(desired: unknown, version: HubSchemaVersion): ErrorObject[] {
  return run(`${SCHEMA_BASE}azure-iot-edgehub-deployment-${version}.json#/properties/$edgeHub/properties/properties.desired`, desired);
}

/** Validates a whole document (e.g. a deployment template) against a vendored schema, by file name. */
export function validateWithSchema(file: string, data: unknown): ErrorObject[] {
  return run(`${SCHEMA_BASE}${file}`, data);
}
