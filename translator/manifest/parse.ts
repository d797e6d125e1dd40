/**
 * The intake pipeline on an in-memory document: find the desired properties (forms.ts), check
 * schemaVersions, validate against the official schemas, normalize into the model. Returns a
 * model only when there is no error diagnostic. Never throws.
 */
import { error, hasErrors, joinPointer, type Diagnostic } from './diagnostics.js';
import { detectForm, type ManifestParts } from './forms.js';
import { article, isObject, showValue, withoutTwinMetadata, type JsonObject } from './json-values.js';
import type { DeploymentModel } from './model.js';
import { normalize } from './normalize.js';
import { schemaDiagnostics, type ShowValue } from './schema-errors.js';
import { checkSchemaVersion } from './schema-version.js';
import { AGENT_SCHEMA_VERSIONS, HUB_SCHEMA_VERSIONS, validateAgentDesired, validateHubDesired } from './schemas.js';

export interface ParseOptions {
  /** Accept object createOptions, as deployment templates write them. */
  template: boolean;
  /** Renders values in messages; lets the loader hide values that came from the environment. */
  show?: ShowValue;
}

export interface ParseOutcome {
  model?: DeploymentModel;
  diagnostics: Diagnostic[];
}

/** For schema validation only: object createOptions (templates) stand in as a JSON string. */
function templateView(agent: JsonObject): JsonObject {
  const replaceIn = (modules: unknown): unknown => {
    if (!isObject(modules)) return modules;
    const out: JsonObject = {};
    for (const [name, m] of Object.entries(modules)) {
      const settings = isObject(m) ? m['settings'] : undefined;
      out[name] = isObject(m) && isObject(settings) && isObject(settings['createOptions']) ? { ...m, settings: { ...settings, createOptions: '{}' } } : m;
    }
    return out;
  };
  return { ...agent, systemModules: replaceIn(agent['systemModules']), modules: replaceIn(agent['modules']) };
}

function isEmptyDesired(value: unknown): boolean {
  return value === undefined || value === null || (isObject(value) && Object.keys(withoutTwinMetadata(value)).length === 0);
}

function notAnObject(pointer: string, what: string, value: unknown): Diagnostic {
  return error(pointer, `${what} must be an object, not ${article(value)}`, 'schema');
}

/** Validates and normalizes the parts of a document (already merged with any layers). */
export function parseParts(parts: ManifestParts, options: ParseOptions): ParseOutcome {
  const show = options.show ?? showValue;
  const diagnostics: Diagnostic[] = [...parts.diagnostics];
  if (parts.layeredAt !== undefined) {
    diagnostics.push(
      error(parts.layeredAt, "this is a layered deployment ('properties.desired.<path>' keys): a layered deployment needs a base; give the base manifest and pass this file as a layer", 'layered-without-base'),
    );
    return { diagnostics };
  }
  if (hasErrors(diagnostics)) return { diagnostics };

  const agentAt = parts.agent;
  if (agentAt === undefined || isEmptyDesired(agentAt.value)) {
    const pointer = agentAt?.pointer ?? joinPointer(parts.modulesContentPointer, '$edgeAgent');
    diagnostics.push(error(pointer, '$edgeAgent desired properties are missing or empty: a deployment needs schemaVersion, runtime, systemModules and modules', 'empty-desired', 417));
    return { diagnostics };
  }
  if (!isObject(agentAt.value)) {
    diagnostics.push(notAnObject(agentAt.pointer, '$edgeAgent desired properties', agentAt.value));
    return { diagnostics };
  }
  const agent = withoutTwinMetadata(agentAt.value);
  const schemaErrors: Diagnostic[] = [];
  const agentVersion = checkSchemaVersion(agent['schemaVersion'], agentAt.pointer, '$edgeAgent', AGENT_SCHEMA_VERSIONS);
  if (!agentVersion.ok) diagnostics.push(agentVersion.diagnostic);
  // A missing or mistyped schemaVersion (400) still gets the rest checked, by the newest schema;
  // an unsupported one (412) stops here, as edgeAgent stops.
  if (agentVersion.ok || agentVersion.diagnostic.code === 400) {
    const version = agentVersion.ok ? agentVersion.version : AGENT_SCHEMA_VERSIONS[AGENT_SCHEMA_VERSIONS.length - 1]!;
    const view = options.template ? templateView(agent) : agent;
    const found = schemaDiagnostics(validateAgentDesired(view, version), agentAt.pointer, '$edgeAgent desired properties', show);
    schemaErrors.push(...found.filter((d) => agentVersion.ok || d.pointer !== agentVersion.diagnostic.pointer));
  }

  let hub: { value: JsonObject; pointer: string; schemaVersion: string } | undefined;
  if (parts.hub !== undefined) {
    const hubAt = parts.hub;
    if (!isObject(hubAt.value)) {
      schemaErrors.push(notAnObject(hubAt.pointer, '$edgeHub desired properties', hubAt.value));
    } else {
      const value = withoutTwinMetadata(hubAt.value);
      const hubVersion = checkSchemaVersion(value['schemaVersion'], hubAt.pointer, '$edgeHub', HUB_SCHEMA_VERSIONS);
      if (!hubVersion.ok) diagnostics.push(hubVersion.diagnostic);
      else {
        schemaErrors.push(...schemaDiagnostics(validateHubDesired(value, hubVersion.version), hubAt.pointer, '$edgeHub desired properties', show));
        hub = { value, pointer: hubAt.pointer, schemaVersion: hubVersion.version };
      }
    }
  }
  for (const [name, twin] of parts.twins) {
    if (!isObject(twin.value)) schemaErrors.push(notAnObject(twin.pointer, `desired properties of module twin ${showValue(name)}`, twin.value));
  }
  diagnostics.push(...schemaErrors);
  if (!agentVersion.ok) return { diagnostics };

  const normalized = normalize({
    agent,
    agentPointer: agentAt.pointer,
    schemaVersion: agentVersion.version,
    ...(hub === undefined ? {} : { hub }),
    twins: parts.twins,
    allowObjectCreateOptions: options.template,
    errorPointers: diagnostics.filter((d) => d.severity === 'error').map((d) => d.pointer),
    show,
  });
  diagnostics.push(...normalized.diagnostics);
  if (hasErrors(diagnostics) || normalized.model === undefined) return { diagnostics };
  return { model: normalized.model, diagnostics };
}

/** Parses an in-memory document of any accepted form. */
export function parseDocument(doc: unknown, options: ParseOptions): ParseOutcome {
  return parseParts(detectForm(doc), options);
}
