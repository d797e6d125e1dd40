import { canonicalFragment, hasKeys, nonEmpty, nonEmptyRecord, sortedRecord, withoutUnset } from '../../../translator/translate/canonical.js';
import { assertCanonical } from '../../support/canonical.js';

describe('canonicalFragment', () => {
  it('sorts every key recursively', () => {
    const out = canonicalFragment({ spec: { b: 1, a: { d: 1, c: 2 } }, metadata: { name: 'x' }, data: {} });
    expect(Object.keys(out)).toEqual(['data', 'metadata', 'spec']);
    expect(Object.keys(out.spec)).toEqual(['a', 'b']);
    expect(Object.keys(out.spec.a)).toEqual(['c', 'd']);
  });

  it('drops undefined and null but keeps meaningful empty values', () => {
    const out = canonicalFragment({ a: undefined, b: null, c: '', d: {}, e: [], f: [null, 1, undefined], g: false, h: 0 });
    expect(out).toEqual({ c: '', d: {}, e: [], f: [1], g: false, h: 0 });
    expect(Object.keys(out)).toEqual(['c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('keeps array order', () => {
    expect(canonicalFragment({ list: [3, 1, 2] }).list).toEqual([3, 1, 2]);
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

describe('canonicalFragment without copying', () => {
  it('returns an object already in canonical form as it is', () => {
    const object = { apiVersion: 'v1', kind: 'K', metadata: { labels: { a: '1', b: '2' }, name: 'x' }, spec: { list: [{ a: 1 }, 'x'] } };
    expect(canonicalFragment(object)).toBe(object);
  });

  it('copies only the parts out of order, and keeps the canonical ones shared', () => {
    const fine = { a: 1, b: [1, 2] };
    const object = { apiVersion: 'v1', kind: 'K', metadata: { name: 'x' }, spec: { fine, labels: { z: '1', a: '2' }, n: null } };
    const out = canonicalFragment(object) as unknown as { spec: { fine: unknown; labels: Record<string, string> } };
    expect(out).not.toBe(object);
    expect(out.spec.fine).toBe(fine);
    expect(Object.keys(out.spec.labels)).toEqual(['a', 'z']);
    expect(Object.keys(out.spec)).toEqual(['fine', 'labels']);
    expect(Object.keys(object.spec.labels)).toEqual(['z', 'a']);
  });

  it('orders integer-like keys as a sorted copy always did', () => {
    const out = canonicalFragment({ m: { '9': 1, '10': 2, a: 3 } });
    expect(JSON.stringify(out)).toBe('{"m":{"9":1,"10":2,"a":3}}');
  });

  it('looks at each value once, however deep an out-of-order part is', () => {
    let deep: Record<string, unknown> = { z: 1, a: 2 };
    for (let i = 0; i < 60; i++) deep = { b: deep, a: 1 };
    const started = Date.now();
    const out = canonicalFragment({ deep }) as { deep: Record<string, unknown> };
    expect(Date.now() - started).toBeLessThan(1000);
    expect(Object.keys(out.deep)).toEqual(['a', 'b']);
  });
});

describe('builder helpers', () => {
  it('sortedRecord sorts keys and leaves unset values out, returning a record already in that form as it is', () => {
    const out = sortedRecord({ b: 1, a: 2, c: undefined, d: null });
    expect(Object.keys(out)).toEqual(['a', 'b']);
    const ordered = { a: 1, b: 2 };
    expect(sortedRecord(ordered)).toBe(ordered);
    const withUnset = { a: 1, b: undefined };
    expect(sortedRecord(withUnset)).not.toBe(withUnset);
    expect(sortedRecord(withUnset)).toEqual({ a: 1 });
  });

  it('withoutUnset keeps the order and leaves unset values out', () => {
    expect(Object.keys(withoutUnset({ z: 1, a: undefined, m: null, b: 0 }))).toEqual(['z', 'b']);
  });
});

describe('canonicalFragment of parts from the manifest', () => {
  it('orders a part from the manifest at every level, without the head rule of the top level', () => {
    const out = canonicalFragment({ kind: 'x', apiVersion: 'y', b: [{ z: 1, a: null }, null], a: { d: 1, c: undefined } });
    expect(JSON.stringify(out)).toBe('{"a":{"d":1},"apiVersion":"y","b":[{"z":1}],"kind":"x"}');
  });

  it('returns a canonical part as it is', () => {
    const part = { a: [{ b: 1, c: '2' }], d: {} };
    expect(canonicalFragment(part)).toBe(part);
    const list = [{ a: 1 }, 'x'];
    expect(canonicalFragment(list)).toBe(list);
  });
});

describe('assertCanonical (the test helper that checks what builders promise)', () => {
  it('accepts canonical objects and names the path of the first fault otherwise', () => {
    expect(() => assertCanonical({ apiVersion: 'v1', kind: 'K', metadata: { name: 'x' }, spec: { a: [{ b: 1 }], m: { '9': 1, '10': 2, a: 3 } } })).not.toThrow();
    expect(() => assertCanonical({ kind: 'K', apiVersion: 'v1' })).toThrow("not canonical at '': key 'apiVersion' follows 'kind'");
    expect(() => assertCanonical({ apiVersion: 'v1', spec: { list: [{ b: 1, a: 2 }] } })).toThrow("not canonical at '/spec/list/0': key 'a' follows 'b'");
    expect(() => assertCanonical({ spec: { a: null } })).toThrow("not canonical at '/spec/a': null");
    expect(() => assertCanonical({ spec: [1, undefined] })).toThrow("not canonical at '/spec/1': undefined");
    expect(() => assertCanonical({ data: { kind: 'x', apiVersion: 'y' } })).toThrow("not canonical at '/data': key 'apiVersion' follows 'kind'");
  });
});

describe('hasKeys', () => {
  it('is Object.keys(record).length > 0: own enumerable members only', () => {
    const ownProto: Record<string, unknown> = {};
    Object.defineProperty(ownProto, '__proto__', { value: 1, enumerable: true, writable: true, configurable: true });
    const hidden = Object.defineProperty({}, 'x', { value: 1, enumerable: false });
    const cases: object[] = [{}, { a: 1 }, { a: undefined }, Object.create({ inherited: 1 }) as object, ownProto, hidden, []];
    for (const record of cases) expect(hasKeys(record)).toBe(Object.keys(record).length > 0);
    expect(cases.map(hasKeys)).toEqual([false, true, true, false, true, false, false]);
  });
});
