import { canonical, nonEmpty, nonEmptyRecord } from '../../../translator/translate/canonical.js';

describe('canonical', () => {
  it('puts apiVersion, kind, metadata first and sorts every other key recursively', () => {
    const out = canonical({ spec: { b: 1, a: { d: 1, c: 2 } }, metadata: { name: 'x' }, kind: 'K', apiVersion: 'v1', data: {} });
    expect(Object.keys(out)).toEqual(['apiVersion', 'kind', 'metadata', 'data', 'spec']);
    expect(Object.keys(out.spec)).toEqual(['a', 'b']);
    expect(Object.keys(out.spec.a)).toEqual(['c', 'd']);
  });

  it('drops undefined and null but keeps meaningful empty values', () => {
    const out = canonical({ a: undefined, b: null, c: '', d: {}, e: [], f: [null, 1, undefined], g: false, h: 0 });
    expect(out).toEqual({ c: '', d: {}, e: [], f: [1], g: false, h: 0 });
    expect(Object.keys(out)).toEqual(['c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('keeps array order', () => {
    expect(canonical({ list: [3, 1, 2] }).list).toEqual([3, 1, 2]);
  });
});

describe('nonEmpty helpers', () => {
  it('turn empty collections into undefined', () => {
    expect(nonEmpty([])).toBeUndefined();
    expect(nonEmpty([1])).toEqual([1]);
    expect(nonEmptyRecord({})).toBeUndefined();
    expect(nonEmptyRecord({ a: 1 })).toEqual({ a: 1 });
  });
});
