import { article, isObject, jsonType, showValue, withoutTwinMetadata } from '../../../translator/manifest/json-values.js';

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
