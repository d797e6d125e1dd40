import { sortBy, sortedKeys, sortStrings } from '../../../translator/shared/index.js';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const WORDS = ['b', 'a', 'B', 'é', 'aa', '', 'a-b', 'a/b', '\u{1F600}', '\uFFFF', 'z', '10', '9'];

describe('sortStrings, sortBy, sortedKeys', () => {
  it('order strings as Array.prototype.sort does, short lists and long ones', () => {
    const next = random(7);
    for (let t = 0; t < 500; t++) {
      const items = Array.from({ length: Math.floor(next() * 30) }, () => WORDS[Math.floor(next() * WORDS.length)]!);
      expect(sortStrings([...items])).toEqual([...items].sort());
    }
  });

  it('are stable with a compare function, as Array.prototype.sort is', () => {
    const next = random(11);
    for (let t = 0; t < 500; t++) {
      const items = Array.from({ length: Math.floor(next() * 30) }, (_, i) => ({ port: Math.floor(next() * 5), at: i }));
      const byPort = (a: { port: number }, b: { port: number }): number => a.port - b.port;
      expect(sortBy([...items], byPort)).toEqual([...items].sort(byPort));
    }
  });

  it('sort in place and return the same array', () => {
    const items = ['c', 'a', 'b'];
    expect(sortStrings(items)).toBe(items);
    expect(items).toEqual(['a', 'b', 'c']);
    const nums = [3, 1, 2];
    expect(sortBy(nums, (a, b) => a - b)).toBe(nums);
    expect(nums).toEqual([1, 2, 3]);
  });

  it('sortedKeys gives the sorted own keys', () => {
    expect(sortedKeys({ b: 1, a: 2, B: 3, 10: 4, 9: 5 })).toEqual(['10', '9', 'B', 'a', 'b']);
    expect(sortedKeys({})).toEqual([]);
  });
});
