import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestLoadError } from '../../../translator/manifest/diagnostics.js';
import { isTemplate, loadManifestFile, loadManifestSources } from '../../../translator/manifest/load.js';
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
