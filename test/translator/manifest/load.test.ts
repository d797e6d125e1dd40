import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestLoadError } from '../../../translator/manifest/diagnostics.js';
import { tooDeepAt } from '../../../translator/manifest/json-values.js';
import {
  isTemplate,
  loadManifestFile,
  loadManifestSources,
  MAX_DOCUMENT_DEPTH,
  SCHEMAS_BOUNDING_MODULES,
  VALID_MODULES_HEIGHT,
} from '../../../translator/manifest/load.js';
import { AGENT_SCHEMA_VERSIONS } from '../../../translator/manifest/schemas.js';
import { A, agentDesired, manifest, type Doc } from './fixtures.js';
import { FIXTURES } from './fixtures.js';

const T = FIXTURES + 'template/deployment.template.json';
const L = FIXTURES + 'layered/';
const TA = '/modulesContent/$edgeAgent/properties.desired';

describe('loadManifestFile: templates', () => {
  it('resolves a template fully from .env and modules/', async () => {
    const r = await loadManifestFile(T, { env: {} });
    expect(r.diagnostics).toEqual([]);
    const byName = Object.fromEntries(r.model!.modules.map((m) => [m.name, m]));
    expect(byName['filtermodule']!.image).toBe('contoso.azurecr.io/filtermodule:0.0.3-amd64');
    expect(byName['sensor']!.image).toBe('localhost:5000/sensor:1.2.0-arm64v8');
    expect(byName['filtermodule']!.createOptions).toEqual({ Env: ['LOG_LEVEL=debug'], HostConfig: { Binds: ['/srv/filter:/data'] } });
    expect(byName['filtermodule']!.env).toEqual([{ name: 'Threshold', value: '25' }]);
    expect(r.model!.registryCredentials).toEqual([
      {
        name: 'contosoacr',
        address: 'contoso.azurecr.io',
        username: 'contoso',
        password: 'fixture-dotenv-password',
        pointer: `${TA}/runtime/settings/registryCredentials/\${CONTAINER_REGISTRY_NAME}`,
      },
    ]);
    expect(r.model!.edgeHub!.createOptions).toEqual({ HostConfig: { PortBindings: { '8883/tcp': [{ HostPort: '8883' }] } } });
  });

  it('lets the environment win over .env', async () => {
    const r = await loadManifestFile(T, { env: { LOG_LEVEL: 'warn', CONTAINER_REGISTRY_ADDRESS: 'other.io' } });
    const filter = r.model!.modules.find((m) => m.name === 'filtermodule')!;
    expect(filter.createOptions['Env']).toEqual(['LOG_LEVEL=warn']);
    expect(filter.image).toBe('other.io/filtermodule:0.0.3-amd64');
  });

  it('appends CONTAINER_TAG to module image tags as iotedgedev does', async () => {
    const r = await loadManifestFile(T, { env: { CONTAINER_TAG: 'build7' } });
    expect(r.model!.modules.find((m) => m.name === 'sensor')!.image).toBe('localhost:5000/sensor:1.2.0-build7-arm64v8');
  });

  it('reports unresolved placeholders with their pointers when modules/ and .env are missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
    const path = join(dir, 'deployment.template.json');
    const { readFile } = await import('node:fs/promises');
    await writeFile(path, await readFile(T, 'utf8'));
    const r = await loadManifestFile(path, { env: {} });
    expect(r.model).toBeUndefined();
    const unresolved = r.diagnostics.filter((d) => d.rule === 'template-placeholder').map((d) => [d.pointer, d.message.split(':')[0]]);
    expect(unresolved).toEqual([
      [`${TA}/runtime/settings/registryCredentials/\${CONTAINER_REGISTRY_NAME}`, 'unresolved placeholder ${CONTAINER_REGISTRY_NAME}'],
      [`${TA}/runtime/settings/registryCredentials/\${CONTAINER_REGISTRY_NAME}/username`, 'unresolved placeholder ${CONTAINER_REGISTRY_USERNAME}'],
      [`${TA}/runtime/settings/registryCredentials/\${CONTAINER_REGISTRY_NAME}/password`, 'unresolved placeholder ${CONTAINER_REGISTRY_PASSWORD}'],
      [`${TA}/runtime/settings/registryCredentials/\${CONTAINER_REGISTRY_NAME}/address`, 'unresolved placeholder ${CONTAINER_REGISTRY_ADDRESS}'],
      [`${TA}/modules/filtermodule/settings/image`, 'unresolved placeholder ${MODULES.filtermodule}'],
      [`${TA}/modules/filtermodule/settings/createOptions/Env/0`, 'unresolved placeholder ${LOG_LEVEL}'],
      [`${TA}/modules/filtermodule/settings/createOptions/HostConfig/Binds/0`, 'unresolved placeholder ${DATA_DIR}'],
      [`${TA}/modules/filtermodule/env/Threshold/value`, 'unresolved placeholder ${TEMP_THRESHOLD}'],
      [`${TA}/modules/sensor/settings/image`, 'unresolved placeholder ${MODULES.sensor.arm64v8}'],
    ]);
    // The schema's complaint about the unresolved credential key is not repeated.
    expect(r.diagnostics.filter((d) => d.rule === 'schema')).toEqual([]);
  });

  it('never puts a secret from the environment in a diagnostic', async () => {
    const secret = 'S3cr3t "pass word';
    const r = await loadManifestFile(FIXTURES + 'secrets/deployment.template.json', { env: { REGISTRY_PASSWORD: secret } });
    expect(r.model).toBeUndefined();
    expect(r.diagnostics.map((d) => d.pointer)).toEqual([
      `${TA}/runtime/settings/registryCredentials/acr/address`,
      `${TA}/systemModules/edgeHub/restartPolicy`,
      `${TA}/modules/app/settings/createOptions`,
    ]);
    for (const d of r.diagnostics) {
      expect(d.message).not.toContain('S3cr3t');
      expect(d.message).not.toContain('pass word');
    }
    expect(r.diagnostics[1]!.message).toContain("'${REGISTRY_PASSWORD}'");
  });
});

describe('loadManifestFile: layers', () => {
  it('merges layers by priority onto the base', async () => {
    const r = await loadManifestFile(L + 'base.json', { layers: [L + 'high.layer.json', L + 'valid-low.layer.json', L + 'plain.layer.json'] });
    expect(r.diagnostics).toEqual([]);
    expect(r.model!.modules.map((m) => `${m.name}=${m.image}`)).toEqual([
      'logger=contoso.azurecr.io/logger:latest',
      'sensor=contoso.azurecr.io/sensor:3.0',
    ]);
    expect(r.model!.edgeHubDesired!.routes.map((x) => x.name)).toEqual(['sensorToHub', 'upstream']);
    expect(r.model!.moduleTwins).toEqual({ sensor: { interval: 30 } });
  });

  it('points diagnostics of layered values into the layer file and names it', async () => {
    const r = await loadManifestFile(L + 'base.json', { layers: [L + 'low.layer.json'] });
    expect(r.model).toBeUndefined();
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        pointer: '/content/modulesContent/$edgeAgent/properties.desired.modules.monitor/restartPolicy',
        code: 400,
        message: expect.stringMatching(/^'restartPolicy' 'sometimes' is not valid in module 'monitor'; allowed values: .* \(in layer low.layer.json\)$/),
      }),
    ]);
  });

  it('rejects a layered file given as the base', async () => {
    const r = await loadManifestFile(L + 'low.layer.json');
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ pointer: '/content/modulesContent/$edgeAgent/properties.desired.modules.sensor', code: 400, rule: 'layered-without-base' }),
    ]);
    expect(r.diagnostics[0]!.message).toContain('layered deployment needs a base');
  });

  it('reports invalid JSON in a layer with the layer named', async () => {
    const r = await loadManifestFile(L + 'base.json', { layers: [FIXTURES + 'invalid-json.json'] });
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: '', code: 400, message: expect.stringContaining('(in layer invalid-json.json)') })]);
  });
});

describe('loadManifestFile: files', () => {
  it('reports invalid JSON with line and column', async () => {
    const r = await loadManifestFile(FIXTURES + 'invalid-json.json');
    expect(r.diagnostics).toEqual([
      { pointer: '', code: 400, severity: 'error', rule: 'json', message: 'invalid-json.json is not valid JSON: expected a property name in double quotes at line 6, column 7' },
    ]);
  });

  it('throws ManifestLoadError only when a file cannot be read', async () => {
    await expect(loadManifestFile(FIXTURES + 'nope.json')).rejects.toBeInstanceOf(ManifestLoadError);
    await expect(loadManifestFile(L + 'base.json', { layers: [FIXTURES + 'nope.json'] })).rejects.toThrow(/cannot read .*nope\.json \(ENOENT\)/);
  });

  it('reads a UTF-8 BOM file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
    const path = join(dir, 'bom.json');
    const { readFile } = await import('node:fs/promises');
    await writeFile(path, '\uFEFF' + (await readFile(L + 'base.json', 'utf8')));
    await chmod(path, 0o644);
    expect((await loadManifestFile(path)).model).toBeDefined();
  });

  it('detects templates by name, $schema-template or ${MODULES.x}', () => {
    expect(isTemplate('a/deployment.debug.template.json', {})).toBe(true);
    expect(isTemplate('a.json', { '$schema-template': '4.0.0' })).toBe(true);
    expect(isTemplate('a.json', { x: ['${MODULES.web}'] })).toBe(true);
    expect(isTemplate('a.json', { x: 'sh -c "echo ${HOME}"' })).toBe(false);
    // With the text the document was parsed from: the text decides whether strings are searched.
    const escaped = '{"x":["\\u0024{MODULES.web}"]}';
    expect(isTemplate('a.json', JSON.parse(escaped), escaped)).toBe(true);
    expect(isTemplate('a.json', { x: ['${MODULES.web}'] }, '{"x":["${MODULES.web}"]}')).toBe(true);
    expect(isTemplate('a.json', { x: 'a' }, '{"x":"a"}')).toBe(false);
    // Any character of the marker may be the escaped one, with either case of hex digits, after
    // other backslashes (createOptions are JSON in JSON, full of `\"`).
    for (const text of [
      '{"c":"{\\"a\\":1}","x":["$\\u007bMODULES.web}"]}',
      '{"c":"{\\"a\\":1}","x":["${\\u004DODULES.web}"]}',
      '{"c":"{\\"a\\":1}","x":["${MODULES\\u002eweb}"]}',
    ])
      expect(isTemplate('a.json', JSON.parse(text), text)).toBe(true);
    // `u00` without an escape, or after an escaped backslash, spells no marker: the strings are searched and have none.
    for (const text of ['{"c":"{\\"a\\":1}","x":"u00 \\\\u0024{MODULES.web}"}', '{"x":"\\"u00\\""}'])
      expect(isTemplate('a.json', JSON.parse(text), text)).toBe(false);
  });
});

describe('loadManifestSources: the result of a valid manifest', () => {
  it('has content as an own enumerable accessor that every result shares, built on first read', async () => {
    const a = await loadManifestSources({ file: T }, { env: {} });
    const b = await loadManifestSources({ file: T }, { env: {} });
    expect(a.diagnostics).toEqual([]);
    const da = Object.getOwnPropertyDescriptor(a, 'content')!;
    const db = Object.getOwnPropertyDescriptor(b, 'content')!;
    expect(da.enumerable).toBe(true);
    expect(typeof da.get).toBe('function');
    // One getter for every result (so every result has the same hidden class, and no result's
    // own accessor keeps its document alive): a getter written per result would be a new function.
    expect(db.get).toBe(da.get);
    expect(a.content).toBe(a.content);
    expect(a.content).not.toBe(b.content);
    expect(a.content!.modulesContent['$edgeAgent']).toBeDefined();
  });
});

/** Levels of objects and arrays a value valid against `schema` can have; Infinity when the schema does not bound them. */
function schemaLevels(schema: Doc, root: Doc): number {
  if (typeof schema['$ref'] === 'string') {
    const ref = schema['$ref'] as string;
    if (!ref.startsWith('#/definitions/')) throw new Error(`unexpected $ref ${ref}`);
    return schemaLevels(root['definitions'][ref.slice('#/definitions/'.length)], root);
  }
  const allowed = schema['enum'] as unknown;
  if (Array.isArray(allowed) && allowed.every((v) => v === null || typeof v !== 'object')) return 0;
  const types: unknown[] = [schema['type']].flat();
  if (types.every((t) => typeof t === 'string' && ['string', 'number', 'integer', 'boolean', 'null'].includes(t))) return 0;
  if (schema['type'] !== 'object' || schema['additionalProperties'] !== false) return Infinity;
  const members = [...Object.values((schema['properties'] ?? {}) as Doc), ...Object.values((schema['patternProperties'] ?? {}) as Doc)];
  return 1 + Math.max(0, ...members.map((m: Doc) => schemaLevels(m, root)));
}

/** `levels` nested arrays. */
function nested(levels: number): unknown {
  let v: unknown = [];
  for (let i = 1; i < levels; i++) v = [v];
  return v;
}

describe('loadManifestSources: depth', () => {
  it('leaves the user modules to validation only for the schemas that bound them (derived from the vendored schemas)', () => {
    for (const version of AGENT_SCHEMA_VERSIONS) {
      const root = JSON.parse(readFileSync(new URL(`../../../schemas/azure-iot-edgeagent-deployment-${version}.json`, import.meta.url), 'utf8')) as Doc;
      const modules = root['properties']['$edgeAgent']['properties']['properties.desired']['properties']['modules'] as Doc;
      const height = schemaLevels(modules, root) - 1;
      expect([version, height <= VALID_MODULES_HEIGHT]).toEqual([version, SCHEMAS_BOUNDING_MODULES.has(version)]);
    }
    expect(SCHEMAS_BOUNDING_MODULES.has('1.1')).toBe(true);
  });

  const tooDeepAlone = async (doc: Doc): Promise<void> => {
    const expected = tooDeepAt(doc, MAX_DOCUMENT_DEPTH);
    expect(expected).toBeDefined();
    for (const document of [doc, JSON.stringify(doc)]) {
      const r = await loadManifestSources({ document, path: '/m/deep.json' });
      expect(r.model).toBeUndefined();
      expect(r.diagnostics).toEqual([
        { pointer: expected, code: 400, severity: 'error', rule: 'too-deep', message: expect.stringMatching(/^deep\.json is nested too deep: more than 100 levels/) as unknown },
      ]);
    }
  };

  it('reports a value nested too deep in a user module alone, as the walk of everything finds it first', async () => {
    const unknownKey = manifest();
    unknownKey['modulesContent']['$edgeAgent']['properties.desired']['modules']['web']['x'] = nested(120);
    await tooDeepAlone(unknownKey);
    const variable = manifest();
    variable['modulesContent']['$edgeAgent']['properties.desired']['modules']['web']['env']['GREETING'] = { value: nested(120) };
    await tooDeepAlone(variable);
    const setting = manifest();
    setting['modulesContent']['$edgeAgent']['properties.desired']['modules']['web']['settings']['createOptions'] = { a: nested(120) };
    await tooDeepAlone(setting);
  });

  it('reports it alone beside other errors, and beside a value too deep elsewhere, whichever the walk meets first', async () => {
    const withError = manifest();
    const agent = withError['modulesContent']['$edgeAgent']['properties.desired'];
    agent['runtime'] = 'docker';
    agent['modules']['web']['x'] = nested(120);
    await tooDeepAlone(withError);
    for (const hubFirst of [false, true]) {
      const doc = manifest();
      const mc = doc['modulesContent'];
      mc['$edgeAgent']['properties.desired']['modules']['web']['x'] = nested(120);
      mc['$edgeHub']['properties.desired']['routes']['deep'] = nested(120);
      // The walk takes the last key first: `$edgeHub` unless it comes first.
      doc['modulesContent'] = hubFirst ? { $edgeHub: mc['$edgeHub'], $edgeAgent: mc['$edgeAgent'] } : mc;
      await tooDeepAlone(doc);
    }
  });

  it('reports a value too deep in a module that schema 1.0 accepts', async () => {
    const agent = agentDesired();
    agent['schemaVersion'] = '1.0';
    const valid = await loadManifestSources({ document: manifest(agent) });
    expect(valid.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    agent['modules']['web']['x'] = nested(120);
    agent['modules']['web']['settings']['y'] = nested(120);
    await tooDeepAlone(manifest(agent));
  });

  it('walks the user modules of a base with layers (a layer may replace them)', async () => {
    const base = manifest();
    base['modulesContent']['$edgeAgent']['properties.desired']['modules']['web']['x'] = nested(120);
    const layer = { content: { modulesContent: { $edgeAgent: { 'properties.desired.modules': {} } } } };
    const r = await loadManifestSources({ document: base, path: '/m/deep.json' }, { layers: [{ document: layer }] });
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: tooDeepAt(base, MAX_DOCUMENT_DEPTH), rule: 'too-deep' })]);
  });

  it('refuses values nested 200,000 levels anywhere in a module, where nothing before the second walk may recurse into them', async () => {
    // Arrays and objects this deep overflow any recursive reader: validation and normalization
    // run on them before the second walk, so they must not go into the skipped modules' values.
    const N = 200_000;
    const places: [string, (web: Doc) => void][] = [
      ['x', (web) => (web['x'] = 0)],
      ['version', (web) => (web['version'] = 0)],
      ['status', (web) => (web['status'] = 0)],
      ['startupOrder', (web) => (web['startupOrder'] = 0)],
      ['env/GREETING', (web) => (web['env']['GREETING'] = 0)],
      ['env/GREETING/value', (web) => (web['env']['GREETING'] = { value: 0 })],
      ['settings/image', (web) => (web['settings']['image'] = 0)],
      ['settings/createOptions', (web) => (web['settings']['createOptions'] = 0)],
    ];
    for (const [place, put] of places) {
      for (const [open, close] of [['[', ']'], ['{"a":', '}']] as const) {
        const doc = manifest();
        put(doc['modulesContent']['$edgeAgent']['properties.desired']['modules']['web']);
        // The value 0 stands for the deep one, spliced into the text (JSON.parse reads any depth).
        const text = JSON.stringify(doc).replace(/:0([,}])/, `:${open.repeat(N)}0${close.repeat(N)}$1`);
        const r = await loadManifestSources({ document: text, path: '/m/deep.json' });
        expect([place, r.diagnostics.map((d) => [d.rule, d.pointer.startsWith(`${A}/modules/web/${place}/`) || d.pointer === `${A}/modules/web/${place}`])]).toEqual([place, [['too-deep', true]]]);
      }
    }
  });

  it('accepts user modules nested as deep as a valid deployment nests them', async () => {
    const doc = manifest();
    const r = await loadManifestSources({ document: JSON.stringify(doc) });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.model!.modules.map((m) => m.pointer)).toEqual([`${A}/modules/web`]);
  });
});
