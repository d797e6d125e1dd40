/**
 * One path from a manifest to objects: `compileManifest` (a file or an in-memory document) is what
 * the programmatic API runs, so the API, `compileFile` and `compileManifest` agree on every sample.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { translate, translateFile } from '../../../translator/index.js';
import { compileFile, compileManifest } from '../../../translator/sources/index.js';
import { repoRoot } from '../../golden/samples.js';

const samples = ['webserver.json', 'gpu-sharing.json', 'shares.json'].map((f) => join(repoRoot, 'deployment-manifests', f));
const api = { namespace: 'site-7', deviceId: 'dev-1', hub: 'hub.example.net' };
const internal = { namespace: 'site-7', deviceId: 'dev-1', hubHostname: 'hub.example.net' };

it.each(samples)('%s: the API, compileFile and compileManifest (a document) give the same objects and diagnostics', async (file) => {
  const fromFile = await compileFile(file, {}, internal);
  const fromDocument = await compileManifest({ document: JSON.parse(readFileSync(file, 'utf8')), path: file }, {}, internal);
  const viaApi = await translateFile(file, api);
  const viaApiDocument = await translate(readFileSync(file, 'utf8'), { ...api, path: file });
  expect(fromFile.ok).toBe(true);
  expect(fromFile.objects.length).toBeGreaterThan(0);
  expect(fromDocument.objects).toEqual(fromFile.objects);
  expect(fromDocument.diagnostics).toEqual(fromFile.diagnostics);
  for (const out of [viaApi, viaApiDocument]) {
    expect(out.valid).toBe(true);
    expect(out.objects).toEqual(fromFile.objects);
    expect(out.diagnostics).toEqual(fromFile.diagnostics);
    expect(out.modules).toEqual(fromFile.model!.modules.map((m) => m.name));
  }
});

it('an invalid document: no model, no objects, the error diagnostics, and the API says not valid with no objects', async () => {
  const broken = { modulesContent: { $edgeAgent: { 'properties.desired': { schemaVersion: '1.1' } } } };
  const compiled = await compileManifest({ document: broken }, {}, internal);
  expect(compiled.ok).toBe(false);
  expect(compiled.model).toBeUndefined();
  expect(compiled.objects).toEqual([]);
  const out = await translate(broken, api);
  expect(out).toEqual({ valid: false, diagnostics: compiled.diagnostics, modules: [], objects: [] });
  expect(out.diagnostics.some((d) => d.severity === 'error')).toBe(true);
});
