import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderGolden } from './render.js';
import { goldenDir, samples } from './samples.js';
import { assertValidK8s } from '../support/k8s-schema.js';
import { assertAllCanonical } from '../support/canonical.js';
import type { KubeObject } from '../../translator/translate/index.js';

describe.each(samples)('sample $name', (sample) => {
  it('translates exactly to its golden file (npm run golden:update regenerates it)', async () => {
    const { text, ok } = await renderGolden(sample);
    expect(ok).toBe(true);
    expect(text).toBe(readFileSync(join(goldenDir, `${sample.name}.yaml`), 'utf8'));
  });

  it('produces objects that pass the Kubernetes schemas', async () => {
    const { text } = await renderGolden(sample);
    const objects = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    expect(objects.length).toBeGreaterThan(0);
    assertValidK8s(objects);
  });

  it('produces objects canonical as built (translate() does not walk them to sort or drop nulls)', async () => {
    const { objects } = await renderGolden(sample);
    expect(objects.length).toBeGreaterThan(0);
    assertAllCanonical(objects);
  });
});
