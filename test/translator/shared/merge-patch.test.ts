/** Minimal JSON merge patches (RFC 7386) between reported documents. */
import { applyMergePatch, mergePatch } from '../../../translator/shared/index.js';

describe('mergePatch', () => {
  test('equal documents give no patch (member order ignored)', () => {
    expect(mergePatch({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBeUndefined();
  });

  test('only changed leaves are sent; removed members are null', () => {
    const acknowledged = { lastDesiredVersion: 3, modules: { a: { runtimeStatus: 'running', restartCount: 0 }, b: { runtimeStatus: 'running' } } };
    const next = { lastDesiredVersion: 3, modules: { a: { runtimeStatus: 'backoff', restartCount: 1 }, c: { runtimeStatus: 'unknown' } } };
    expect(mergePatch(acknowledged, next)).toEqual({ modules: { a: { runtimeStatus: 'backoff', restartCount: 1 }, b: null, c: { runtimeStatus: 'unknown' } } });
  });

  test('arrays and type changes replace the whole value', () => {
    expect(mergePatch({ x: [1, 2, 3], y: { z: 1 } }, { x: [1, 2], y: 'flat' })).toEqual({ x: [1, 2], y: 'flat' });
    expect(mergePatch({ y: 'flat' }, { y: { z: 1 } })).toEqual({ y: { z: 1 } });
  });

  test('non-object roots: the patch is the next value', () => {
    expect(mergePatch(1, 2)).toBe(2);
    expect(mergePatch('a', 'a')).toBeUndefined();
  });

  test('applying the patch to the acknowledged document gives the next document', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{}, { a: { b: { c: 1 } } }],
      [{ a: { b: { c: 1, d: 2 } }, e: [1] }, { a: { b: { d: 3 } }, f: true }],
      [{ modules: { a: {}, b: {} } }, { modules: {} }],
    ];
    for (const [acknowledged, next] of cases) {
      const patch = mergePatch(acknowledged, next);
      expect(applyMergePatch(acknowledged, patch)).toEqual(next);
      expect(JSON.stringify(patch).length).toBeLessThanOrEqual(JSON.stringify(next).length + JSON.stringify(acknowledged).length);
    }
  });

  test('applyMergePatch never mutates its input', () => {
    const target = { a: { b: 1 } };
    applyMergePatch(target, { a: { b: null, c: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});
