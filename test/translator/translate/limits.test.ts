import { checkObjectLimits, jsonBytesBound, MAX_OBJECT_BYTES } from '../../../translator/translate/limits.js';
import { Issues } from '../../../translator/translate/issues.js';
import type { KubeObject } from '../../../translator/translate/index.js';

const utf8 = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

function configMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', namespace: 'n' }, data } as unknown as KubeObject;
}

describe('jsonBytesBound', () => {
  it.each([
    ['ASCII', { a: 'x'.repeat(100), b: [1, -2.2250738585072014e-308, true, null, {}], c: { d: [] } }],
    ['control characters (6 bytes each in JSON)', { '\u0001\u0002': '\u0001'.repeat(1000) }],
    ['three-byte characters', { 'ключ': '中'.repeat(1000) }],
    ['surrogate pairs and lone surrogates', { e: '😀'.repeat(500) + '\ud800' }],
    ['quotes and backslashes', { q: '"\\'.repeat(500) }],
  ])('is at least the UTF-8 size of JSON.stringify: %s', (_what, value) => {
    expect(jsonBytesBound(value)).toBeGreaterThanOrEqual(utf8(value));
  });
});

describe('checkObjectLimits', () => {
  it('finds an object over 1.5 MiB whose string lengths alone are under it (escaped control characters)', () => {
    const object = configMap({ k: '\u0001'.repeat(300_000) });
    expect(JSON.stringify(object).length).toBeGreaterThan(MAX_OBJECT_BYTES);
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues);
    expect(issues.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', pointer: '/p', message: `ConfigMap 'm' would take ${utf8(object)} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)` }),
    ]);
  });

  it('finds an object over 1.5 MiB of three-byte characters', () => {
    const object = configMap({ k: '中'.repeat(600_000) });
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues);
    expect(issues.diagnostics.map((d) => d.message)).toEqual([`ConfigMap 'm' would take ${utf8(object)} bytes; Kubernetes stores objects of at most ${MAX_OBJECT_BYTES} bytes (1.5 MiB)`]);
  });

  it('passes an object just under the limit whose bound is over it', () => {
    const object = configMap({ k: 'x'.repeat(MAX_OBJECT_BYTES - 200) });
    expect(jsonBytesBound(object)).toBeGreaterThan(MAX_OBJECT_BYTES);
    const issues = new Issues();
    checkObjectLimits([object], '/p', issues);
    expect(issues.diagnostics).toEqual([]);
  });
});
