/**
 * Shared access signatures as IoT Hub uses them:
 * `SharedAccessSignature sr=<url-encoded resource>&sig=<url-encoded base64 HMAC-SHA256>&se=<expiry seconds>[&skn=<policy>]`.
 * The signature is computed over `<sr as sent>\n<se>` with the base64-decoded key.
 * Pure functions: the clock is a parameter.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The fields of a parsed SAS token. `sr` is kept exactly as sent (still URL-encoded). */
export interface SasToken {
  sr: string;
  sig: string;
  se: number;
  skn?: string;
}

/** Why a token was refused. The reason never contains key material. */
export type SasCheck = { ok: true } | { ok: false; reason: string };

const PREFIX = 'SharedAccessSignature ';

/** Parses a SAS token string; returns undefined when it is not a well-formed token. */
export function parseSas(token: string): SasToken | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  const fields = new Map<string, string>();
  for (const part of token.slice(PREFIX.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = Number(fields.get('se'));
  if (!sr || !sig || !Number.isFinite(se) || se <= 0) return undefined;
  const skn = fields.get('skn');
  if (!skn) return { sr, sig, se };
  try {
    return { sr, sig, se, skn: decodeURIComponent(skn) };
  } catch {
    return undefined;
  }
}

/** HMAC-SHA256 of `<sr>\n<se>` with a base64 key, base64-encoded. */
export function sign(key: string, sr: string, se: number): string {
  return createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${se}`).digest('base64');
}

/** Builds a token for a resource URI (not yet encoded) valid until `se` (seconds since the epoch). */
export function createSas(resource: string, key: string, se: number, skn?: string): string {
  const sr = encodeURIComponent(resource);
  const sig = encodeURIComponent(sign(key, sr, se));
  return `${PREFIX}sr=${sr}&sig=${sig}&se=${se}${skn ? `&skn=${encodeURIComponent(skn)}` : ''}`;
}

/** Normalized resource URI of a token: decoded, lowercase, without a trailing slash. */
export function resourceOf(token: SasToken): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(token.sr);
  } catch {
    decoded = token.sr;
  }
  return decoded.toLowerCase().replace(/\/+$/, '');
}

/**
 * Checks a parsed token against one or more candidate keys, the accepted resource URIs and the
 * current time in seconds.
 */
export function checkSas(token: SasToken, keys: readonly string[], resources: readonly string[], nowSeconds: number): SasCheck {
  if (token.se <= nowSeconds) return { ok: false, reason: 'token expired' };
  const resource = resourceOf(token);
  if (!resources.some((r) => r.toLowerCase() === resource)) return { ok: false, reason: 'token resource (sr) does not match the identity' };
  let presented: Buffer;
  try {
    presented = Buffer.from(decodeURIComponent(token.sig), 'base64');
  } catch {
    return { ok: false, reason: 'malformed signature' };
  }
  for (const key of keys) {
    const expected = Buffer.from(sign(key, token.sr, token.se), 'base64');
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) return { ok: true };
  }
  return { ok: false, reason: 'signature does not match' };
}
