import { assembleCreateOptions, chunkKey } from '../../../translator/manifest/create-options.js';
import { chunked } from './fixtures.js';

const S = '/m/settings';
const big = JSON.stringify({ Env: Array.from({ length: 150 }, (_, i) => `VARIABLE_${i}=value-${i}`), HostConfig: { Privileged: true } });

describe('assembleCreateOptions', () => {
  it('joins chunks in index order, whatever their order in settings', () => {
    const r = assembleCreateOptions({ createOptions02: '2}', image: 'x', createOptions: '{"a":', createOptions01: '1,"b":' }, S, false);
    expect(r.options).toEqual({ a: 1, b: 2 });
    expect(r.pointer).toBe(`${S}/createOptions`);
    expect(r.diagnostics.map((d) => d.rule)).toEqual(['create-options-chunk-size', 'create-options-chunk-size']);
  });

  it('reports a chunk key repeated in another case at the later key, naming the first', () => {
    const r = assembleCreateOptions({ CREATEOPTIONS: '{}', createOptions: '{}', createoptions01: '', CreateOptions01: '' }, S, false);
    expect(r.options).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.pointer, d.message])).toEqual([
      [`${S}/createOptions`, `'createOptions' duplicates 'CREATEOPTIONS' (createOptions chunk keys are case-insensitive)`],
      [`${S}/CreateOptions01`, `'CreateOptions01' duplicates 'createoptions01' (createOptions chunk keys are case-insensitive)`],
    ]);
  });

  it('treats absent, empty and "null" createOptions as {}', () => {
    expect(assembleCreateOptions({ image: 'x' }, S, false)).toEqual({ options: {}, pointer: `${S}/createOptions`, diagnostics: [] });
    expect(assembleCreateOptions({ createOptions: '' }, S, false).options).toEqual({});
    expect(assembleCreateOptions({ createOptions: ' null ' }, S, false).options).toEqual({});
  });

  it('reassembles 512-character chunks in order', () => {
    const chunks = chunked(big);
    expect(Object.keys(chunks).length).toBeGreaterThan(2);
    const r = assembleCreateOptions({ image: 'x', ...chunks }, S, false);
    expect(r.diagnostics).toEqual([]);
    expect(r.options).toEqual(JSON.parse(big));
  });

  it('compares chunk keys case-insensitively and keeps the key as written in the pointer', () => {
    const chunks = chunked(big);
    const settings = Object.fromEntries(Object.entries(chunks).map(([k, v]) => [k.toLowerCase(), v]));
    const r = assembleCreateOptions(settings, S, false);
    expect(r.options).toEqual(JSON.parse(big));
    expect(r.pointer).toBe(`${S}/createoptions`);
  });

  it('names the missing chunk of a gap', () => {
    const { createOptions02: _gone, ...rest } = chunked(big);
    const r = assembleCreateOptions(rest, S, false);
    expect(r.options).toBeUndefined();
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${S}/createOptions02`, code: 400, rule: 'create-options-chunks' })]);
    expect(r.diagnostics[0]!.message).toContain("'createOptions02' is missing");
  });

  it('reports a missing first chunk', () => {
    const r = assembleCreateOptions({ createOptions01: '{}' }, S, false);
    expect(r.diagnostics[0]).toMatchObject({ pointer: `${S}/createOptions` });
  });

  it('allows at most 100 chunks', () => {
    const r = assembleCreateOptions({ createOptions: '{}', createOptions100: '' }, S, false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${S}/createOptions100` })]);
    expect(r.diagnostics[0]!.message).toContain('limit of 100 chunks');
  });

  it.each(['createOptions1', 'createOptions00', 'createOptions001'])('rejects the chunk key %s', (key) => {
    const r = assembleCreateOptions({ createOptions: '{}', [key]: '' }, S, false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${S}/${key}`, rule: 'create-options-chunks' })]);
  });

  it('rejects keys that differ only in case', () => {
    const r = assembleCreateOptions({ createOptions: '{}', createoptions: '{}' }, S, false);
    expect(r.diagnostics[0]).toMatchObject({ pointer: `${S}/createoptions` });
  });

  it('points a JSON error at the chunk holding the failing character, with line and column in it', () => {
    const chunks = chunked(big);
    // Break the JSON at character 20 of chunk 03 (a control character is invalid anywhere).
    const broken = chunks['createOptions03']!;
    chunks['createOptions03'] = broken.slice(0, 19) + '\u0001' + broken.slice(20);
    const r = assembleCreateOptions(chunks, S, false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${S}/createOptions03`, code: 400, rule: 'create-options-json' })]);
    expect(r.diagnostics[0]!.message).toMatch(/at line 1, column 20 of chunk 'createOptions03'$/);
  });

  it('points an unexpected end of input at the last chunk', () => {
    const chunks = chunked(big.slice(0, -1));
    const last = Object.keys(chunks).pop()!;
    const r = assembleCreateOptions(chunks, S, false);
    expect(r.diagnostics[0]).toMatchObject({ pointer: `${S}/${last}` });
    expect(r.diagnostics[0]!.message).toContain('unexpected end of input');
  });

  it('warns when a non-final chunk is not 512 characters', () => {
    const r = assembleCreateOptions({ createOptions: '{"a":', createOptions01: '1}' }, S, false);
    expect(r.options).toEqual({ a: 1 });
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${S}/createOptions`, severity: 'warning', code: 200 })]);
  });

  it.each([
    ['[1,2]', 'an array'],
    ['42', 'a number'],
    ['"text"', 'a string'],
  ])('rejects createOptions %s that is not an object', (text, what) => {
    const r = assembleCreateOptions({ createOptions: text }, S, false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${S}/createOptions`, message: `createOptions must be a JSON object, not ${what}` })]);
  });

  it('accepts an object only in templates', () => {
    const obj = { HostConfig: { Privileged: true } };
    expect(assembleCreateOptions({ createOptions: obj }, S, true)).toEqual({ options: obj, pointer: `${S}/createOptions`, diagnostics: [] });
    const r = assembleCreateOptions({ createOptions: obj }, S, false);
    expect(r.diagnostics[0]!.message).toContain('only in a deployment template');
  });

  it('rejects a chunk that is not a string', () => {
    const r = assembleCreateOptions({ createOptions: '{', createOptions01: 5 }, S, false);
    expect(r.diagnostics).toEqual([expect.objectContaining({ pointer: `${S}/createOptions01`, message: "'createOptions01' must be a string holding a JSON object, not a number" })]);
  });

  it('names chunk keys as IoT Edge tools write them', () => {
    expect([0, 1, 12, 99].map(chunkKey)).toEqual(['createOptions', 'createOptions01', 'createOptions12', 'createOptions99']);
  });
});
