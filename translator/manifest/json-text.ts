/**
 * JSON text parsing with precise error positions.
 *
 * `JSON.parse` error messages differ between Node versions and often carry no position, and
 * they quote the input (which may hold secrets). On failure we re-scan the text with a small
 * iterative JSON grammar checker that reports the offset of the first offending character and a
 * message that never quotes the input.
 */

/** Where and why a JSON text is invalid. `line` and `column` are 1-based. */
export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  message: string;
}

export type JsonTextResult = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError };

/** Parses JSON text; on failure returns the first syntax error's position instead of throwing. */
export function parseJsonText(text: string): JsonTextResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const found = locateJsonError(text) ?? { offset: 0, message: 'invalid JSON' };
    return { ok: false, error: { ...found, ...lineColumn(text, found.offset) } };
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Formats a syntax error for a diagnostic: `unexpected end of input at line 1, column 7`. */
export function describeSyntaxError(e: JsonSyntaxError): string {
  return `${e.message} at line ${e.line}, column ${e.column}`;
}

type State = 'value' | 'value-or-end' | 'key-or-end' | 'key' | 'colon' | 'after-value';

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * Returns the offset and reason of the first JSON syntax error in `s`, or undefined when `s` is
 * valid JSON. Iterative, so arbitrarily deep nesting cannot overflow the call stack.
 */
export function locateJsonError(s: string): { offset: number; message: string } | undefined {
  const stack: ('{' | '[')[] = [];
  let state: State = 'value';
  let i = 0;
  const n = s.length;
  for (;;) {
    while (i < n && WHITESPACE.has(s[i]!)) i++;
    if (i >= n) {
      return state === 'after-value' && stack.length === 0 ? undefined : { offset: n, message: 'unexpected end of input' };
    }
    const c = s[i]!;
    switch (state) {
      case 'value-or-end':
      case 'value': {
        if (state === 'value-or-end' && c === ']') {
          stack.pop();
          i++;
          state = 'after-value';
          break;
        }
        if (c === '{') {
          stack.push('{');
          i++;
          state = 'key-or-end';
        } else if (c === '[') {
          stack.push('[');
          i++;
          state = 'value-or-end';
        } else {
          const end = c === '"' ? scanString(s, i) : c === '-' || (c >= '0' && c <= '9') ? scanNumber(s, i) : scanLiteral(s, i);
          if (typeof end !== 'number') return end;
          i = end;
          state = 'after-value';
        }
        break;
      }
      case 'key-or-end':
        if (c === '}') {
          stack.pop();
          i++;
          state = 'after-value';
          break;
        }
        state = 'key';
        break;
      case 'key': {
        if (c !== '"') return { offset: i, message: 'expected a property name in double quotes' };
        const end = scanString(s, i);
        if (typeof end !== 'number') return end;
        i = end;
        state = 'colon';
        break;
      }
      case 'colon':
        if (c !== ':') return { offset: i, message: "expected ':' after a property name" };
        i++;
        state = 'value';
        break;
      case 'after-value': {
        const top = stack[stack.length - 1];
        if (top === undefined) return { offset: i, message: 'unexpected character after the end of the JSON value' };
        const close = top === '{' ? '}' : ']';
        if (c === ',') {
          state = top === '{' ? 'key' : 'value';
          i++;
        } else if (c === close) {
          stack.pop();
          i++;
        } else {
          return { offset: i, message: `expected ',' or '${close}'` };
        }
        break;
      }
    }
  }
}

type ScanResult = number | { offset: number; message: string };

const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]{4}$/;

function scanString(s: string, start: number): ScanResult {
  for (let j = start + 1; j < s.length; j++) {
    const c = s[j]!;
    if (c === '"') return j + 1;
    if (c < ' ') return { offset: j, message: 'control character in a string (escape it)' };
    if (c === '\\') {
      const e = s[j + 1];
      if (e === 'u') {
        if (!HEX.test(s.slice(j + 2, j + 6))) return { offset: j, message: 'invalid \\u escape in a string' };
        j += 5;
      } else if (e !== undefined && ESCAPES.has(e)) {
        j++;
      } else if (e !== undefined) {
        return { offset: j, message: 'invalid escape in a string' };
      }
    }
  }
  return { offset: s.length, message: 'unterminated string' };
}

function scanDigits(s: string, j: number): number {
  while (j < s.length && s[j]! >= '0' && s[j]! <= '9') j++;
  return j;
}

function scanNumber(s: string, start: number): ScanResult {
  let j = start;
  if (s[j] === '-') j++;
  if (s[j] === '0') j++;
  else if (s[j] !== undefined && s[j]! >= '1' && s[j]! <= '9') j = scanDigits(s, j);
  else return { offset: j, message: 'invalid number' };
  if (s[j] === '.') {
    const k = scanDigits(s, j + 1);
    if (k === j + 1) return { offset: k, message: 'invalid number: expected a digit after the decimal point' };
    j = k;
  }
  if (s[j] === 'e' || s[j] === 'E') {
    j++;
    if (s[j] === '+' || s[j] === '-') j++;
    const k = scanDigits(s, j);
    if (k === j) return { offset: k, message: 'invalid number: expected a digit in the exponent' };
    j = k;
  }
  return j;
}

function scanLiteral(s: string, start: number): ScanResult {
  const word = ['true', 'false', 'null'].find((w) => w[0] === s[start]);
  if (word === undefined) return { offset: start, message: 'unexpected character (expected a JSON value)' };
  for (let k = 1; k < word.length; k++) {
    if (s[start + k] !== word[k]) {
      return start + k >= s.length
        ? { offset: s.length, message: 'unexpected end of input' }
        : { offset: start + k, message: `unexpected character (expected '${word}')` };
    }
  }
  return start + word.length;
}
