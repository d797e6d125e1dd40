/** Renders a sample to its golden text: diagnostics as YAML comments, then the objects. */
import { compileFile } from '../../translator/sources/index.js';
import { formatDiagnostic, toYaml } from '../../translator/cli/index.js';
import { goldenOptions, samplePath, type Sample } from './samples.js';
import type { KubeObject } from '../../translator/translate/index.js';

export async function renderGolden(sample: Sample): Promise<{ text: string; ok: boolean; objects: readonly KubeObject[] }> {
  // An empty environment: templates take their variables from their own .env only.
  const result = await compileFile(samplePath(sample.file), { env: {}, layers: (sample.layers ?? []).map(samplePath) }, goldenOptions);
  const header = result.diagnostics.map((d) => `# ${formatDiagnostic(d)}\n`).join('');
  return { text: header + toYaml(result.objects), ok: result.ok, objects: result.objects };
}
