/**
 * Manifest intake: the first stage of the pipeline. Reads an IoT Edge deployment in any form
 * seen in practice, validates it against the official schemas and normalizes it into the
 * {@link DeploymentModel}, or reports {@link Diagnostic}s that point into the user's file.
 *
 * @see ./forms.ts for the accepted forms, ./template.ts for deployment templates,
 *      ./layers.ts for layered deployments, ./create-options.ts for createOptions chunks.
 */
import { error, ManifestLoadError } from './diagnostics.js';
import { isObject } from './json-values.js';
import { loadManifestFile, loadManifestSources, type LoadOptions, type ManifestResult, type ManifestSource, type SourceOptions } from './load.js';
import { parseDocument } from './parse.js';
import { resolveTemplate } from './template.js';

export type { LoadOptions, ManifestResult, ManifestSource, SourceOptions } from './load.js';
export { error, warning, hasErrors, statusOf, joinPointer, ManifestLoadError } from './diagnostics.js';
export type { Diagnostic, Severity, StatusCode } from './diagnostics.js';
export { DEFAULT_STARTUP_ORDER } from './model.js';
export { IOT_EDGE_WORDS } from './template.js';
export type { DeploymentModel, ModuleModel, EdgeHubModel, EnvVar, RegistryCredential, Route, CreateOptions, ModuleStatus, RestartPolicy, ImagePullPolicy } from './model.js';
export type { DeploymentContent } from './content.js';
export { chunkCreateOptions } from './content.js';
// For scripts/compile-schemas.ts, which compiles the desired-properties validators ahead of time.
export { DESIRED_REFS, compileRef, loadRegistry } from './schemas.js';

function internalError(e: unknown): ManifestResult {
  const name = e instanceof Error ? e.name : 'error';
  return { diagnostics: [error('', `the manifest could not be processed (${name}); please report this with the manifest`, 'internal')] };
}

/**
 * Validates and normalizes an in-memory manifest of any accepted form. A document with a
 * `$schema-template` key is treated as a deployment template: object createOptions are
 * accepted, and since no environment or modules/ directory is available here, any placeholder
 * is reported as unresolved (use {@link loadManifest} to resolve them). Never throws.
 */
export function parseManifest(doc: unknown): ManifestResult {
  try {
    const template = isObject(doc) && '$schema-template' in doc;
    if (!template) return parseDocument(doc, { template: false });
    const resolved = resolveTemplate(doc, {
      env: {},
      envSource: 'parseManifest (it resolves no variables; use loadManifest)',
      moduleImage: () => ({ problem: 'parseManifest reads no modules/ directory (use loadManifest)' }),
    });
    const outcome = parseDocument(resolved.value, { template: true });
    const diagnostics = [...resolved.diagnostics, ...outcome.diagnostics.filter((d) => !(d.rule === 'schema' && resolved.unresolved.has(d.pointer)))];
    return resolved.diagnostics.length > 0 || outcome.model === undefined ? { diagnostics } : { model: outcome.model, diagnostics };
  } catch (e) {
    return internalError(e);
  }
}

/**
 * Reads a manifest file, resolves deployment template placeholders (`${VAR}` from
 * `options.env` and a `.env` beside the file, the environment winning; `${MODULES.name[.platform]}`
 * from `modules/<name>/module.json`), merges `options.layers`, then validates and normalizes
 * as {@link parseManifest}. Throws {@link ManifestLoadError} only when a file cannot be read;
 * invalid JSON is a 400 diagnostic with line and column.
 */
export async function loadManifest(path: string, options?: LoadOptions): Promise<ManifestResult> {
  try {
    return await loadManifestFile(path, options);
  } catch (e) {
    if (e instanceof ManifestLoadError) throw e;
    return internalError(e);
  }
}

/**
 * As {@link loadManifest}, for a file or an in-memory document (parsed JSON or JSON text), with
 * layers of either kind: the one intake path of the CLI, the bridge's local files and the
 * programmatic API. Throws {@link ManifestLoadError} only when a file cannot be read.
 */
export async function loadManifestSource(source: ManifestSource, options?: SourceOptions): Promise<ManifestResult> {
  try {
    return await loadManifestSources(source, options);
  } catch (e) {
    if (e instanceof ManifestLoadError) throw e;
    return internalError(e);
  }
}
