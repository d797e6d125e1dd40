import { MAX_DEPTH, parseLenientJson } from '../../../translator/manifest/lenient-json.js';

const ok = (text: string) => {
  const r = parseLenientJson(text);
  if (!r.ok) throw new Error(`refused ${text}: ${r.error.message}`);
  return r;
};
const refused = (text: string) => {
  const r = parseLenientJson(text);
  if (r.ok) throw new Error(`accepted ${text}`);
  return r.error;
};

describe('parseLenientJson', () => {
  it('reads strict JSON exactly as JSON.parse does, with no leniency', () => {
    for (const text of ['{}', '[]', '{"a":[1,2.5,-3e2,true,false,null,"x\\n\\u0041"]}', ' {"a" : { "b" : [ ] } } ', '"s"', '0']) {
      const r = ok(text);
      expect(r.value).toEqual(JSON.parse(text));
      expect(r.leniencies).toEqual([]);
    }
  });

  it.each([
    ["{a:1}", { a: 1 }, 'an unquoted property name'],
    ["{'a':'b'}", { a: 'b' }, 'a single-quoted string'],
    ['{"a":[1,2,],}', { a: [1, 2] }, 'a trailing comma'],
    ['{"a":1 // note\n}', { a: 1 }, 'a comment'],
    ['{"a":/* x */1}', { a: 1 }, 'a comment'],
    ['{"a":0x1F}', { a: 31 }, 'a hexadecimal number'],
    ['{"a":012}', { a: 10 }, 'an octal number (leading zero)'],
    ['{"a":undefined}', { a: null }, "'undefined'"],
    ['{$type:1, a_b:2}', { $type: 1, a_b: 2 }, 'an unquoted property name'],
  ])('accepts %s as Newtonsoft.Json does, and says so', (text, value, what) => {
    const r = ok(text);
    expect(r.value).toEqual(value);
    expect(r.leniencies.map((l) => l.what)).toContain(what);
  });

  it('reports every repeated key with its pointer; the last value wins', () => {
    const r = ok('{"a":{"b":1,"b":2},"a~/":0,"a~/":1}');
    expect(r.value).toEqual({ a: { b: 2 }, 'a~/': 1 });
    expect(r.duplicates).toEqual([{ pointer: '/a/b', key: 'b' }, { pointer: '/a~0~1', key: 'a~/' }]);
  });

  it('keeps __proto__ as data', () => {
    const r = ok('{"__proto__":{"x":1}}');
    expect(Object.keys(r.value as object)).toEqual(['__proto__']);
    expect(({} as { x?: number }).x).toBeUndefined();
  });

  it.each([
    ['{"a":1} x', 8, 'unexpected text after the end of the value'],
    ['{"a":[1,,2]}', 8, 'unexpected character (expected a value)'],
    ['{"a" 1}', 5, "expected ':' after a property name"],
    ['{"a":1', 6, 'unexpected end of input'],
    ['{"a":b}', 5, 'unexpected character (expected a value)'],
    ['{"a":"\u0001"}', 6, 'control character in a string (escape it)'],
    ['{"a":"x', 7, 'unterminated string'],
    ['{"a":1 /* x', 7, 'unterminated comment'],
    ['', 0, 'unexpected end of input'],
  ])('refuses %p at offset %i', (text, offset, message) => {
    expect(refused(text)).toEqual({ offset, message });
  });

  it(`refuses nesting deeper than ${MAX_DEPTH} levels, at any depth of input`, () => {
    expect(ok('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)).value).toBeDefined();
    expect(refused('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1)).message).toMatch(/too deep/);
    expect(refused('{"a":'.repeat(1_000_000) + '1' + '}'.repeat(1_000_000)).message).toMatch(/too deep/);
  });
});

describe('parseLenientJson on strict JSON (read natively)', () => {
  it('still reports a repeated key when strings hold quotes, backslashes, colons and brackets', () => {
    const r = ok('{"k":"x\\\\","k":"a:{[\\":","o":{"p:":1,"p:":{"q":"}"}}}');
    expect(r.value).toEqual({ k: 'a:{[":', o: { 'p:': { q: '}' } } });
    expect(r.duplicates).toEqual([{ pointer: '/k', key: 'k' }, { pointer: '/o/p:', key: 'p:' }]);
    expect(r.leniencies).toEqual([]);
  });

  it('reports a repeated key whose dropped member held colons in its strings', () => {
    const r = ok('{"a":"x:y","b":{"c:d":"e:f","c:d":1},"g":["h:"],"a":2}');
    expect(r.value).toEqual({ a: 2, b: { 'c:d': 1 }, g: ['h:'] });
    expect(r.duplicates).toEqual([{ pointer: '/b/c:d', key: 'c:d' }, { pointer: '/a', key: 'a' }]);
  });

  it('reports a repeated key when an escaped colon (\\u003a) makes up for the colon of the dropped member', () => {
    // The text holds two `:` and so does {"k":":"}: only the escape tells them apart.
    const r = ok('{"k":1,"k":"\\u003a"}');
    expect(r.value).toEqual({ k: ':' });
    expect(r.duplicates).toEqual([{ pointer: '/k', key: 'k' }]);
  });

  it('reports a repeated key whose colon follows whitespace', () => {
    // Counted as a member only when the whitespace before the colon is skipped.
    for (const space of [' ', '\t', '\r\n', ' \n\t']) {
      const r = ok(`{"a"${space}:1,"a":2,"b":3}`);
      expect(r.value).toEqual({ a: 2, b: 3 });
      expect(r.duplicates).toEqual([{ pointer: '/a', key: 'a' }]);
    }
  });

  it('reads strings that start with a colon or hold an escaped quote before one, repeated keys or not', () => {
    expect(ok('{"a":":x","a":":y"}').duplicates).toEqual([{ pointer: '/a', key: 'a' }]);
    expect(ok('{"Cmd":["{\\"a\\":1}"],"Cmd":[]}').duplicates).toEqual([{ pointer: '/Cmd', key: 'Cmd' }]);
    expect(ok('{"Binds":[":/data"],"Cmd":["{\\"a\\": 1}"]}')).toEqual({ ok: true, value: { Binds: [':/data'], Cmd: ['{"a": 1}'] }, leniencies: [], duplicates: [] });
  });

  it('reports a repeated key in a long text (scanned before it is parsed)', () => {
    const pad = 'x:'.repeat(3000);
    const r = ok(`{"pad":"${pad}","a" :1,"b":[{"c":":"}],"a":2}`);
    expect(r.value).toEqual({ pad, a: 2, b: [{ c: ':' }] });
    expect(r.duplicates).toEqual([{ pointer: '/a', key: 'a' }]);
    expect(ok(`{"pad":"${pad}","a":1}`)).toEqual({ ok: true, value: { pad, a: 1 }, leniencies: [], duplicates: [] });
    expect(refused(`{"pad":"${pad}","a":${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}}`).message).toMatch(/too deep/);
  });

  it('reads escaped and plain colons in keys and values, and top-level scalars', () => {
    expect(ok('{"a\\u003ab":"c\\u003a","d:e":["f:g",{"h":"i::"}]}')).toEqual({ ok: true, value: { 'a:b': 'c:', 'd:e': ['f:g', { h: 'i::' }] }, leniencies: [], duplicates: [] });
    expect(ok('"a:b"').value).toBe('a:b');
    expect(ok('12').value).toBe(12);
    expect(ok('[]').value).toEqual([]);
  });

  it('gives the same value as for the same text with a leniency in it', () => {
    const strict = '{"Env":["A=1"],"HostConfig":{"Binds":["/a:/b"],"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}},"__proto__":{"x":1}}';
    const lenient = strict.replace('{"Env"', '{Env');
    expect(ok(strict).value).toEqual(ok(lenient).value);
    expect(Object.keys(ok(strict).value as object)).toEqual(Object.keys(ok(lenient).value as object));
    expect(ok(lenient).leniencies.map((l) => l.what)).toEqual(['an unquoted property name']);
  });
});
