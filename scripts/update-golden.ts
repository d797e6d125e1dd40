/** Regenerates test/golden/<sample>.yaml from deployment-manifests/. Run after a deliberate translation change. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderGolden } from '../test/golden/render.js';
import { goldenDir, samples } from '../test/golden/samples.js';

let failed = 0;
for (const sample of samples) {
  const { text, ok } = await renderGolden(sample);
  writeFileSync(join(goldenDir, `${sample.name}.yaml`), text);
  console.log(`${ok ? 'wrote ' : 'FAILED'} test/golden/${sample.name}.yaml`);
  if (!ok) failed++;
}
if (failed) {
  console.error(`${failed} sample(s) did not translate; their golden files show the diagnostics.`);
  process.exitCode = 1;
}
