import { applyMergePatch, diffMergePatch, type JsonObject } from '../../../sandbox/hub/json.js';

describe('JSON merge patch', () => {
  test('null deletes, objects merge, other values replace', () => {
    const target: JsonObject = { a: 1, b: { c: 2, d: 3 }, e: [1, 2] };
    expect(applyMergePatch(target, { a: null, b: { c: null, x: 'y' }, e: [3] })).toEqual({ b: { d: 3, x: 'y' }, e: [3] });
    expect(target).toEqual({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] });
  });

  test('a non-object patch replaces the whole target', () => {
    expect(applyMergePatch({ a: 1 }, 'text')).toBe('text');
  });

  test('diff produces the patch that turns one document into the other', () => {
    const from: JsonObject = { keep: 1, drop: { x: 1 }, nested: { same: true, changed: 'a', gone: 1 }, list: [1] };
    const to: JsonObject = { keep: 1, nested: { same: true, changed: 'b' }, list: [1, 2], added: { y: 2 } };
    const patch = diffMergePatch(from, to);
    expect(patch).toEqual({ drop: null, nested: { changed: 'b', gone: null }, list: [1, 2], added: { y: 2 } });
    expect(applyMergePatch(from, patch)).toEqual(to);
  });
});
