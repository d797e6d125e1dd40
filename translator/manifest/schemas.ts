/**
 * The official IoT Edge JSON schemas (vendored in `schemas/`, see schemas/README.md) compiled
 * with ajv. Some are JSON Schema draft-04 and some draft-07, so there are two ajv instances;
 * every vendored schema is registered with its draft's instance so `$ref`s between schemas
 * (by their `id` / `$id` URL) resolve. Validators are compiled once, on first use, and reused.
 *
 * The validators of `$edgeAgent` and `$edgeHub` desired properties ({@link DESIRED_REFS}), which
 * every deployment goes through, are compiled ahead of time: scripts/compile-schemas.ts writes
 * ajv's standalone code of them to ./schema-validators.generated.ts (its test checks that the file
 * is current and gives the same errors as compiling here). Compiling them at run time cost the
 * bridge about 100 ms before its first deployment (bench/rss.ts). Other refs compile here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvDraft04 from 'ajv-draft-04';
import { packageRoot } from '../package.js';
import { PRECOMPILED } from './schema-validators.generated.js';

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

export interface Registry {
  draft04: AjvInstance;
  draft07: AjvInstance;
  /** Schema id -> the instance that holds it. */
  owner: Map<string, AjvInstance>;
  compiled: Map<string, ValidateFunction>;
}

let registry: Registry | undefined;

/** The options of every validator, the ahead-of-time ones included. */
const AJV_OPTIONS = { allErrors: true, strict: false, verbose: true, validateSchema: false } as const;

/** The ref of the `$edgeAgent` desired properties' schema of a version. */
const agentRef = (version: AgentSchemaVersion) => `${SCHEMA_BASE}azure-iot-edgeagent-deployment-${version}.json#/properties/$edgeAgent/properties/properties.desired`;
/** The ref of the `$edgeHub` desired properties' schema of a version. */
const hubRef = (version: HubSchemaVersion) => `${SCHEMA_BASE}azure-iot-edgehub-deployment-${version}.json#/properties/$edgeHub/properties/properties.desired`;

/** The refs every deployment is validated against: compiled ahead of time. */
export const DESIRED_REFS: readonly string[] = [...AGENT_SCHEMA_VERSIONS.map(agentRef), ...HUB_SCHEMA_VERSIONS.map(hubRef)];

/**
 * Both ajv instances with every vendored schema registered. `options` are added to
 * {@link AJV_OPTIONS} (scripts/schema-validators.ts keeps the generated source with `code.source`).
 */
export function loadRegistry(options: object = {}): Registry {
  const draft04 = new Ajv04({ ...AJV_OPTIONS, ...options });
  const draft07 = new Ajv({ ...AJV_OPTIONS, ...options });
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
 * A validator for `ref` (`<schema id>#<json pointer>`): the ahead-of-time one of
 * {@link DESIRED_REFS}, else compiled once ({@link compileRef}) and cached.
 */
export function validatorFor(ref: string): ValidateFunction {
  const precompiled: ValidateFunction | undefined = PRECOMPILED[ref];
  if (precompiled !== undefined) return precompiled;
  const reg = getRegistry();
  let validate = reg.compiled.get(ref);
  if (validate === undefined) {
    validate = compileRef(reg, ref);
    reg.compiled.set(ref, validate);
  }
  return validate;
}

/** Compiles `ref` in the instance that owns its schema, through a wrapper schema so its relative refs resolve. */
export function compileRef(reg: Registry, ref: string): ValidateFunction {
  const id = ref.split('#')[0]!;
  const instance = reg.owner.get(id);
  if (instance === undefined) throw new Error(`no vendored schema with id ${id}`);
  return instance.compile({ $ref: ref });
}

function run(ref: string, data: unknown): ErrorObject[] {
  const validate = validatorFor(ref);
  return validate(data) ? [] : [...(validate.errors ?? [])];
}

/**
 * The refs of each version, built once: a ref built on every call is a new string of about 150
 * characters, which the validator lookup then hashes (as much as ajv's own work on a small
 * deployment).
 */
const AGENT_REFS: ReadonlyMap<string, string> = new Map(AGENT_SCHEMA_VERSIONS.map((v) => [v, agentRef(v)]));
const HUB_REFS: ReadonlyMap<string, string> = new Map(HUB_SCHEMA_VERSIONS.map((v) => [v, hubRef(v)]));

/** Validates `$edgeAgent` desired properties; instance paths are relative to them. */
export function validateAgentDesired(desired: unknown, version: AgentSchemaVersion): ErrorObject[] {
  return run(AGENT_REFS.get(version) ?? agentRef(version), desired);
}

/** Validates `$edgeHub` desired properties; instance paths are relative to them. */
export function validateHubDesired(desired: unknown, version: HubSchemaVersion): ErrorObject[] {
  return run(HUB_REFS.get(version) ?? hubRef(version), desired);
}

/** Validates a whole document (e.g. a deployment template) against a vendored schema, by file name. */
export function validateWithSchema(file: string, data: unknown): ErrorObject[] {
  return run(`${SCHEMA_BASE}${file}`, data);
}
