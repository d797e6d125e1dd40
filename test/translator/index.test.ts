/**
 * The programmatic API (translator/index.ts, the package's `exports`): the same results as the
 * CLI on every sample, for documents given as parsed JSON and as text; and importable by name
 * from the compiled build.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { main, type Io } from '../../translator/cli/index.js';
import { translate, validate, validateFile, ManifestLoadError } from '../../translator/index.js';
import { repoRoot } from '../golden/samples.js';
import { ensureBuilt } from '../support/build.js';

const samplesDir = join(repoRoot, 'deployment-manifests');

interface Case {
  file: string;
  layers: string[];
}

/** Every manifest in deployment-manifests/: *.json but layers and module.json; a folder's layers go with its base. */
function sampleCases(): Case[] {
  const all = readdirSync(samplesDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json') && !f.endsWith('module.json'));
  return all
    .filter((f) => !f.endsWith('.layer.json'))
    .sort()
    .map((f) => ({ file: join(samplesDir, f), layers: all.filter((l) => l.endsWith('.layer.json') && l.startsWith(f.slice(0, f.lastIndexOf('/') + 1)) && f.includes('/')).map((l) => join(samplesDir, l)) }));
}

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: Io = { stdout: (t) => (out += t), stderr: () => undefined };
  const code = await main(argv, io);
  return { code, out };
}

const cases = sampleCases();
const translation = { namespace: 'site-7', deviceId: 'dev-1', hub: 'hub.example.net' };
const read = (path: string): string => readFileSync(path, 'utf8');

describe('validate and translate (programmatic API)', () => {
  it('covers every sample manifest', () => {
    expect(cases.map((c) => relative(samplesDir, c.file))).toEqual(expect.arrayContaining(['webserver.json', 'template/deployment.template.json', 'sample-modules/deployment.template.json', 'layered/base.json']));
    expect(cases.find((c) => c.file.endsWith('layered/base.json'))!.layers).toHaveLength(1);
  });

  it.each(cases.map((c) => [relative(samplesDir, c.file), c] as const))('%s: same diagnostics as validate --json, same objects as translate --output json', async (_name, c) => {
    const layerArgs = c.layers.flatMap((l) => ['--layer', l]);
    const validated = await cli('validate', c.file, ...layerArgs, '--json');
    const expected = JSON.parse(validated.out) as { valid: boolean; diagnostics: unknown[] };

    const asJson = await validate(JSON.parse(read(c.file)), { path: c.file, layers: c.layers.map((l) => JSON.parse(read(l))) });
    expect({ valid: asJson.valid, diagnostics: asJson.diagnostics }).toEqual(expected);
    expect(validated.code).toBe(asJson.valid ? 0 : 1);

    const translated = await cli('translate', c.file, ...layerArgs, '--output', 'json', '--namespace', translation.namespace, '--no-namespace', '--device-id', translation.deviceId, '--hub', translation.hub);
    const asText = await translate(read(c.file), { path: c.file, layers: c.layers.map(read), ...translation });
    expect(asText.valid).toBe(expected.valid);
    if (expected.valid) {
      expect(asText.objects).toEqual((JSON.parse(translated.out) as { items: unknown[] }).items);
      expect(asText.objects.length).toBeGreaterThan(0);
      expect(asText.objects.every((o) => o.metadata.namespace === translation.namespace)).toBe(true);
    } else {
      expect(translated.out).toBe('');
      expect(asText.objects).toEqual([]);
    }
  }, 30_000);

  it('returns diagnostics, never throws, for what is not a manifest', async () => {
    const text = await validate('{"modulesContent": ');
    expect(text.valid).toBe(false);
    expect(text.diagnostics).toEqual([expect.objectContaining({ code: 400, severity: 'error', rule: 'json', pointer: '' })]);
    expect(text.diagnostics[0]!.message).toMatch(/^the manifest is not valid JSON: .* at line 1, column 20$/);
    for (const doc of [42, null, [], { modulesContent: 'x' }]) {
      const r = await translate(doc);
      expect(r.valid).toBe(false);
      expect(r.objects).toEqual([]);
      expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    }
  });

  it('reports a bad translation option as a diagnostic', async () => {
    const r = await translate(read(join(samplesDir, 'webserver.json')), { namespace: 'Not_A_Label' });
    expect(r.valid).toBe(false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ rule: 'invalid-option', message: expect.stringContaining("option 'namespace'") })]);
  });

  it('rejects with ManifestLoadError only for a file it cannot read', async () => {
    await expect(validateFile(join(samplesDir, 'missing.json'))).rejects.toBeInstanceOf(ManifestLoadError);
  });
});

describe("import from 'iotedge-k8s' (the compiled build, through package.json exports)", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('resolves by name and gives the results of the sources', async () => {
    const file = join(samplesDir, 'webserver.json');
    const script = `
      const { validate, translate } = await import('iotedge-k8s');
      const doc = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'));
      const v = await validate(doc);
      const t = await translate(doc, ${JSON.stringify(translation)});
      process.stdout.write(JSON.stringify({ v, t }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=commonjs', '-e', `(async () => {${script}})()`], { cwd: repoRoot });
    const out = JSON.parse(stdout) as { v: unknown; t: unknown };
    expect(out.v).toEqual(await validate(JSON.parse(read(file))));
    expect(out.t).toEqual(await translate(JSON.parse(read(file)), translation));
  }, 30_000);

  it('ships .d.ts types for the API', () => {
    const types = read(join(repoRoot, 'dist', 'translator', 'index.d.ts'));
    expect(types).toMatch(/export declare function validate\(doc: ManifestDocument, options\?: ManifestOptions & TranslationOptions\): Promise<ValidationResult>/);
    expect(types).toMatch(/export declare function translate\(doc: ManifestDocument, options\?: ManifestOptions & TranslationOptions\): Promise<TranslationOutput>/);
  });
});
