/**
 * Turns ajv errors into diagnostics a person can act on.
 *
 * - `additionalProperties` is reported at the offending key's own pointer
 *   (`.../modules/web.server`), with the names or key pattern that are allowed there.
 * - `required` is reported at the missing property's pointer (parent + `/name`).
 * - `enum` lists the allowed values; `type` names the expected and the actual type.
 * - `anyOf` collapses to the branch the value was meant for, or to one "must be X or Y" error.
 * - One diagnostic per pointer; nothing is reported below a key that is not allowed at all.
 */
import type { ErrorObject } from 'ajv';
import { error, escapeToken, type Diagnostic } from './diagnostics.js';
import { article, isObject, showValue } from './json-values.js';

/** Renders values for messages (lets callers hide values that came from secrets). */
export type ShowValue = (value: unknown) => string;

/** Splits a JSON pointer into unescaped reference tokens. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The manifest object an instance path is inside: `module 'web'`, `route 'r1'`, or undefined. */
export function ownerOf(tokens: readonly string[]): string | undefined {
  const [a, b, c, d] = tokens;
  if (a === 'modules' && b !== undefined) return `module ${showValue(b)}`;
  if (a === 'systemModules' && b !== undefined) return `system module ${showValue(b)}`;
  if (a === 'runtime' && b === 'settings' && c === 'registryCredentials' && d !== undefined) return `registry credential ${showValue(d)}`;
  if (a === 'routes' && b !== undefined) return `route ${showValue(b)}`;
  return undefined;
}

/** Names the value at an instance path: `module 'web'`, `'settings' of module 'web'`, `'runtime'`. */
export function describeLocation(tokens: readonly string[], subject: string): string {
  const owner = ownerOf(tokens);
  const last = tokens[tokens.length - 1];
  if (last === undefined) return subject;
  if (owner === undefined) return showValue(last);
  const ownerDepth = owner.startsWith('registry credential') ? 4 : 2;
  return tokens.length === ownerDepth ? owner : `${showValue(last)} of ${owner}`;
}

const PRIORITY = ['additionalProperties', 'required', 'type', 'enum', 'anyOf', 'pattern', 'minimum', 'maximum'];

function rank(e: ErrorObject): number {
  const i = PRIORITY.indexOf(e.keyword);
  return i === -1 ? PRIORITY.length : i;
}

/** The instance pointer an error is about (for additionalProperties/required: the key itself). */
function errorPointer(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${escapeToken(String(params['additionalProperty']))}`;
  if (e.keyword === 'required') return `${e.instancePath}/${escapeToken(String(params['missingProperty']))}`;
  return e.instancePath;
}

function typeList(t: unknown): string {
  const types = Array.isArray(t) ? t.map(String) : [String(t)];
  return types.map((x) => (x === 'integer' ? 'an integer' : x === 'object' || x === 'array' ? `an ${x}` : `a ${x}`)).join(' or ');
}

function allowedKeys(parentSchema: unknown): string {
  if (!isObject(parentSchema)) return '';
  const names = isObject(parentSchema['properties']) ? Object.keys(parentSchema['properties']) : [];
  const patterns = isObject(parentSchema['patternProperties']) ? Object.keys(parentSchema['patternProperties']) : [];
  const parts: string[] = [];
  if (names.length > 0) parts.push(names.join(', '));
  if (patterns.length > 0) parts.push(`keys matching ${patterns.join(' or ')}`);
  return parts.length === 0 ? '' : `; allowed: ${parts.join(', or ')}`;
}

function message(e: ErrorObject, subject: string, show: ShowValue): string {
  const params = e.params as Record<string, unknown>;
  const tokens = pointerTokens(e.instancePath);
  const where = describeLocation(tokens, subject);
  const last = tokens[tokens.length - 1];
  const owner = ownerOf(tokens);
  const field = last === undefined ? subject : where === owner ? where : showValue(last);
  const inOwner = owner !== undefined && where !== owner ? ` in ${owner}` : '';
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = showValue(String(params['additionalProperty']));
      if (tokens.length === 1 && tokens[0] === 'modules') {
        return `module name ${key} is not allowed${allowedKeys(e.parentSchema).replace('; allowed: keys matching', ': module names must match')}`;
      }
      return `${key} is not allowed in ${where}${allowedKeys(e.parentSchema)}`;
    }
    case 'required':
      return `${where} is missing required property '${String(params['missingProperty'])}'`;
    case 'enum': {
      const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'].map(String).join(', ') : '';
      return `${field} ${show(e.data)} is not valid${inOwner}; allowed values: ${allowed}`;
    }
    case 'type':
      return `${field} must be ${typeList(params['type'])}, not ${article(e.data)}${inOwner}`;
    case 'pattern':
      return `${field} ${show(e.data)}${inOwner} does not match the pattern ${String(params['pattern'])}`;
    case 'minimum':
    case 'maximum':
      return `${field} ${show(e.data)}${inOwner} must be ${e.keyword === 'minimum' ? '>=' : '<='} ${String(params['limit'])}`;
    default:
      return `${field} ${e.message ?? 'is invalid'}`;
  }
}

/** Collapses anyOf branches: keep the errors of branches the value's type fits, or one type error. */
function collapseAnyOf(errors: ErrorObject[]): ErrorObject[] {
  let result = errors;
  for (const any of errors.filter((e) => e.keyword === 'anyOf')) {
    const prefix = any.schemaPath + '/';
    const branchOf = (e: ErrorObject): string | undefined => (e.schemaPath.startsWith(prefix) ? e.schemaPath.slice(prefix.length).split('/')[0] : undefined);
    const branchErrors = result.filter((e) => branchOf(e) !== undefined);
    const mismatched = new Set(
      branchErrors.filter((e) => e.keyword === 'type' && e.instancePath === any.instancePath && e.schemaPath === `${prefix}${branchOf(e)}/type`).map(branchOf),
    );
    const branches = new Set(branchErrors.map(branchOf));
    const keep = [...branches].filter((b) => !mismatched.has(b));
    const others = result.filter((e) => e !== any && branchOf(e) === undefined);
    if (keep.length > 0) {
      result = [...others, ...branchErrors.filter((e) => keep.includes(branchOf(e)))];
    } else {
      const types = branchErrors.filter((e) => e.keyword === 'type').map((e) => (e.params as Record<string, unknown>)['type']);
      result = [...others, { ...any, keyword: 'type', params: { type: types.flat() } }];
    }
  }
  return result;
}

/**
 * Converts ajv errors to diagnostics. `base` is the pointer of the validated value in the user's
 * file; `subject` names it in messages (`$edgeAgent desired properties`).
 */
export function schemaDiagnostics(errors: readonly ErrorObject[], base: string, subject: string, show: ShowValue = showValue): Diagnostic[] {
  // A valid document, the usual case: none of the copies, maps and filters below.
  if (errors.length === 0) return [];
  const collapsed = collapseAnyOf([...errors]);
  const byPointer = new Map<string, ErrorObject>();
  for (const e of collapsed) {
    const p = errorPointer(e);
    const seen = byPointer.get(p);
    if (seen === undefined || rank(e) < rank(seen)) byPointer.set(p, e);
  }
  const disallowed = [...byPointer.entries()].filter(([, e]) => e.keyword === 'additionalProperties').map(([p]) => p);
  const diagnostics: Diagnostic[] = [];
  for (const [p, e] of byPointer) {
    if (disallowed.some((d) => p !== d && p.startsWith(d + '/'))) continue;
    diagnostics.push(error(base + p, message(e, subject, show), 'schema'));
  }
  return diagnostics;
}
