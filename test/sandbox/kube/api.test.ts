/**
 * jsonOf: the JSON text of stored objects, put together from the cached texts of their parts,
 * is exactly JSON.stringify's.
 */
import { describe, expect, test } from '@jest/globals';
import { jsonOf } from '../../../sandbox/kube/api.js';

describe('jsonOf', () => {
  test('gives the text JSON.stringify gives, whatever the values', () => {
    const cases: object[] = [
      { a: 1, b: undefined, c: () => 1, d: Symbol('x'), e: null, f: [1, undefined, () => 2], g: { h: undefined, i: new Date(0) }, j: 'x"y', 'k"': true, l: NaN },
      [],
      {},
      { only: undefined },
      { x: { toJSON: () => 'T' } },
      new Date(5),
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', labels: { app: 'a' } }, spec: { containers: [{ name: 'c' }] }, status: {} },
    ];
    for (const c of cases) expect(jsonOf(c)).toBe(JSON.stringify(c));
  });

  test('a version sharing a part with the one before reuses its text and still prints its own fields', () => {
    const spec = { replicas: 1, template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } };
    const first = { metadata: { name: 'd', resourceVersion: '1' }, spec, status: { replicas: 0 } };
    const second = { ...first, metadata: { ...first.metadata, resourceVersion: '2' }, status: { replicas: 1 } };
    expect(jsonOf(first)).toBe(JSON.stringify(first));
    expect(jsonOf(second)).toBe(JSON.stringify(second));
    expect(jsonOf(second)).toContain('"resourceVersion":"2"');
  });
});
