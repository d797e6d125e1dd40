/**
 * Conditions over device and module twins: the target conditions of IoT Hub configurations
 * (automatic and layered deployments) and the WHERE clause of twin queries (query.ts). A field
 * is a dotted path into the twin document (`deviceId`, `moduleId`, `tags.<path>`,
 * `capabilities.iotEdge`, `properties.reported.<path>`, `properties.desired.<path>`, with
 * `$version` members); it is compared with `=`, `!=`/`<>`, `<`, `>`, `<=`, `>=` to a quoted
 * string, a number, `true`, `false`, `null` or another field; `IS_DEFINED(field)` tests presence.
 * Conditions combine with `AND`, `OR`, `NOT` and parentheses (keywords are case-insensitive).
 * `*` targets every device. A comparison whose field is missing is false, and so is an ordering
 * comparison between values of different types (strings order with strings, numbers with numbers).
 * Pure: parse once, evaluate against any twin view.
 */
import { badRequest } from './errors.js';
import { deepEqual, isObject, type Json, type JsonObject } from './json.js';

/** Parsed condition. */
export type Condition =
  | { kind: 'all' }
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'defined'; path: string[] }
  | { kind: 'compare'; path: string[]; op: Operator; value: Operand };

/** Comparison operators (`<>` is read as `!=`). */
export type Operator = '=' | '!=' | '<' | '>' | '<=' | '>=';

/** Right-hand side of a comparison: a literal or another field of the same twin. */
export type Operand = { literal: Json } | { field: string[] };

/** The part of a device twin a target condition can see. */
export interface TargetView {
  deviceId: string;
  tags: JsonObject;
  iotEdge: boolean;
  reported: JsonObject;
}

type Token = { type: 'word' | 'string' | 'number' | 'op' | 'paren'; text: string; at: number };

const OPERATORS = ['!=', '<>', '<=', '>=', '=', '<', '>'] as const;

function tokenize(source: string, label: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')') {
      tokens.push({ type: 'paren', text: c, at: i });
      i += 1;
    } else if (c === '=' || c === '!' || c === '<' || c === '>') {
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (!op) throw badRequest(`${label}: unsupported operator at position ${i}`);
      tokens.push({ type: 'op', text: op === '<>' ? '!=' : op, at: i });
      i += op.length;
    } else if (c === "'" || c === '"') {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw badRequest(`${label}: unterminated string at position ${i}`);
      tokens.push({ type: 'string', text: source.slice(i + 1, end), at: i });
      i = end + 1;
    } else {
      const match = /^(-?\d+(\.\d+)?)|^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*|^\*/.exec(source.slice(i));
      if (!match) throw badRequest(`${label}: unexpected character '${c}' at position ${i}`);
      tokens.push({ type: match[1] !== undefined ? 'number' : 'word', text: match[0], at: i });
      i += match[0].length;
    }
  }
  return tokens;
}

/**
 * Parses a condition; throws a 400 HubError naming the position of a syntax error, its message
 * starting with `label` (the field the condition came from).
 */
export function parseCondition(source: string, label = 'targetCondition'): Condition {
  const trimmed = source.trim();
  if (trimmed === '*') return { kind: 'all' };
  if (trimmed === '') throw badRequest(`${label} is empty`);
  const tokens = tokenize(trimmed, label);
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
    if (keyword('IS_DEFINED')) {
      expectParen('(');
      const path = parseField();
      expectParen(')');
      return { kind: 'defined', path };
    }
    const t = peek();
    if (t?.type === 'paren' && t.text === '(') {
      pos += 1;
      const inner = parseOr();
      expectParen(')');
      return inner;
    }
    return parseComparison();
  };
  const expectParen = (paren: '(' | ')'): void => {
    const t = peek();
    if (t?.type !== 'paren' || t.text !== paren) throw badRequest(`${label}: expected '${paren}' at position ${t?.at ?? trimmed.length}`);
    pos += 1;
  };
  const parseField = (): string[] => {
    const field = peek();
    if (field?.type !== 'word') throw badRequest(`${label}: expected a field name at position ${field?.at ?? trimmed.length}`);
    pos += 1;
    return field.text.split('.');
  };
  const parseComparison = (): Condition => {
    const path = parseField();
    const op = peek();
    if (op?.type !== 'op') throw badRequest(`${label}: expected a comparison operator (=, !=, <, >, <=, >=) at position ${op?.at ?? trimmed.length}`);
    pos += 1;
    return { kind: 'compare', path, op: op.text as Operator, value: parseOperand() };
  };
  const parseOperand = (): Operand => {
    const t = peek();
    if (!t) throw badRequest(`${label}: expected a value at the end`);
    pos += 1;
    if (t.type === 'string') return { literal: t.text };
    if (t.type === 'number') return { literal: Number(t.text) };
    if (t.type === 'word') {
      const lower = t.text.toLowerCase();
      if (lower === 'true') return { literal: true };
      if (lower === 'false') return { literal: false };
      if (lower === 'null') return { literal: null };
      const root = t.text.split('.')[0]!;
      if (FIELD_ROOTS.has(root)) return { field: t.text.split('.') };
    }
    throw badRequest(`${label}: expected a quoted string, number, true, false, null or a twin field at position ${t.at}`);
  };
  const condition = parseOr();
  if (pos < tokens.length) throw badRequest(`${label}: unexpected '${tokens[pos]!.text}' at position ${tokens[pos]!.at}`);
  return condition;
}

/** Fields a right-hand side may name (anything else is an unquoted string, which is an error). */
const FIELD_ROOTS = new Set(['deviceId', 'moduleId', 'tags', 'properties', 'capabilities', 'status', 'connectionState']);

/** The twin document a target view stands for, as the service API shows it. */
export function viewDocument(view: TargetView): JsonObject {
  return { deviceId: view.deviceId, tags: view.tags, capabilities: { iotEdge: view.iotEdge }, properties: { reported: view.reported } };
}

function lookup(doc: JsonObject, path: readonly string[]): Json | undefined {
  let current: Json | undefined = doc;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function compare(actual: Json, op: Operator, expected: Json): boolean {
  if (op === '=') return deepEqual(actual, expected);
  if (op === '!=') return !deepEqual(actual, expected);
  const comparable = (typeof actual === 'number' && typeof expected === 'number') || (typeof actual === 'string' && typeof expected === 'string');
  if (!comparable) return false;
  if (op === '<') return actual < expected;
  if (op === '>') return actual > expected;
  if (op === '<=') return actual <= expected;
  return actual >= expected;
}

/** Evaluates a parsed condition against a twin document (`deviceId`, `tags`, `properties`, ...). */
export function matchesDocument(condition: Condition, doc: JsonObject): boolean {
  switch (condition.kind) {
    case 'all':
      return true;
    case 'and':
      return matchesDocument(condition.left, doc) && matchesDocument(condition.right, doc);
    case 'or':
      return matchesDocument(condition.left, doc) || matchesDocument(condition.right, doc);
    case 'not':
      return !matchesDocument(condition.operand, doc);
    case 'defined':
      return lookup(doc, condition.path) !== undefined;
    case 'compare': {
      const actual = lookup(doc, condition.path);
      const expected = 'literal' in condition.value ? condition.value.literal : lookup(doc, condition.value.field);
      if (actual === undefined || expected === undefined) return false;
      return compare(actual, condition.op, expected);
    }
  }
}

/** Evaluates a parsed condition against a device (a target condition of a configuration). */
export function matches(condition: Condition, view: TargetView): boolean {
  return matchesDocument(condition, viewDocument(view));
}
