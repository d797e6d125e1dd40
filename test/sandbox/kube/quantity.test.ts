import { describe, expect, test } from '@jest/globals';
import { canonicalQuantity } from '../../../sandbox/kube/quantity.js';

describe('canonicalQuantity (apimachinery resource.Quantity rules)', () => {
  test.each([
    [0.5, '500m'],
    [1, '1'],
    [1000, '1k'],
    [1500, '1500'],
    [268435456, '268435456'],
    [0, '0'],
    [1e21, '1e21'],
    ['100m', '100m'],
    ['1000m', '1'],
    ['0.1', '100m'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['0.1Ki', '102400m'],
    ['1000Ki', '1000Ki'],
    ['512Ki', '512Ki'],
    ['1Ki', '1Ki'],
    ['100Ki', '100Ki'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['12E', '12E'],
    ['0.0000000001', '1n'],
    ['-0.5', '-500m'],
    [' 2G ', '2G'],
    ['.5', '500m'],
    ['0Mi', '0'],
  ])('%p -> %p', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  test.each(['', 'lots', '1.5.5', '1Kb', '1 Gi', 'e3', '.', Number.NaN])('%p is not a quantity', (input) => {
    expect(canonicalQuantity(input)).toBeUndefined();
  });
});
