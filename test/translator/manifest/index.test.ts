import { readdirSync, readFileSync } from 'node:fs';
import { loadManifest, parseManifest } from '../../../translator/manifest/index.js';
import { ManifestLoadError, type StatusCode } from '../../../translator/manifest/diagnostics.js';
import { A, agentDesired, chunked, CORPUS, type Doc, FIXTURES, H, hubDesired, manifest, SCHEMA_TESTS } from './fixtures.js';

/** Builds a valid manifest, lets `edit` break it, returns the document. */
function broken(edit: (m: Doc, agent: Doc, hub: Doc) => unknown): unknown {
  const m = manifest();
  const agent = m.modulesContent.$edgeAgent['properties.desired'];
  const hub = m.modulesContent.$edgeHub['properties.desired'];
  const replaced = edit(m, agent, hub);
  return replaced === undefined ? m : replaced;
}

const bigOptions = JSON.stringify({ Env: Array.from({ length: 150 }, (_, i) => `VARIABLE_${i}=value-${i}`) });
const W = `${A}/modules/web`;

const invalid: [string, unknown, string, StatusCode][] = [
  ['module name with a dot', broken((_, a) => void (a.modules['web.server'] = a.modules.web)), `${A}/modules/web.server`, 400],
  ['module name with a space', broken((_, a) => void (a.modules['my module'] = a.modules.web)), `${A}/modules/my module`, 400],
  ['missing image', broken((_, a) => void delete a.modules.web.settings.image), `${W}/settings/image`, 400],
  ['image not a string', broken((_, a) => void (a.modules.web.settings.image = ['nginx'])), `${W}/settings/image`, 400],
  ['empty image', broken((_, a) => void (a.modules.web.settings.image = '')), `${W}/settings/image`, 400],
  ['bad restartPolicy', broken((_, a) => void (a.modules.web.restartPolicy = 'sometimes')), `${W}/restartPolicy`, 400],
  ['missing restartPolicy', broken((_, a) => void delete a.modules.web.restartPolicy), `${W}/restartPolicy`, 400],
  ['bad status', broken((_, a) => void (a.modules.web.status = 'paused')), `${W}/status`, 400],
  ['bad module type', broken((_, a) => void (a.modules.web.type = 'podman')), `${W}/type`, 400],
  ['bad imagePullPolicy', broken((_, a) => void (a.modules.web.imagePullPolicy = 'always')), `${W}/imagePullPolicy`, 400],
  ['negative startupOrder', broken((_, a) => void (a.modules.web.startupOrder = -1)), `${W}/startupOrder`, 400],
  ['string startupOrder', broken((_, a) => void (a.modules.web.startupOrder = '1')), `${W}/startupOrder`, 400],
  ['unknown module property', broken((_, a) => void (a.modules.web.replicas = 3)), `${W}/replicas`, 400],
  ['schemaVersion 2.0', broken((_, a) => void (a.schemaVersion = '2.0')), `${A}/schemaVersion`, 412],
  ['schemaVersion 1.2', broken((_, a) => void (a.schemaVersion = '1.2')), `${A}/schemaVersion`, 412],
  ['schemaVersion not a version', broken((_, a) => void (a.schemaVersion = 'latest')), `${A}/schemaVersion`, 412],
  ['schemaVersion a number', broken((_, a) => void (a.schemaVersion = 1.1)), `${A}/schemaVersion`, 400],
  ['empty desired', broken((m) => void (m.modulesContent.$edgeAgent['properties.desired'] = {})), A, 417],
  ['missing $edgeAgent', broken((m) => void delete m.modulesContent.$edgeAgent), '/modulesContent/$edgeAgent', 417],
  ['bare desired with only twin metadata', { $version: 1, $metadata: {} }, '', 417],
  ['configuration without content', { id: 'deployment-1', priority: 10, targetCondition: "tags.site='a'" }, '', 417],
  ['missing runtime', broken((_, a) => void delete a.runtime), `${A}/runtime`, 400],
  ['runtime type not docker', broken((_, a) => void (a.runtime.type = 'rkt')), `${A}/runtime/type`, 400],
  ['missing systemModules.edgeHub', broken((_, a) => void delete a.systemModules.edgeHub), `${A}/systemModules/edgeHub`, 400],
  ['edgeHub without restartPolicy', broken((_, a) => void delete a.systemModules.edgeHub.restartPolicy), `${A}/systemModules/edgeHub/restartPolicy`, 400],
  ['createOptions chunk gap', broken((_, a) => void Object.assign(a.modules.web.settings, { createOptions: '{"a":', createOptions02: '1}' })), `${W}/settings/createOptions01`, 400],
  ['more than 100 chunks', broken((_, a) => void (a.modules.web.settings.createOptions100 = '')), `${W}/settings/createOptions100`, 400],
  [
    'bad JSON in createOptions03',
    broken((_, a) => {
      const chunks = chunked(bigOptions);
      chunks['createOptions03'] = '\u0001' + chunks['createOptions03']!.slice(1);
      a.modules.web.settings = { image: 'nginx', ...chunks };
    }),
    `${W}/settings/createOptions03`,
    400,
  ],
  ['createOptions an array (as JSON)', broken((_, a) => void (a.modules.web.settings.createOptions = '[{"Env":[]}]')), `${W}/settings/createOptions`, 400],
  ['createOptions an array (as value)', broken((_, a) => void (a.modules.web.settings.createOptions = [])), `${W}/settings/createOptions`, 400],
  ['createOptions an object outside a template', broken((_, a) => void (a.modules.web.settings.createOptions = {})), `${W}/settings/createOptions`, 400],
  ['createOptions key with one digit', broken((_, a) => void (a.modules.web.settings.createOptions1 = '')), `${W}/settings/createOptions1`, 400],
  ['bad env key', broken((_, a) => void (a.modules.web.env['LOG.LEVEL'] = { value: 'x' })), `${W}/env/LOG.LEVEL`, 400],
  ['env without value', broken((_, a) => void (a.modules.web.env.GREETING = {})), `${W}/env/GREETING/value`, 400],
  ['env value an object', broken((_, a) => void (a.modules.web.env.GREETING = { value: { a: 1 } })), `${W}/env/GREETING/value`, 400],
  ['registry credential without password', broken((_, a) => void delete a.runtime.settings.registryCredentials.acr.password), `${A}/runtime/settings/registryCredentials/acr/password`, 400],
  ['registry address with whitespace', broken((_, a) => void (a.runtime.settings.registryCredentials.acr.address = 'my registry')), `${A}/runtime/settings/registryCredentials/acr/address`, 400],
  ['routes of the wrong type', broken((_, __, h) => void (h.routes = ['FROM /* INTO $upstream'])), `${H}/routes`, 400],
  ['route a number', broken((_, __, h) => void (h.routes.up = 7)), `${H}/routes/up`, 400],
  ['route object without route', broken((_, __, h) => void (h.routes.prio = { priority: 1 })), `${H}/routes/prio/route`, 400],
  ['route priority out of range', broken((_, __, h) => void (h.routes.prio.priority = 10)), `${H}/routes/prio/priority`, 400],
  ['edgeHub schemaVersion 1.3', broken((_, __, h) => void (h.schemaVersion = '1.3')), `${H}/schemaVersion`, 412],
  ['edgeHub desired missing routes', broken((_, __, h) => void delete h.routes), `${H}/routes`, 400],
  ['edgeHub desired not an object', broken((m) => void (m.modulesContent.$edgeHub['properties.desired'] = 'x')), H, 400],
  ['module twin desired not an object', broken((m) => void (m.modulesContent.web = { 'properties.desired': [] })), '/modulesContent/web/properties.desired', 400],
  ['a JSON array', [manifest()], '', 400],
  ['null', null, '', 400],
  ['a 20 MB string', 'x'.repeat(20 * 1024 * 1024), '', 400],
  ['modulesContent a string', { modulesContent: 'x' }, '/modulesContent', 400],
  ['content not an object', { content: [] }, '/content', 400],
  ['layered deployment without a base', { content: { modulesContent: { $edgeAgent: { 'properties.desired.modules.x': {} } } } }, '/content/modulesContent/$edgeAgent/properties.desired.modules.x', 400],
  ['unresolved ${MODULES.x} in a template', broken((m, a) => void ((m['$schema-template'] = '4.0.0'), (a.modules.web.settings.image = '${MODULES.x}'))), `${W}/settings/image`, 400],
  ['unresolved ${VAR} in a template', broken((m, a) => void ((m['$schema-template'] = '4.0.0'), (a.runtime.settings.registryCredentials.acr.password = '${ACR_PASSWORD}'))), `${A}/runtime/settings/registryCredentials/acr/password`, 400],
  ['bare form: bad status', { ...agentDesired(), modules: { web: { ...agentDesired().modules.web, status: 'on' } } }, '/modules/web/status', 400],
  ['content form: bad status', { content: broken((_, a) => void (a.modules.web.status = 'on')) }, `/content${W}/status`, 400],
];

describe('parseManifest: invalid manifests', () => {
  it('has at least 30 distinct cases', () => {
    expect(new Set(invalid.map(([name]) => name)).size).toBe(invalid.length);
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  it.each(invalid)('%s -> %s (%i)', (_name, doc, pointer, code) => {
    const r = parseManifest(doc);
    expect(r.model).toBeUndefined();
    const main = r.diagnostics.find((d) => d.severity === 'error');
    expect(main).toBeDefined();
    expect({ pointer: main!.pointer, code: main!.code }).toEqual({ pointer, code });
    expect(main!.message.length).toBeGreaterThan(10);
  });
});

describe('parseManifest: valid manifests', () => {
  it('accepts every form with the same model', () => {
    const forms = [
      manifest(),
      { content: manifest() },
      { $edgeAgent: agentDesired(), $edgeHub: hubDesired() },
      manifest().modulesContent,
    ];
    const models = forms.map((f) => parseManifest(f).model);
    for (const m of models) expect(m?.modules.map((x) => x.image)).toEqual(['mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine']);
    expect(parseManifest({ ...agentDesired(), $version: 2 }).model?.edgeHubDesired).toBeUndefined();
  });

  it('accepts object createOptions in a template without placeholders', () => {
    const m = manifest();
    m['$schema-template'] = '4.0.0';
    m.modulesContent.$edgeAgent['properties.desired'].modules.web.settings.createOptions = { Hostname: 'web' };
    expect(parseManifest(m).model?.modules[0]?.createOptions).toEqual({ Hostname: 'web' });
  });
});

describe('parseManifest: never throws', () => {
  /** Every pointer to every value in a document. */
  function paths(doc: unknown, prefix: string[] = []): string[][] {
    if (typeof doc !== 'object' || doc === null) return [prefix];
    return [prefix, ...Object.entries(doc).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  }

  it('returns diagnostics for every value replaced by every JSON type', () => {
    const replacements = [null, 0, -1.5, '', 'x', true, [], [1], {}, { a: 1 }];
    let withErrors = 0;
    for (const path of paths(manifest())) {
      for (const replacement of replacements) {
        const doc = manifest();
        if (path.length === 0) continue;
        let parent: Doc = doc;
        for (const token of path.slice(0, -1)) parent = parent[token];
        parent[path[path.length - 1]!] = replacement;
        const r = parseManifest(doc);
        expect(r.model !== undefined || r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
        if (r.model === undefined) withErrors++;
        for (const d of r.diagnostics) expect(d.pointer === '' || d.pointer.startsWith('/')).toBe(true);
      }
    }
    expect(withErrors).toBeGreaterThan(300);
  });

  it('copes with odd in-memory values and extreme sizes', () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { modules: deep };
    const huge = manifest();
    huge.modulesContent.$edgeAgent['properties.desired'].modules.web.settings.createOptions = '{"a":"' + 'x'.repeat(20 * 1024 * 1024) + '"}';
    for (const doc of [undefined, NaN, () => 1, Symbol('s'), deep, { modulesContent: { $edgeAgent: { 'properties.desired': deep } } }, huge]) {
      expect(() => parseManifest(doc)).not.toThrow();
      const r = parseManifest(doc);
      expect(r.model !== undefined || r.diagnostics.length > 0).toBe(true);
    }
    expect(parseManifest(huge).model?.modules[0]?.createOptions['a']).toHaveLength(20 * 1024 * 1024);
  });
});

describe('loadManifest: real manifests', () => {
  if (CORPUS === undefined) console.log('the manifest corpus (IOTEDGE_K8S_CORPUS or ../shared/corpus) is absent: loading only the vendored SchemaStore files');
  const corpus = CORPUS === undefined ? [] : readdirSync(CORPUS).map((f) => CORPUS + f);
  const files = [...corpus, ...readdirSync(SCHEMA_TESTS).map((f) => SCHEMA_TESTS + f)].filter((f) => f.endsWith('.json'));

  it.each(files)('%s loads or fails with precise diagnostics', async (file) => {
    const r = await loadManifest(file, { env: {} });
    if (r.model === undefined) {
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const d of errors) expect([400, 412, 417]).toContain(d.code);
    }
    // With no environment and no modules/ directory, every placeholder is reported by name.
    const text = readFileSync(file, 'utf8');
    if (r.diagnostics.some((d) => d.rule === 'json')) return;
    for (const [placeholder] of text.matchAll(/\$\{[^}]*\}/g)) {
      expect(r.diagnostics.some((d) => d.rule === 'template-placeholder' && d.message.startsWith(`unresolved placeholder ${placeholder}:`))).toBe(true);
    }
  });

  it('loads the fixture template fully', async () => {
    const r = await loadManifest(FIXTURES + 'template/deployment.template.json', { env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.model?.modules).toHaveLength(2);
  });

  it('throws ManifestLoadError for a file that cannot be read', async () => {
    await expect(loadManifest(FIXTURES + 'missing.json')).rejects.toBeInstanceOf(ManifestLoadError);
  });

  it('turns an unexpected failure into a diagnostic rather than an exception', async () => {
    const options = {
      get layers(): string[] {
        throw new TypeError('options went wrong');
      },
    };
    const r = await loadManifest(FIXTURES + 'layered/base.json', options);
    expect(r).toEqual({ diagnostics: [expect.objectContaining({ pointer: '', code: 400, rule: 'internal' })] });
    expect(r.diagnostics[0]!.message).toContain('TypeError');
  });
});
