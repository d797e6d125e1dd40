/**
 * A manifest (a file, or an in-memory document) to Kubernetes objects: load (manifest, template
 * or base + layers), validate, translate. The one path from a manifest to objects: the
 * programmatic API (`validate`, `translate`, `*File`, and so the CLI verbs built on it) runs it.
 */
import { hasErrors, loadManifestSource, type Diagnostic, type LoadOptions, type DeploymentModel, type ManifestSource, type SourceOptions } from '../manifest/index.js';
import { translate, type TranslateOptions, type KubeObject } from '../translate/index.js';

export interface CompiledManifest {
  /** Present when the manifest itself is valid. */
  model?: DeploymentModel;
  /** Objects of the modules that translated; empty when the manifest is invalid. */
  objects: KubeObject[];
  /** Manifest diagnostics first, then translation diagnostics. */
  diagnostics: Diagnostic[];
  /** True when nothing is in error: the deployment can be applied as a whole. */
  ok: boolean;
}

/** Loads, validates and translates a manifest file or document (and its layers). */
export async function compileManifest(source: ManifestSource, load: SourceOptions = {}, options: Partial<TranslateOptions> = {}): Promise<CompiledManifest> {
  const { model, diagnostics } = await loadManifestSource(source, load);
  if (!model) return { objects: [], diagnostics, ok: false };
  const result = translate(model, options);
  const all = [...diagnostics, ...result.diagnostics];
  return { model, objects: result.objects, diagnostics: all, ok: !hasErrors(all) };
}

/** {@link compileManifest} of a file, its layers files too. */
export function compileFile(path: string, load: LoadOptions = {}, options: Partial<TranslateOptions> = {}): Promise<CompiledManifest> {
  return compileManifest({ file: path }, { env: load.env, layers: (load.layers ?? []).map((file) => ({ file })) }, options);
}
