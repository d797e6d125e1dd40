import { BYTES_PER_INPUT_UNIT, checkObjectLimits, inputUnits, MAX_OBJECT_BYTES, moduleSizeBound, OBJECT_OVERHEAD_BYTES, UNITS_PER_TEXT_CHARACTER } from '../../../translator/translate/limits.js';
import { translate } from '../../../translator/translate/index.js';
import { withDefaults } from '../../../translator/translate/options.js';
import type { ModuleModel } from '../../../translator/manifest/index.js';
import { co, deploymentModel, moduleModel, translateOne } from './builders.js';
import { Issues } from '../../../translator/translate/issues.js';
import { translate as translateText } from '../../../translator/index.js';
import { deploymentManifest, dockerModule } from '../../support/manifest.js';
import type { KubeObject } from '../../../translator/translate/index.js';

const utf8 = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

function configMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', namespace: 'n' }, data } as unknown as KubeObject;
}

/** A bound over the limit, as translate() passes for a module whose inputs could make objects that big (see moduleSizeBound). */
const boundOf = (object: KubeObject): number => Math.max(MAX_OBJECT_BYTES + 1, 6 * JSON.stringify(object).length);

describe('checkObjectLimits', () => {
  it('finds an object over 1.5 MiB whose string lengths alone are under it (escaped control characters)', () => {
    const object = configMap({ k: '\u0001'.repeat(300_000) });
    expect(JSON.stringify(object).length).toBeGreaterThan(MAX_OBJECT_BYTES);
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues, boundOf(object));
    expect(issues.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', pointer: '/p', message: `ConfigMap 'm' would take ${utf8(object)} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)` }),
    ]);
  });

  it('finds an object over 1.5 MiB of three-byte characters', () => {
    const object = configMap({ k: '中'.repeat(600_000) });
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues, boundOf(object));
    expect(issues.diagnostics.map((d) => d.message)).toEqual([`ConfigMap 'm' would take ${utf8(object)} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`]);
  });

  it('checks the objects from `from` on: those before it belong to other modules', () => {
    const object = configMap({ k: '\u0001'.repeat(300_000) });
    const issues = new Issues();
    checkObjectLimits([object, configMap({})], '/p', issues, boundOf(object), 1);
    expect(issues.diagnostics).toEqual([]);
    checkObjectLimits([configMap({}), object], '/p', issues, boundOf(object), 1);
    expect(issues.diagnostics.map((d) => d.pointer)).toEqual(['/p']);
  });

  it('passes an object just under the limit whose bound is over it', () => {
    const object = configMap({ k: 'x'.repeat(MAX_OBJECT_BYTES - 200) });
    expect(boundOf(object)).toBeGreaterThan(MAX_OBJECT_BYTES);
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues, boundOf(object));
    expect(issues.diagnostics).toEqual([]);
  });
});

describe('checkObjectLimits: annotations', () => {
  it('names the object, or its pod template, whose annotations pass 256 KiB', () => {
    const big = { 'example.com/a': 'x'.repeat(200 * 1024), 'example.com/b': 'y'.repeat(60 * 1024) };
    const small = { 'example.com/a': 'x' };
    const deployment = (metadata: Record<string, string>, template: Record<string, string>): KubeObject =>
      ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'n', annotations: metadata }, spec: { template: { metadata: { annotations: template }, spec: { containers: [] } } } }) as unknown as KubeObject;
    const messages = (object: KubeObject): string[] => {
      const issues = new Issues();
      checkObjectLimits([object], '/p', issues, boundOf(object));
      expect(issues.diagnostics.every((d) => d.pointer === '/p/Labels' && d.severity === 'error')).toBe(true);
      return issues.diagnostics.map((d) => d.message);
    };
    const size = utf8Size(big);
    expect(messages(deployment(small, small))).toEqual([]);
    expect(messages(deployment(big, small))).toEqual([`the annotations of Deployment 'web' (createOptions Labels) take ${size} bytes; Kubernetes allows 262144 (256 KiB) in total`]);
    expect(messages(deployment(small, big))).toEqual([`the annotations of Deployment 'web' pod template (createOptions Labels) take ${size} bytes; Kubernetes allows 262144 (256 KiB) in total`]);
    // Three-byte characters: 90,000 of them take 270,000 bytes, 80,000 take 240,000.
    const wide = (n: number) => ({ 'example.com/w': '中'.repeat(n) });
    expect(messages(deployment(wide(90_000), small))).toEqual([`the annotations of Deployment 'web' (createOptions Labels) take ${utf8Size(wide(90_000))} bytes; Kubernetes allows 262144 (256 KiB) in total`]);
    expect(messages(deployment(wide(80_000), small))).toEqual([]);
  });
});

/** Bytes of the keys and values of annotations. */
function utf8Size(annotations: Record<string, string>): number {
  return Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

describe('translate(): the 1.5 MiB check on real objects, with the bound found from the inputs', () => {
  const workloadSize = (env: string): number => utf8(translateOne({}, { env: [{ name: 'BIG', value: env }] }).workload);
  const sizeError = (size: number) => `Deployment 'mod' would take ${size} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`;

  it('refuses a Deployment one byte over the limit, with its exact size, and passes one exactly at it', () => {
    const fixed = workloadSize('');
    const at = 'x'.repeat(MAX_OBJECT_BYTES - fixed);
    expect(workloadSize(at)).toBe(MAX_OBJECT_BYTES);
    const ok = translateOne({}, { env: [{ name: 'BIG', value: at }] });
    expect(ok.errors).toEqual([]);
    expect(ok.workload).toBeDefined();
    const over = translateOne({}, { env: [{ name: 'BIG', value: `${at}x` }] });
    expect(over.errors.map((d) => [d.pointer, d.message])).toEqual([[co(), sizeError(MAX_OBJECT_BYTES + 1)]]);
    expect(over.objects).toEqual([]);
  });

  it('counts escaped control characters (6 bytes each) and three-byte characters at their real size', () => {
    const fixed = workloadSize('');
    // 270,000 UTF-16 units: under the limit as a string, over it as JSON (\u0001) and as UTF-8 (中).
    const control = translateOne({}, { env: [{ name: 'BIG', value: '\u0001'.repeat(270_000) }] });
    expect(control.errors.map((d) => d.message)).toEqual([sizeError(fixed + 6 * 270_000)]);
    const wide = translateOne({}, { env: [{ name: 'BIG', value: '中'.repeat(530_000) }] });
    expect(wide.errors.map((d) => d.message)).toEqual([sizeError(fixed + 3 * 530_000)]);
  });
});

describe('the 1.5 MiB check from a manifest text (translate(text), as the CLI runs it)', () => {
  const manifest = (createOptions: Record<string, unknown>): string =>
    JSON.stringify(deploymentManifest({ modules: { big: dockerModule('contoso.azurecr.io/big:1', { settings: { image: 'contoso.azurecr.io/big:1', createOptions: JSON.stringify(createOptions) } }) } }));
  const affinity = (n: number) => ({ 'k8s-experimental': { affinity: { nodeAffinity: { x: 'a'.repeat(n) } } } });
  const deployment = (out: { objects: readonly KubeObject[] }) => out.objects.find((o) => o.kind === 'Deployment');

  it('passes a Deployment exactly at the limit and refuses one a byte over it, with its exact size', async () => {
    const fixed = utf8(deployment(await translateText(manifest(affinity(0)))));
    const at = await translateText(manifest(affinity(MAX_OBJECT_BYTES - fixed)));
    expect(at.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(utf8(deployment(at))).toBe(MAX_OBJECT_BYTES);
    const over = await translateText(manifest(affinity(MAX_OBJECT_BYTES - fixed + 1)));
    expect(over.valid).toBe(false);
    expect(over.diagnostics.map((d) => d.message)).toEqual([`Deployment 'big' would take ${MAX_OBJECT_BYTES + 1} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`]);
  });
});

describe('moduleSizeBound: an upper bound of every object of a module, from its inputs', () => {
  const options = withDefaults({});
  const size = (objects: readonly KubeObject[], kind: string): number => Math.max(0, ...objects.filter((o) => o.kind === kind).map(utf8));
  /** Modules made of many of the smallest items of one kind, the worst case for a bound per unit of input. */
  const cases: [string, (n: number) => { createOptions?: Record<string, unknown>; overrides?: Partial<ModuleModel> }][] = [
    ['host binds', (n) => ({ createOptions: { HostConfig: { Binds: range(n).map((i) => `/${i}:/${i}`) } } })],
    ['named volumes', (n) => ({ createOptions: { HostConfig: { Binds: range(n).map((i) => `v${i}:/${i}`) } } })],
    ['Volumes', (n) => ({ createOptions: { Volumes: Object.fromEntries(range(n).map((i) => [`/${i}`, {}])) } })],
    ['Tmpfs', (n) => ({ createOptions: { HostConfig: { Tmpfs: Object.fromEntries(range(n).map((i) => [`/${i}`, ''])) } } })],
    ['Devices', (n) => ({ createOptions: { HostConfig: { Devices: range(n).map((i) => ({ PathOnHost: `/${i}`, PathInContainer: `/${i}`, CgroupPermissions: 'r' })) } } })],
    ['ExposedPorts', (n) => ({ createOptions: { ExposedPorts: Object.fromEntries(range(n).map((i) => [`${i + 1}/udp`, {}])) } })],
    ['PortBindings', (n) => ({ createOptions: { HostConfig: { PortBindings: Object.fromEntries(range(n).map((i) => [`${i + 1}/tcp`, [{ HostPort: `${i + 1}` }]])) } } })],
    ['createOptions Env', (n) => ({ createOptions: { Env: range(n).map((i) => `A${i}=`) } })],
    ['module env', (n) => ({ overrides: { env: range(n).map((i) => ({ name: `A${i}`, value: '' })) } })],
    ['Labels', (n) => ({ createOptions: { Labels: Object.fromEntries(range(n).map((i) => [`a${i}`, ''])) } })],
    ['Labels of control characters', (n) => ({ createOptions: { Labels: { a: '\u0001'.repeat(n) } } })],
    ['ExtraHosts', (n) => ({ createOptions: { HostConfig: { ExtraHosts: range(n).map((i) => `h${i}:10.0.${i >> 8}.${i & 255}`) } } })],
    ['Dns, DnsSearch, DnsOptions, CapAdd', (n) => ({ createOptions: { HostConfig: { Dns: range(n).map((i) => `10.0.${i >> 8}.${i & 255}`), DnsSearch: range(n).map((i) => `s${i}`), DnsOptions: range(n).map((i) => `o${i}`), CapAdd: range(n).map((i) => `C${i}`) } } })],
    ['Cmd and Entrypoint', (n) => ({ createOptions: { Cmd: range(n).map(() => ''), Entrypoint: range(n).map(() => '') } })],
    ['k8s-experimental tolerations and nodeSelector', (n) => ({ createOptions: { 'k8s-experimental': { tolerations: range(n).map(() => ({ key: 'k' })), nodeSelector: Object.fromEntries(range(n).map((i) => [`n${i}`, ''])) } } })],
    ['k8s-experimental numbers', (n) => ({ createOptions: { 'k8s-experimental': { affinity: { a: range(n).map(() => 1e21) } } } })],
    ['a long module name', (n) => ({ overrides: { name: 'm'.repeat(n) } })],
    ['a long version and image', (n) => ({ overrides: { version: 'v'.repeat(n), image: `r/${'i'.repeat(n)}:1` } })],
  ];

  it.each(cases)('holds for %s, with a wide margin per unit of input', (_what, make) => {
    const translated = (n: number) => {
      const { createOptions = {}, overrides = {} } = make(n);
      const model = moduleModel(overrides.name ?? 'mod', createOptions, overrides);
      const result = translate(deploymentModel([model]));
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return { objects: result.objects, bound: moduleSizeBound(model, options, []) };
    };
    const none = translated(1);
    const many = translated(400);
    const units = (many.bound - none.bound) / BYTES_PER_INPUT_UNIT;
    let worst = 0;
    for (const kind of new Set(many.objects.map((o) => o.kind))) {
      if (kind === 'PersistentVolumeClaim') continue; // one per volume, not the module's: see the claim case below
      for (const object of many.objects.filter((o) => o.kind === kind)) expect(utf8(object)).toBeLessThanOrEqual(many.bound);
      for (const object of none.objects.filter((o) => o.kind === kind)) expect(utf8(object)).toBeLessThanOrEqual(none.bound);
      worst = Math.max(worst, (size(many.objects, kind) - size(none.objects, kind)) / units);
    }
    // Bytes per unit of input: BYTES_PER_INPUT_UNIT leaves at least four times the worst case found.
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(BYTES_PER_INPUT_UNIT / 4);
    // The objects of a module with no input are far inside the overhead.
    expect(Math.max(...none.objects.map(utf8))).toBeLessThan(OBJECT_OVERHEAD_BYTES / 8);
  });
});

describe('moduleSizeBound from the length of the createOptions text', () => {
  const options = withDefaults({});
  /** Texts most dense in units per character: one-digit numbers, empty keys and strings, escapes. */
  const dense = [
    '[1,1,1,1,1,1,1,1,1,1]',
    '{"":1,"":2}',
    '{"a":[],"b":{},"c":""}',
    '[[[[[[[[]]]]]]]]',
    '["","","",""]',
    '{"a":"\\u0001\\u0002"}',
    '{"k":[0,-1,2e5,1.5,true,false,null]}',
    '1',
    '""',
  ];

  it.each(dense)('counts at most UNITS_PER_TEXT_CHARACTER units per character of %s', (text) => {
    expect(inputUnits(JSON.parse(text))).toBeLessThanOrEqual(UNITS_PER_TEXT_CHARACTER * text.length);
  });

  /** The lenient reader's forms (edgeAgent's Newtonsoft.Json reads them), with the value it builds. */
  const lenient: [string, unknown][] = [
    ["{a:1,b:NaN,c:Infinity,d:-Infinity,e:0x1f,f:07,'g':'h',}", { a: 1, b: Number.NaN, c: Infinity, d: -Infinity, e: 31, f: 7, g: 'h' }],
    ['{/* c */"a":[1,2,],// d\n"b":undefined}', { a: [1, 2], b: null }],
  ];

  it.each(lenient)('counts at most UNITS_PER_TEXT_CHARACTER units per character of lenient %s', (text, value) => {
    expect(inputUnits(value)).toBeLessThanOrEqual(UNITS_PER_TEXT_CHARACTER * text.length);
  });

  it('is at least the bound of the walk, and is the walk once it passes the limit', () => {
    const small = { HostConfig: { Binds: range(50).map((i) => `/${i}:/${i}`) }, Env: ['A=1'] };
    const text = JSON.stringify(small);
    const walked = moduleSizeBound(moduleModel('mod', small), options, ['pull-a']);
    const fromText = moduleSizeBound(moduleModel('mod', small, { createOptionsLength: text.length }), options, ['pull-a']);
    expect(fromText).toBeGreaterThanOrEqual(walked);
    expect(fromText).toBeLessThanOrEqual(MAX_OBJECT_BYTES);
    // A text whose bound passes the limit: the walk decides (a tighter bound, so no serialization).
    const large = { Labels: { a: 'x'.repeat(10_000) } };
    const longText = JSON.stringify(large);
    expect(OBJECT_OVERHEAD_BYTES + BYTES_PER_INPUT_UNIT * UNITS_PER_TEXT_CHARACTER * longText.length).toBeGreaterThan(MAX_OBJECT_BYTES);
    const model = moduleModel('mod', large, { createOptionsLength: longText.length });
    expect(moduleSizeBound(model, options, [])).toBe(moduleSizeBound(moduleModel('mod', large), options, []));
    expect(moduleSizeBound(model, options, [])).toBeLessThanOrEqual(MAX_OBJECT_BYTES);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
