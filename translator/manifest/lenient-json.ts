/**
 * createOptions as edgeAgent reads them. edgeAgent deserializes a module's createOptions with
 * Newtonsoft.Json (`JsonConvert.DeserializeObject`), whose reader is more lenient than JSON:
 * unquoted property names (letters, digits, `_`, `$`), single-quoted strings, a trailing comma in
 * an object or array, `//` and `/* *\/` comments, hexadecimal (`0x1F`) and leading-zero octal
 * numbers, `NaN`, `Infinity`, `-Infinity`, `undefined` (read as null), a repeated property (the
 * last one wins). It refuses text after the value and nesting deeper than 64 levels (its
 * MaxDepth default since 13.0). This parser accepts exactly those extensions, reports each use
 * (so a warning can name it) and each repeated key with its pointer. Iterative: any depth of
 * input is safe.
 */
import { joinPointer } from './diagnostics.js';

/** Newtonsoft.Json's default MaxDepth (13.0 and later). */
export const MAX_DEPTH = 64;

export interface Leniency {
  offset: number;
  /** What was accepted: `an unquoted property name`, `a trailing comma`... */
  what: string;
}

export type LenientResult =
  | { ok: true; value: unknown; leniencies: Leniency[]; duplicates: { pointer: string; key: string }[] }
  | { ok: false; error: { offset: number; message: string } };

class Fail {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const IDENT = /[A-Za-z0-9_$]/;
const IDENT_RUN = /[A-Za-z0-9_$]+/y;
const NUMBER = /-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/y;

interface Frame {
  kind: 'object' | 'array';
  value: Record<string, unknown> | unknown[];
  pointer: string;
  key?: string;
  seen: Set<string>;
}

const NOT_STRICT = Symbol('not strict JSON');

/**
 * Members of every object in a parsed value, or -1 when it nests deeper than MAX_DEPTH levels
 * (`level`: the nesting level of `value` itself, 1 for the root). Recursion stops at MAX_DEPTH.
 */
function memberCount(value: object, level: number): number {
  if (level > MAX_DEPTH) return -1;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') {
        const inner = memberCount(v, level + 1);
        if (inner < 0) return -1;
        count += inner;
      }
    }
    return count;
  }
  // A value of JSON.parse: plain objects, no inherited members to skip.
  const record = value as Record<string, unknown>;
  for (const key in record) {
    count++;
    const v = record[key];
    if (v !== null && typeof v === 'object') {
      const inner = memberCount(v, level + 1);
      if (inner < 0) return -1;
      count += inner;
    }
  }
  return count;
}

/**
 * The `:` of `text` that follow a `"` (JSON whitespace between them allowed). Every member of
 * strict JSON text is counted (its `:` follows its key's closing quote); a `:` inside a string
 * may be counted too (after an escaped quote, or first in the string), never the other way, so
 * this count equals the members of the parsed objects only when no key was repeated (the
 * parsed objects keep one member per repeated key) and no `:` inside a string was counted. One
 * `indexOf` per `:` of the text, where a scan of the text outside strings took one per string.
 */
function colonsAfterQuote(text: string): number {
  let count = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let k = i - 1;
    let c = text.charCodeAt(k);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(--k);
    if (c === 0x22) count++;
  }
  return count;
}

/**
 * The `:` of `text` outside strings (one per member of strict JSON text, repeated keys included),
 * or -1 when it nests deeper than MAX_DEPTH levels, which ends the scan. For any text: a string
 * left open ends the scan too (`JSON.parse` refuses such text).
 */
function colonsOutsideStrings(text: string): number {
  let depth = 0;
  let colons = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, the first one after an even run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return colons;
        let k = i - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((i - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return -1;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x3a) colons++;
  }
  return colons;
}

/**
 * Longer createOptions texts are scanned before `JSON.parse`: V8's parser takes about 0.3-0.9 µs
 * per level of nesting (a level is a few characters), so text nested far deeper than MAX_DEPTH
 * is refused by the scan before anything is built. Usual createOptions are a few hundred
 * characters to a few kilobytes; one of this length nested throughout costs `JSON.parse` well
 * under a millisecond.
 */
const SCAN_FIRST_LENGTH = 4096;

/**
 * The fast path for the common case, strict JSON: `JSON.parse` reads it to the value the
 * lenient reader would build, with no leniency to report. The native result is kept only when
 * the value nests at most MAX_DEPTH levels and the text repeats no key, which `JSON.parse`
 * hides: the members of the parsed objects must equal the `:` that follow a quote or, when a
 * string holds such a `:` (and for long text, scanned first), the `:` outside strings, one per
 * member in the text. Anything else goes through the full reader, which reports it.
 */
function strictJson(text: string): unknown {
  const scanned = text.length > SCAN_FIRST_LENGTH ? colonsOutsideStrings(text) : undefined;
  if (scanned === -1) return NOT_STRICT;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NOT_STRICT;
  }
  if (value === null || typeof value !== 'object') return value;
  const members = memberCount(value, 1);
  if (members < 0) return NOT_STRICT;
  if (scanned !== undefined) return members === scanned ? value : NOT_STRICT;
  return members === colonsAfterQuote(text) || members === colonsOutsideStrings(text) ? value : NOT_STRICT;
}

/** Parses createOptions text the way Newtonsoft.Json reads it. */
export function parseLenientJson(text: string): LenientResult {
  const strict = strictJson(text);
  if (strict !== NOT_STRICT) return { ok: true, value: strict, leniencies: [], duplicates: [] };
  return parseLenient(text);
}

function parseLenient(text: string): LenientResult {
  const leniencies: Leniency[] = [];
  const duplicates: { pointer: string; key: string }[] = [];
  let i = 0;
  const n = text.length;

  const skip = (): void => {
    for (;;) {
      while (i < n && /\s/.test(text[i]!)) i++;
      if (text.startsWith('//', i)) {
        leniencies.push({ offset: i, what: 'a comment' });
        while (i < n && text[i] !== '\n') i++;
      } else if (text.startsWith('/*', i)) {
        leniencies.push({ offset: i, what: 'a comment' });
        const end = text.indexOf('*/', i + 2);
        if (end < 0) throw new Fail(i, 'unterminated comment');
        i = end + 2;
      } else return;
    }
  };

  const readString = (): string => {
    const quote = text[i]!;
    if (quote === "'") leniencies.push({ offset: i, what: 'a single-quoted string' });
    let out = '';
    let j = i + 1;
    for (;;) {
      if (j >= n) throw new Fail(n, 'unterminated string');
      const c = text[j]!;
      if (c === quote) break;
      if (c === '\\') {
        const e = text[j + 1];
        const simple: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === 'u') {
          const hex = text.slice(j + 2, j + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Fail(j, 'invalid \\u escape in a string');
          out += String.fromCharCode(parseInt(hex, 16));
          j += 6;
          continue;
        }
        if (e === undefined || simple[e] === undefined) throw new Fail(j, 'invalid escape in a string');
        out += simple[e];
        j += 2;
        continue;
      }
      // Kept strict: an unescaped control character is refused (we do not rely on Newtonsoft accepting it).
      if (c < ' ') throw new Fail(j, 'control character in a string (escape it)');
      out += c;
      j++;
    }
    i = j + 1;
    return out;
  };

  const readScalar = (): unknown => {
    const c = text[i]!;
    if (c === '"' || c === "'") return readString();
    for (const [word, value, lenient] of [
      ['true', true, false], ['false', false, false], ['null', null, false], ['undefined', null, true],
      ['NaN', Number.NaN, true], ['Infinity', Number.POSITIVE_INFINITY, true], ['-Infinity', Number.NEGATIVE_INFINITY, true],
    ] as const) {
      if (text.startsWith(word, i) && !IDENT.test(text[i + word.length] ?? '')) {
        if (lenient) leniencies.push({ offset: i, what: `'${word}'` });
        i += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && !IDENT.test(text[i + m[0].length] ?? '')) {
      const t = m[0];
      i += t.length;
      const digits = t.replace(/^-/, '');
      if (/^0[xX]/.test(digits)) {
        leniencies.push({ offset: i - t.length, what: 'a hexadecimal number' });
        return (t.startsWith('-') ? -1 : 1) * parseInt(digits.slice(2), 16);
      }
      if (/^0\d+$/.test(digits)) {
        leniencies.push({ offset: i - t.length, what: 'an octal number (leading zero)' });
        return (t.startsWith('-') ? -1 : 1) * parseInt(digits, 8);
      }
      if (!/^(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(digits)) leniencies.push({ offset: i - t.length, what: 'a number JSON does not allow' });
      return Number(t);
    }
    throw new Fail(i, 'unexpected character (expected a value)');
  };

  try {
    const stack: Frame[] = [];
    let root: unknown;
    let done = false;
    const attach = (value: unknown, frame: Frame | undefined): void => {
      if (!frame) {
        root = value;
        done = true;
      } else if (frame.kind === 'array') (frame.value as unknown[]).push(value);
      else {
        const key = frame.key!;
        if (frame.seen.has(key)) duplicates.push({ pointer: joinPointer(frame.pointer, key), key });
        frame.seen.add(key);
        // defineProperty: a `__proto__` key is data, as JSON.parse keeps it.
        Object.defineProperty(frame.value, key, { value, enumerable: true, writable: true, configurable: true });
      }
    };
    // state: expecting a value (or a closing bracket right after an opening or a comma)
    const open = (kind: 'object' | 'array'): void => {
      if (stack.length >= MAX_DEPTH) throw new Fail(i, `nesting is too deep (more than ${MAX_DEPTH} levels, the most edgeAgent's JSON reader accepts)`);
      const parent = stack[stack.length - 1];
      const pointer = parent ? joinPointer(parent.pointer, parent.kind === 'array' ? (parent.value as unknown[]).length : parent.key!) : '';
      stack.push({ kind, value: kind === 'object' ? {} : [], pointer, seen: new Set() });
      i++;
    };
    const readKey = (frame: Frame): void => {
      const c = text[i];
      if (c === '"' || c === "'") frame.key = readString();
      else {
        IDENT_RUN.lastIndex = i;
        const m = IDENT_RUN.exec(text);
        if (!m) throw new Fail(i, 'expected a property name');
        leniencies.push({ offset: i, what: 'an unquoted property name' });
        frame.key = m[0];
        i += m[0].length;
      }
      skip();
      if (text[i] !== ':') throw new Fail(i, "expected ':' after a property name");
      i++;
    };
    skip();
    if (i >= n) throw new Fail(n, 'unexpected end of input');
    // Main loop: at each step we are positioned where a value starts (possibly a closing bracket).
    for (;;) {
      skip();
      if (i >= n) throw new Fail(n, 'unexpected end of input');
      const top = stack[stack.length - 1];
      const c = text[i]!;
      if (top && ((top.kind === 'array' && c === ']') || (top.kind === 'object' && c === '}'))) {
        // Empty container or right after a trailing comma (handled below).
        stack.pop();
        i++;
        attach(top.value, stack[stack.length - 1]);
      } else if (top?.kind === 'object' && top.key === undefined) {
        readKey(top);
        continue;
      } else if (c === '{') {
        open('object');
        continue;
      } else if (c === '[') {
        open('array');
        continue;
      } else {
        attach(readScalar(), top);
      }
      if (done) break;
      // After a value inside a container: ',' or the closing bracket.
      for (;;) {
        skip();
        const frame = stack[stack.length - 1]!;
        const close = frame.kind === 'object' ? '}' : ']';
        if (i >= n) throw new Fail(n, 'unexpected end of input');
        if (text[i] === ',') {
          i++;
          frame.key = undefined;
          skip();
          if (text[i] === close) leniencies.push({ offset: i - 1, what: 'a trailing comma' });
          break;
        }
        if (text[i] !== close) throw new Fail(i, `expected ',' or '${close}'`);
        stack.pop();
        i++;
        attach(frame.value, stack[stack.length - 1]);
        if (done) break;
      }
      if (done) break;
    }
    skip();
    if (i < n) throw new Fail(i, 'unexpected text after the end of the value');
    return { ok: true, value: root, leniencies, duplicates };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: { offset: e.offset, message: e.message } };
    throw e;
  }
}
