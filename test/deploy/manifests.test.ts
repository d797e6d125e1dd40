/** deploy/ holds `iotedge-k8s install`'s defaults for `kubectl apply -k deploy/`, kept in sync. */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { DEPLOY_OPTIONS, deployFiles } from '../../scripts/deploy-manifests.js';
import { installManifests } from '../../translator/cli/index.js';
import { repoRoot } from '../golden/samples.js';

const deployDir = join(repoRoot, 'deploy');

describe('deploy/', () => {
  it('holds exactly the files install generates (run `npm run deploy:update` after changing install.ts)', () => {
    const expected = deployFiles();
    const yamlFiles = readdirSync(deployDir).filter((f) => f.endsWith('.yaml')).sort();
    expect(yamlFiles).toEqual([...expected.keys()].sort());
    for (const [file, text] of expected) expect(`${file}:\n${readFileSync(join(deployDir, file), 'utf8')}`).toBe(`${file}:\n${text}`);
  });

  it('kubectl kustomize deploy/ gives the objects of install with the default options', async () => {
    const { stdout } = await promisify(execFile)('kubectl', ['kustomize', deployDir]);
    const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
    const built = parseAllDocuments(stdout).map((d) => d.toJS()).sort((a, b) => key(a).localeCompare(key(b)));
    const installed = installManifests(DEPLOY_OPTIONS).sort((a, b) => key(a).localeCompare(key(b)));
    expect(built).toEqual(installed);
  }, 30_000);
});
