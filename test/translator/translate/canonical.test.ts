import { canonical, canonicalSized, hasKeys, nonEmpty, nonEmptyRecord, shareCanonical, sortedRecord, withoutUnset } from '../../../translator/translate/canonical.js';

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

describe('canonical without copying', () => {
  it('returns an object already in canonical form as it is', () => {
    const object = { apiVersion: 'v1', kind: 'K', metadata: { labels: { a: '1', b: '2' }, name: 'x' }, spec: { list: [{ a: 1 }, 'x'] } };
    expect(canonical(object)).toBe(object);
  });

  it('copies only the parts out of order, and keeps the canonical ones shared', () => {
    const fine = { a: 1, b: [1, 2] };
    const object = { apiVersion: 'v1', kind: 'K', metadata: { name: 'x' }, spec: { fine, labels: { z: '1', a: '2' }, n: null } };
    const out = canonical(object) as unknown as { spec: { fine: unknown; labels: Record<string, string> } };
    expect(out).not.toBe(object);
    expect(out.spec.fine).toBe(fine);
    expect(Object.keys(out.spec.labels)).toEqual(['a', 'z']);
    expect(Object.keys(out.spec)).toEqual(['fine', 'labels']);
    expect(Object.keys(object.spec.labels)).toEqual(['z', 'a']);
  });

  it('orders integer-like keys as a sorted copy always did', () => {
    const out = canonical({ m: { '9': 1, '10': 2, a: 3 } });
    expect(JSON.stringify(out)).toBe('{"m":{"9":1,"10":2,"a":3}}');
  });

  it('puts a misplaced head key first at the top level only', () => {
    const out = canonical({ kind: 'K', apiVersion: 'v1', metadata: { name: 'x' }, data: { kind: 'x', apiVersion: 'y' } });
    expect(JSON.stringify(out)).toBe('{"apiVersion":"v1","kind":"K","metadata":{"name":"x"},"data":{"apiVersion":"y","kind":"x"}}');
  });

  it('looks at each value once, however deep an out-of-order part is', () => {
    let deep: Record<string, unknown> = { z: 1, a: 2 };
    for (let i = 0; i < 60; i++) deep = { b: deep, a: 1 };
    const started = Date.now();
    const out = canonical({ deep }) as { deep: Record<string, unknown> };
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

describe('canonicalSized', () => {
  const utf8 = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
  it.each([
    ['ASCII, already canonical', { apiVersion: 'v1', kind: 'K', metadata: { name: 'x' }, spec: { a: 'x'.repeat(100), b: [1, -2.2250738585072014e-308, true, {}], c: { d: [] } } }],
    ['keys out of order and unset values (copied)', { spec: { z: null, b: [null, 'x', undefined, { y: 1, x: undefined }], a: undefined }, kind: 'K' }],
    ['control characters (6 bytes each in JSON)', { '\u0001\u0002': '\u0001'.repeat(1000) }],
    ['three-byte characters', { 'ключ': '中'.repeat(1000) }],
    ['surrogate pairs and lone surrogates', { e: '😀'.repeat(500) + '\ud800' }],
    ['quotes and backslashes', { q: '"\\'.repeat(500) }],
  ])('gives canonical() and a bound of the UTF-8 size of its JSON: %s', (_what, value) => {
    const { object, bound } = canonicalSized(value);
    expect(object).toEqual(canonical(value));
    expect(bound).toBeGreaterThanOrEqual(utf8(object));
  });

  it('takes shared canonical parts as they are, with the same bound as a walk of them', () => {
    const labels = { a: 'x', b: '中'.repeat(10) };
    const selector = { a: 'x' };
    const unsorted = { z: 1, y: 2 };
    const object = () => ({ apiVersion: 'v1', kind: 'K', metadata: { labels, name: 'n' }, spec: { selector, list: [labels, unsorted], unsorted } });
    const plain = canonicalSized(object());
    shareCanonical([labels, selector, unsorted]);
    try {
      const value = object();
      const sized = canonicalSized(value);
      expect(sized.bound).toBe(plain.bound);
      expect(sized.object).toEqual(plain.object);
      expect(sized.object.metadata.labels).toBe(labels);
      expect(sized.object.spec.list[0]).toBe(labels);
      expect(sized.object.spec.selector).toBe(selector);
      // A part that is not canonical is not remembered: it is copied in order, as without sharing.
      expect(Object.keys(sized.object.spec.unsorted)).toEqual(['y', 'z']);
      expect(Object.keys(sized.object.spec.list[1]!)).toEqual(['y', 'z']);
    } finally {
      shareCanonical([]);
    }
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
