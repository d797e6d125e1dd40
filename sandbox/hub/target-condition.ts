/**
 * Target conditions of IoT Hub configurations (automatic and layered deployments), the subset the
 * hub accepts for device twins: `deviceId`, `tags.<path>`, `capabilities.iotEdge` and
 * `properties.reported.<path>` compared with `=`, `!=` or `<>` to quoted strings, numbers,
 * `true`, `false` or `null`; combined with `AND`, `OR`, `NOT` and parentheses (keywords are
 * case-insensitive). `*` targets every device. A comparison whose path is missing is false.
 * Pure: parse once, evaluate against any twin view.
 */
import { badRequest } from './errors.js';
import { deepEqual, isObject, type Json, type JsonObject } from './json.js';

/** Parsed condition. */
export type Condition =
  | { kind: 'all' }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; path: string[]; negate: boolean; value: Json };

/** The part of a device twin a condition can see. */
export interface TargetView {
  deviceId: string;
  tags: JsonObject;
  iotEdge: boolean;
  reported: JsonObject;
}

type Token = { type: 'word' | 'string' | 'number' | 'op' | 'paren'; text: string; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')') {
      tokens.push({ type: 'paren', text: c, at: i });
      i += 1;
    } else if (c === '=' || c === '!' || c === '<') {
      const two = source.slice(i, i + 2);
      if (two === '!=' || two === '<>') {
        tokens.push({ type: 'op', text: '!=', at: i });
        i += 2;
      } else if (c === '=') {
        tokens.push({ type: 'op', text: '=', at: i });
        i += 1;
      } else {
        throw badRequest(`targetCondition: unsupported operator at position ${i}`);
      }
    } else if (c === "'" || c === '"') {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw badRequest(`targetCondition: unterminated string at position ${i}`);
      tokens.push({ type: 'string', text: source.slice(i + 1, end), at: i });
      i = end + 1;
    } else {
      const match = /^(-?\d+(\.\d+)?)|^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*|^\*/.exec(source.slice(i));
      if (!match) throw badRequest(`targetCondition: unexpected character '${c}' at position ${i}`);
      tokens.push({ type: match[1] !== undefined ? 'number' : 'word', text: match[0], at: i });
      i += match[0].length;
    }
  }
  return tokens;
}

/** Parses a target condition; throws a 400 HubError naming the position of a syntax error. */
export function parseCondition(source: string): Condition {
  const trimmed = source.trim();
  if (trimmed === '*') return { kind: 'all' };
  if (trimmed === '') throw badRequest('targetCondition is empty');
  const tokens = tokenize(trimmed);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const keyword = (word: string): boolean => {
    const t = peek();
    if (t?.type === 'word' && t.text.toUpperCase() === word) {
      pos += 1;
      return true;
    }
    return false;
  };
  const parseOr = (): Condition => {
    let left = parseAnd();
    while (keyword('OR')) left = { kind: 'or', left, right: parseAnd() };
    return left;
  };
  const parseAnd = (): Condition => {
    let left = parseUnary();
    while (keyword('AND')) left = { kind: 'and', left, right: parseUnary() };
    return left;
  };
  const parseUnary = (): Condition => {
    if (keyword('NOT')) return { kind: 'not', operand: parseUnary() };
    const t = peek();
    if (t?.type === 'paren' && t.text === '(') {
      pos += 1;
      const inner = parseOr();
      const close = peek();
      if (close?.type !== 'paren' || close.text !== ')') throw badRequest(`targetCondition: expected ')' at position ${close?.at ?? trimmed.length}`);
      pos += 1;
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): Condition => {
    const field = peek();
    if (field?.type !== 'word') throw badRequest(`targetCondition: expected a field name at position ${field?.at ?? trimmed.length}`);
    pos += 1;
    const op = peek();
    if (op?.type !== 'op') throw badRequest(`targetCondition: expected '=' or '!=' at position ${op?.at ?? trimmed.length}`);
    pos += 1;
    const value = parseValue();
    return { kind: 'compare', path: field.text.split('.'), negate: op.text === '!=', value };
  };
  const parseValue = (): Json => {
    const t = peek();
    if (!t) throw badRequest('targetCondition: expected a value at the end');
    pos += 1;
    if (t.type === 'string') return t.text;
    if (t.type === 'number') return Number(t.text);
    if (t.type === 'word') {
      const lower = t.text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      if (lower === 'null') return null;
    }
    throw badRequest(`targetCondition: expected a quoted string, number, true, false or null at position ${t.at}`);
  };
  const condition = parseOr();
  if (pos < tokens.length) throw badRequest(`targetCondition: unexpected '${tokens[pos]!.text}' at position ${tokens[pos]!.at}`);
  return condition;
}

function lookup(view: TargetView, path: string[]): Json | undefined {
  const [head, ...rest] = path;
  let current: Json | undefined;
  if (head === 'deviceId' && rest.length === 0) return view.deviceId;
  if (head === 'capabilities' && rest.length === 1 && rest[0] === 'iotEdge') return view.iotEdge;
  if (head === 'tags') current = view.tags;
  else if (head === 'properties' && rest[0] === 'reported') {
    current = view.reported;
    rest.shift();
  } else return undefined;
  for (const key of rest) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Evaluates a parsed condition against a device. */
export function matches(condition: Condition, view: TargetView): boolean {
  switch (condition.kind) {
    case 'all':
      return true;
    case 'and':
      return matches(condition.left, view) && matches(condition.right, view);
    case 'or':
      return matches(condition.left, view) || matches(condition.right, view);
    case 'not':
      return !matches(condition.operand, view);
    case 'compare': {
      const actual = lookup(view, condition.path);
      if (actual === undefined) return false;
      return deepEqual(actual, condition.value) !== condition.negate;
    }
  }
}
