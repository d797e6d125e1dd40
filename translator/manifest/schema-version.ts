/**
 * schemaVersion checks, done before schema validation because the version picks the schema.
 * edgeAgent rejects a version it cannot parse or whose major is not 1, or one newer than it
 * knows, with status 412; we do the same (newest known: `$edgeAgent` 1.1, `$edgeHub` 1.2).
 */
import { error, joinPointer, type Diagnostic } from './diagnostics.js';
import { article, showValue } from './json-values.js';

export type SchemaVersionCheck<V extends string> = { ok: true; version: V } | { ok: false; diagnostic: Diagnostic };

/**
 * Checks `desired.schemaVersion` (at `pointer` + `/schemaVersion`) against the supported
 * `major.minor` versions; a patch part (`1.1.0`) is accepted and ignored.
 */
export function checkSchemaVersion<V extends string>(
  value: unknown,
  desiredPointer: string,
  component: '$edgeAgent' | '$edgeHub',
  supported: readonly V[],
): SchemaVersionCheck<V> {
  // The usual case first: a supported version as written (`1.1`), with nothing to report.
  if (typeof value === 'string') {
    const same = supported.find((v) => v === value);
    if (same !== undefined) return { ok: true, version: same };
  }
  const pointer = joinPointer(desiredPointer, 'schemaVersion');
  const list = supported.join(', ');
  if (value === undefined) {
    return { ok: false, diagnostic: error(pointer, `${component} desired properties are missing required property 'schemaVersion' (supported: ${list})`, 'schema') };
  }
  if (typeof value !== 'string') {
    return { ok: false, diagnostic: error(pointer, `${component} schemaVersion must be a string such as "${supported[supported.length - 1]}", not ${article(value)}`, 'schema') };
  }
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(value.trim());
  if (m === null) {
    return { ok: false, diagnostic: error(pointer, `${component} schemaVersion ${showValue(value)} is not a version number (supported: ${list})`, 'schema-version', 412) };
  }
  const key = `${Number(m[1])}.${Number(m[2])}`;
  const match = supported.find((v) => v === key);
  if (match !== undefined) return { ok: true, version: match };
  const reason = Number(m[1]) !== 1 ? 'the major version must be 1' : `the newest supported ${component} schema version is ${supported[supported.length - 1]}`;
  return { ok: false, diagnostic: error(pointer, `${component} schemaVersion ${showValue(value)} is not supported: ${reason} (supported: ${list})`, 'schema-version', 412) };
}
