/** Exponential backoff with jitter. */
import { backoffDelay } from '../../../translator/shared/index.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, jittered within bounds', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 500 }, mid))).toEqual([100, 200, 400, 500, 500]);
    expect(backoffDelay(1, { initialMs: 100, jitter: 0.2 }, () => 0)).toBe(80);
    expect(backoffDelay(1, { initialMs: 100, jitter: 0.2 }, () => 0.999999)).toBe(120);
  });
});
