import { numberToQuantity, quantityString, volumeWithQuantityStrings } from '../../../translator/translate/quantity.js';
import { parseQuantity } from '../../../translator/translate/resources.js';

describe('numberToQuantity', () => {
  it.each([
    [0, '0'], [1, '1'], [2, '2'], [0.5, '500m'], [0.25, '250m'], [1.5, '1500m'], [0.1, '100m'], [1000, '1k'], [1500, '1500'],
    [2000000, '2M'], [268435456, '268435456'], [1073741824, '1073741824'], [123.456, '123456m'], [1e-9, '1n'], [1e-10, '1n'],
    [1.0000000001, '1000000001n'], [5e18, '5E'], [1e21, '1000E'],
    [10, '10'], [100, '100'], [4000, '4k'], [40000, '40k'], [999000, '999k'], [10000000, '10M'], [1e15, '1P'], [9e15, '9P'],
    [9007199254740991, '9007199254740991'], [9007199254740992, '9007199254740992'],
  ])('%p -> %p, the string the API server stores', (n, q) => {
    expect(numberToQuantity(n)).toBe(q);
  });

  it('keeps the value (to the nano)', () => {
    for (const n of [0.001, 3.14159, 42, 1e6, 7.5e-7, 65536]) expect(parseQuantity(numberToQuantity(n)!)).toBeCloseTo(n, 9);
  });

  it('refuses what is not a quantity', () => {
    for (const n of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(numberToQuantity(n)).toBeUndefined();
  });

  it('leaves strings as written', () => {
    expect(quantityString('1Gi')).toBe('1Gi');
    expect(quantityString(4)).toBe('4');
  });

  it('turns quantities inside Volume fragments into strings', () => {
    expect(volumeWithQuantityStrings({ name: 'a', emptyDir: { medium: 'Memory', sizeLimit: 1048576 } })).toEqual({ name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '1048576' } });
    const eph = { name: 'e', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: 1000000000 } } } } } };
    expect(volumeWithQuantityStrings(eph)).toEqual({ name: 'e', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1G' } } } } } });
  });
});
