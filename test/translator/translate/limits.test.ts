import { checkObjectLimits, MAX_OBJECT_BYTES } from '../../../translator/translate/limits.js';
import { canonicalSized } from '../../../translator/translate/canonical.js';
import { Issues } from '../../../translator/translate/issues.js';
import type { KubeObject } from '../../../translator/translate/index.js';

const utf8 = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

function configMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', namespace: 'n' }, data } as unknown as KubeObject;
}

/** The size bound translate() passes: the one its canonical walk finds. */
const boundOf = (object: KubeObject): number => canonicalSized(object).bound;

describe('checkObjectLimits', () => {
  it('finds an object over 1.5 MiB whose string lengths alone are under it (escaped control characters)', () => {
    const object = configMap({ k: '\u0001'.repeat(300_000) });
    expect(JSON.stringify(object).length).toBeGreaterThan(MAX_OBJECT_BYTES);
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues, [boundOf(object)]);
    expect(issues.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', pointer: '/p', message: `ConfigMap 'm' would take ${utf8(object)} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)` }),
    ]);
  });

  it('finds an object over 1.5 MiB of three-byte characters', () => {
    const object = configMap({ k: '中'.repeat(600_000) });
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues, [boundOf(object)]);
    expect(issues.diagnostics.map((d) => d.message)).toEqual([`ConfigMap 'm' would take ${utf8(object)} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`]);
  });

  it('passes an object just under the limit whose bound is over it', () => {
    const object = configMap({ k: 'x'.repeat(MAX_OBJECT_BYTES - 200) });
    expect(boundOf(object)).toBeGreaterThan(MAX_OBJECT_BYTES);
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues, [boundOf(object)]);
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
      checkObjectLimits([object], '/p', issues, [boundOf(object)]);
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
