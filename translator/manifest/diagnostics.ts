/**
 * Diagnostics: what validation and translation say about a manifest.
 *
 * Every diagnostic carries a JSON pointer (RFC 6901) into the file the user gave us, so an
 * editor or a CI log can point at the offending key. `code` is the edgeAgent
 * `lastDesiredStatus.code` the problem maps to: 400 (format error), 412 (unsupported
 * schemaVersion), 417 (empty desired properties). Warnings never fail a deployment, so they
 * map to 200.
 */

/** edgeAgent `lastDesiredStatus` codes a diagnostic can map to. */
export type StatusCode = 200 | 400 | 412 | 417;

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** JSON pointer into the manifest as the user wrote it, e.g. `/modulesContent/$edgeAgent/properties.desired/modules/web`. */
  pointer: string;
  /** The edgeAgent status code this maps to (200 for warnings). */
  code: StatusCode;
  /** A sentence that names the field and the offending value. */
  message: string;
  severity: Severity;
  /** A stable, machine-readable rule id, e.g. `schema`, `create-options-json`, `unsupported-create-option`. */
  rule: string;
}

export function error(pointer: string, message: string, rule: string, code: 400 | 412 | 417 = 400): Diagnostic {
  return { pointer, code, message, severity: 'error', rule };
}

export function warning(pointer: string, message: string, rule: string): Diagnostic {
  return { pointer, code: 200, message, severity: 'warning', rule };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Escapes one reference token of a JSON pointer (RFC 6901: `~` -> `~0`, `/` -> `~1`). */
export function escapeToken(token: string | number): string {
  // A number's text holds neither `~` nor `/`.
  if (typeof token === 'number') return String(token);
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token;
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Joins a base pointer and reference tokens: `joinPointer('/a', 'b/c', 0)` -> `/a/b~1c/0`. */
export function joinPointer(base: string, ...tokens: (string | number)[]): string {
  let pointer = base;
  for (const t of tokens) pointer += '/' + escapeToken(t);
  return pointer;
}

/** The most severe status code among error diagnostics, or 200 when there are none. */
export function statusOf(diagnostics: readonly Diagnostic[]): StatusCode {
  const codes = diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  // edgeAgent reports the first failing check: schemaVersion (412) before empty (417) before format (400).
  for (const c of [412, 417, 400] as const) if (codes.includes(c)) return c;
  return 200;
}

/** A failure that is not about the manifest's content (file missing, unreadable). */
export class ManifestLoadError extends Error {
  override readonly name = 'ManifestLoadError';
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}
