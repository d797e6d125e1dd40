/**
 * The ahead-of-time validators (translator/manifest/schema-validators.generated.ts) are current
 * and validate exactly as the validators compiled at run time from the vendored schemas: same
 * verdict, same errors (keyword, paths, params, the verbose schema/parentSchema/data), in the same
 * order, on valid documents and on about a thousand broken ones, for each of the five refs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { DESIRED_REFS, compileRef, loadRegistry, validatorFor } from '../../../translator/manifest/schemas.js';
import { PRECOMPILED } from '../../../translator/manifest/schema-validators.generated.js';
import { GENERATED_FILE, validatorsSource } from '../../../scripts/schema-validators.js';
import { repoRoot } from '../../golden/samples.js';
import { CORPUS, SCHEMA_TESTS, agentDesired, hubDesired, type Doc } from './fixtures.js';

const precompiled = PRECOMPILED;

/** `$edgeAgent` and `$edgeHub` desired properties of every JSON manifest in `dir` that has them. */
function desiredOf(dir: string): unknown[] {
  const found: unknown[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    let doc: Doc;
    try {
      doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Doc;
    } catch {
      continue;
    }
    const content = doc['modulesContent'] ?? doc['moduleContent'];
    for (const twin of ['$edgeAgent', '$edgeHub']) {
      const desired = content?.[twin]?.['properties.desired'];
      if (desired !== undefined) found.push(desired);
    }
  }
  return found;
}

/** Every path to a value in `doc` (objects and arrays included), root excluded. */
function paths(doc: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (doc === null || typeof doc !== 'object') return [];
  return Object.entries(doc).flatMap(([k, v]) => {
    const p = [...at, Array.isArray(doc) ? Number(k) : k];
    return [p, ...paths(v, p)];
  });
}

/** `doc` with the value at `path` replaced (or removed when `value` is undefined). */
function changed(doc: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(doc) as Doc;
  let node: Doc = copy;
  for (const key of path.slice(0, -1)) node = node[key as string] as Doc;
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last as string];
  else node[last as string] = value;
  return copy;
}

const REPLACEMENTS: unknown[] = [undefined, null, 7, -1.5, 'x', '', true, [], {}, { unknown: 1 }];

/** Broken variants of `doc`: each value removed or replaced by each of REPLACEMENTS, plus an unknown key in each object. */
function broken(doc: unknown): unknown[] {
  const out: unknown[] = [];
  for (const p of paths(doc)) for (const value of REPLACEMENTS) out.push(changed(doc, p, value));
  for (const p of [[], ...paths(doc)]) {
    const copy = structuredClone(doc) as Doc;
    let node: Doc = copy;
    for (const key of p) node = node[key as string] as Doc;
    if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      node['not-in-the-schema'] = 1;
      out.push(copy);
    }
  }
  return out;
}

const verdict = (validate: ValidateFunction, doc: unknown) => ({ valid: validate(doc), errors: validate.errors ?? null });

describe('ahead-of-time schema validators', () => {
  it('are current: scripts/compile-schemas.ts would write the same file', () => {
    expect(readFileSync(join(repoRoot, GENERATED_FILE), 'utf8')).toBe(validatorsSource());
  });

  it('cover every desired-properties ref, and validatorFor gives them out', () => {
    expect(Object.keys(precompiled).sort()).toEqual([...DESIRED_REFS].sort());
    for (const ref of DESIRED_REFS) expect(validatorFor(ref)).toBe(precompiled[ref]);
  });

  it('give the verdict and errors of the run-time compiled validators, on valid and broken documents', () => {
    const reg = loadRegistry();
    const bases = [agentDesired(), { ...agentDesired(), schemaVersion: '1.0' }, hubDesired(), { ...hubDesired(), schemaVersion: '1.2', mqttBroker: { bridges: [] } }];
    const valid = [...bases, ...desiredOf(join(repoRoot, 'deployment-manifests')), ...desiredOf(SCHEMA_TESTS), ...(CORPUS ? desiredOf(CORPUS) : [])];
    const docs = [...valid, ...bases.flatMap(broken), 'text', 42, null, []];
    expect(docs.length).toBeGreaterThan(1000);
    let invalid = 0;
    for (const ref of DESIRED_REFS) {
      const runtime = compileRef(reg, ref);
      for (const doc of docs) {
        const expected = verdict(runtime, doc);
        expect(verdict(precompiled[ref]!, doc)).toEqual(expected);
        if (!expected.valid) invalid++;
      }
    }
    // Both verdicts occur (the comparison is not of documents every validator accepts).
    expect(invalid).toBeGreaterThan(docs.length);
  });

  it('escape `~` and `/` in the keys of instance paths, as the run-time compiled validators do', () => {
    const doc = agentDesired() as { modules: { web: Doc }; runtime: { settings: { registryCredentials: Doc } } };
    doc.modules.web['env'] = { 'a~b/c~/d': { value: {} }, plain: { value: [] } };
    doc.runtime.settings.registryCredentials['r/1~'] = { username: 1, password: 'p', address: 'a' };
    const ref = DESIRED_REFS.find((r) => r.includes('edgeagent-deployment-1.1'))!;
    const expected = verdict(compileRef(loadRegistry(), ref), doc);
    expect(verdict(precompiled[ref]!, doc)).toEqual(expected);
    expect(expected.errors?.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining(['/modules/web/env/a~0b~1c~0~1d/value', '/modules/web/env/plain/value', '/runtime/settings/registryCredentials/r~11~0/username']),
    );
  });
});
