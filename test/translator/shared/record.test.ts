import { assignOwn } from '../../../translator/shared/index.js';

describe('assignOwn', () => {
  it('copies the members as a spread does, in the same order, into the target it returns', () => {
    const source = { b: 1, a: 2, 10: 3, 2: 4, 'x/y': 5 };
    const target: Record<string, number> = { z: 0 };
    expect(assignOwn(target, source)).toBe(target);
    expect(Object.entries(target)).toEqual(Object.entries({ z: 0, ...source }));
  });

  it('copies own members only, and nothing from undefined or null', () => {
    const source = Object.create({ inherited: 1 }) as Record<string, number>;
    source.own = 2;
    expect(assignOwn({}, source)).toEqual({ own: 2 });
    expect(assignOwn({ a: 1 }, undefined)).toEqual({ a: 1 });
    expect(assignOwn({ a: 1 }, null)).toEqual({ a: 1 });
  });

  it('copies an own __proto__ member as a member, as a spread does', () => {
    const source = JSON.parse('{"a": 1, "__proto__": 2, "b": 3}') as Record<string, number>;
    const copy = assignOwn({}, source);
    expect(Object.entries(copy)).toEqual(Object.entries({ ...source }));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });
});
