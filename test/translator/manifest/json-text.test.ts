import { describeSyntaxError, lineColumn, locateJsonError, parseJsonText } from '../../../translator/manifest/json-text.js';

describe('parseJsonText', () => {
  it('parses valid JSON', () => {
    expect(parseJsonText('{"a":[1,2,{"b":null}]}')).toEqual({ ok: true, value: { a: [1, 2, { b: null }] } });
  });

  it.each([
    ['{"a":}', 5, "unexpected character (expected a JSON value)"],
    ['{"a":1', 6, 'unexpected end of input'],
    ['[1,2,]', 5, 'unexpected character (expected a JSON value)'],
    ['{"a":1,}', 7, 'expected a property name in double quotes'],
    ['{"a" 1}', 5, "expected ':' after a property name"],
    ['{"a":1 "b":2}', 7, "expected ',' or '}'"],
    ['[1 2]', 3, "expected ',' or ']'"],
    ['tru', 3, 'unexpected end of input'],
    ['trux', 3, "unexpected character (expected 'true')"],
    ['"abc', 4, 'unterminated string'],
    ['"a\\qb"', 2, 'invalid escape in a string'],
    ['"\\u12G4"', 1, 'invalid \\u escape in a string'],
    ['01', 1, 'unexpected character after the end of the JSON value'],
    ['-', 1, 'invalid number'],
    ['1.', 2, 'invalid number: expected a digit after the decimal point'],
    ['1e+', 3, 'invalid number: expected a digit in the exponent'],
    ['"a\nb"', 2, 'control character in a string (escape it)'],
    ['', 0, 'unexpected end of input'],
  ])('locates the error in %j at offset %i', (text, offset, message) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(locateJsonError(text)).toEqual({ offset, message });
  });

  it('agrees with JSON.parse on valid documents', () => {
    for (const text of ['0', '-1.5e-3', '"\\u00e9\\n"', '[[], {}]', ' {"a" : [true, false, null]} ']) {
      expect(locateJsonError(text)).toBeUndefined();
    }
  });

  it('reports line and column, 1-based', () => {
    const r = parseJsonText('{\n  "a": 1,\n  "b": }\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ line: 3, column: 8 });
      expect(describeSyntaxError(r.error)).toBe('unexpected character (expected a JSON value) at line 3, column 8');
    }
  });

  it('handles nesting far deeper than the call stack', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(199_999);
    expect(locateJsonError(deep)).toEqual({ offset: deep.length, message: 'unexpected end of input' });
  });

  it('never quotes the input in its message', () => {
    const r = parseJsonText('{"password": "hunter2" x}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).not.toContain('hunter2');
  });
});

describe('lineColumn', () => {
  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
