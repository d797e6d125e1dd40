/**
 * Local manifest files: load (manifest, template or base + layers), validate, translate.
 * The one path from a file on disk to Kubernetes objects, shared by the CLI and the bridge.
 */
import { hasErrors, loadManifest, type Diagnostic, type LoadOptions, type DeploymentModel } from '../manifest/index.js';
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

export async function compileFile(
  path: string,
  load: LoadOptions = {},
  options: Partial<TranslateOptions> = {},
): Promise<CompiledManifest> {
  const { model, diagnostics } = await loadManifest(path, load);
  if (!model) return { objects: [], diagnostics, ok: false };
  const result = translate(model, options);
  const all = [...diagnostics, ...result.diagnostics];
  return { model, objects: result.objects, diagnostics: all, ok: !hasErrors(all) };
}
