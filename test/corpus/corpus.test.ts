/**
 * Needs data from outside this repository: the corpus of public manifests, in the folder
 * named by IOTEDGE_K8S_CORPUS (CI's .ci/run sets it to ../shared/corpus and fails when it is
 * missing), else ../shared/corpus when that exists beside the clone. On a plain clone without
 * it the suite is skipped, with a message saying so.
 *
 * Every real public manifest in the corpus must validate and translate, or fail with
 * precise diagnostics; none may throw. Templates are run twice: as they are (their variables and
 * modules/ folders are missing, which must be reported placeholder by placeholder), and with
 * every placeholder supplied, so their createOptions reach the translator.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile, type CompiledManifest } from '../../translator/sources/index.js';
import { IOT_EDGE_WORDS, type Diagnostic } from '../../translator/manifest/index.js';
import { repoRoot } from '../golden/samples.js';

import { assertValidK8s } from '../support/k8s-schema.js';
import { assertAllCanonical } from '../support/canonical.js';

/** Environment variable naming the corpus folder; when set, the folder must exist. */
export const CORPUS_ENV = 'IOTEDGE_K8S_CORPUS';
const corpusDir = process.env[CORPUS_ENV] || join(repoRoot, '..', 'shared', 'corpus');
const required = Boolean(process.env[CORPUS_ENV]);
const present = existsSync(corpusDir);
if (!present && !required) console.log(`the manifest corpus (${corpusDir}) is not beside this clone and ${CORPUS_ENV} is unset: skipping the corpus tests`);
const files = present ? readdirSync(corpusDir).filter((f) => f.endsWith('.json')).sort() : [];
const suite = present || required ? describe : describe.skip;

/** A layered corpus file and the base deployment of the same solution. */
const layerBases: Record<string, string> = {
  'marvin-garcia__IoTGateway__EdgeSolution_modules_OPC_layered.deployment.template.json': 'marvin-garcia__IoTGateway__EdgeSolution_deployment.template.json',
};

/** Does `pointer` lead into `doc`? Missing last token is fine (a required property), and so is a path into a string (createOptions). */
function pointsInto(doc: unknown, pointer: string): boolean {
  if (pointer === '') return true;
  const tokens = pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc;
  for (let i = 0; i < tokens.length; i++) {
    if (typeof node === 'string') return true;
    if (node === null || typeof node !== 'object') return false;
    const next = (node as Record<string, unknown>)[tokens[i]!];
    if (next === undefined) return i === tokens.length - 1;
    node = next;
  }
  return true;
}

function expectPrecise(diagnostics: Diagnostic[], source: unknown, file: string): void {
  for (const d of diagnostics) {
    expect([200, 400, 412, 417]).toContain(d.code);
    expect(d.message.length).toBeGreaterThan(10);
    if (!pointsInto(source, d.pointer)) throw new Error(`${file}: pointer ${d.pointer} does not lead into the file (${d.message})`);
  }
}

/** Copies a template into a fresh folder with every ${VAR}, $VAR and ${MODULES.x[.p]} supplied. */
function filledCopy(file: string): { path: string; env: Record<string, string> } {
  const text = readFileSync(join(corpusDir, file), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
  const env: Record<string, string> = {};
  for (const [, name] of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[name!] = `value-of-${name!.toLowerCase()}`;
  // Bare $NAME of any case, as the IoT Edge tools match it, except IoT Edge's own words.
  for (const [, name] of text.matchAll(/\$([A-Za-z0-9_]+)/g)) if (!IOT_EDGE_WORDS.has(name!)) env[name!] = `value-of-${name!.toLowerCase()}`;
  const modules = new Map<string, Set<string>>();
  for (const [, name, platform] of text.matchAll(/\$\{MODULES\.([^.}]+)(?:\.([^}]+))?\}/g)) {
    const set = modules.get(name!) ?? new Set(['amd64']);
    // `${MODULES.x.debug}` names the default platform's debug image (`amd64.debug`), as iotedgedev reads it.
    if (platform) set.add(platform === 'debug' ? 'amd64.debug' : platform);
    modules.set(name!, set);
  }
  for (const [name, platforms] of modules) {
    mkdirSync(join(dir, 'modules', name), { recursive: true });
    const moduleJson = {
      image: {
        repository: `corpus.azurecr.io/${name.toLowerCase()}`,
        tag: { version: '1.0.0', platforms: Object.fromEntries([...platforms].map((p) => [p, `./Dockerfile.${p}`])) },
      },
    };
    writeFileSync(join(dir, 'modules', name, 'module.json'), JSON.stringify(moduleJson));
  }
  const path = join(dir, file.endsWith('.template.json') ? file : 'deployment.template.json');
  writeFileSync(path, text);
  return { path, env };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface Row {
  file: string;
  asIs: string;
  filled: string;
}
const rows: Row[] = [];

function outcome(r: CompiledManifest): string {
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  const warnings = r.diagnostics.length - errors.length;
  if (r.ok) return `ok: ${r.objects.length} objects, ${warnings} warnings`;
  const rules = [...new Set(errors.map((d) => `${d.code} ${d.rule}`))].join(', ');
  return `${errors.length} errors (${rules})`;
}

afterAll(() => {
  if (rows.length === 0) return;
  const lines = rows.map((r) => `${r.file}\n    as is:  ${r.asIs}\n    filled: ${r.filled}`);
  const translated = rows.filter((r) => r.filled.startsWith('ok')).length;
  console.log(`corpus: ${rows.length} manifests; ${translated} translate once their placeholders are supplied\n${lines.join('\n')}`);
});

suite('the public manifest corpus', () => {
  it(`is present (${CORPUS_ENV} or ../shared/corpus)`, () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files)('%s validates and translates or fails precisely', async (file) => {
    const source = parseOrUndefined(readFileSync(join(corpusDir, file), 'utf8'));
    const base = layerBases[file];
    const asIs = await compileFile(join(corpusDir, file), { env: {} });
    if (source === undefined) {
      // Not JSON as published (a CI pipeline fills in bare tokens): one 400 at the top, with the position.
      expect(asIs.diagnostics).toEqual([expect.objectContaining({ pointer: '', code: 400, message: expect.stringMatching(/line \d+, column \d+/) })]);
      rows.push({ file, asIs: outcome(asIs), filled: 'not JSON, nothing to fill' });
      return;
    }
    expectPrecise(asIs.diagnostics, source, file);
    assertValidK8s(asIs.objects);
    assertAllCanonical(asIs.objects);
    if (!asIs.ok) expect(asIs.diagnostics.some((d) => d.severity === 'error')).toBe(true);

    const filled = filledCopy(base ?? file);
    const layers = base ? [filledCopy(file).path] : [];
    const env = { ...filled.env, ...(base ? filledCopy(file).env : {}) };
    const complete = await compileFile(filled.path, { env, layers });
    expect(complete.diagnostics.filter((d) => d.rule === 'template-placeholder')).toEqual([]);
    if (!base) expectPrecise(complete.diagnostics, source, file);
    assertValidK8s(complete.objects);
    assertAllCanonical(complete.objects);
    rows.push({ file, asIs: outcome(asIs), filled: outcome(complete) });
  });
});
