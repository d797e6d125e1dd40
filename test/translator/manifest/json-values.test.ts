import { article, isObject, jsonType, showValue, tooDeepAt, withoutTwinMetadata } from '../../../translator/manifest/json-values.js';

describe('json-values', () => {
  it('tells objects from arrays and null', () => {
    expect([{}, [], null, 'x', 1].map(isObject)).toEqual([true, false, false, false, false]);
    expect([{}, [], null, 'x', 1, true].map(jsonType)).toEqual(['object', 'array', 'null', 'string', 'number', 'boolean']);
  });

  it('shows values briefly, never a huge string in full', () => {
    expect(showValue('abc')).toBe("'abc'");
    expect(showValue(3)).toBe('3');
    expect(showValue([1])).toBe('an array');
    expect(article(null)).toBe('a null');
    const shown = showValue('x'.repeat(1_000_000));
    expect(shown.length).toBeLessThan(70);
  });

  it('drops $version and $metadata only', () => {
    const obj = { $version: 3, $metadata: {}, schemaVersion: '1.1' };
    expect(withoutTwinMetadata(obj)).toEqual({ schemaVersion: '1.1' });
    const plain = { a: 1 };
    expect(withoutTwinMetadata(plain)).toBe(plain);
  });
});

describe('tooDeepAt', () => {
  it('names the first too-deep value met, its keys escaped, searching the last key first', () => {
    expect(tooDeepAt({ a: [[[1]]], 'b/~': [[[1]]] }, 2)).toBe('/b~1~0/0');
    expect(tooDeepAt({ a: [[[1]]], 'b/~': [[[1]]] }, 3)).toBe('/b~1~0/0/0');
    expect(tooDeepAt([[], [[]]], 2)).toBe('/1/0');
    expect(tooDeepAt({ a: [[[1]]] }, 4)).toBeUndefined();
    expect(tooDeepAt({}, 0)).toBe('');
    expect(tooDeepAt('scalar', 0)).toBeUndefined();
  });

  it('leaves an exempt container unwalked only where its height keeps it above the limit, and names the first too-deep value met otherwise', () => {
    const inner = { a: [[[1]]] };
    const doc = { x: inner, y: 1 };
    expect(tooDeepAt(doc, 3)).toBe('/x/a/0');
    expect(tooDeepAt(doc, 3, { value: inner, height: 1 })).toBeUndefined();
    expect(tooDeepAt(doc, 3, { value: inner, height: 2 })).toBe('/x/a/0');
    // Something else too deep: the pointer is the one a walk of everything meets first.
    expect(tooDeepAt({ z: [[[1]]], x: inner }, 3, { value: inner, height: 1 })).toBe('/x/a/0');
    expect(tooDeepAt({ x: inner, z: [[[[1]]]] }, 3, { value: inner, height: 1 })).toBe('/z/0/0');
  });

  it('walks any depth without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { [`k${i % 3}`]: deep, s: i };
    expect(tooDeepAt(deep, 100)).toBe(Array.from({ length: 100 }, (_, i) => `/k${(199_999 - i) % 3}`).join(''));
  });
});
