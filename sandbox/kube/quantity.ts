/**
 * resource.Quantity as the API server reads and writes it: a JSON number or string
 * is parsed, rounded up to nano precision and written back in canonical form, in the
 * format family of the input (binary suffix `Ki`..`Ei`, decimal suffix `n`..`E`, or
 * an `e` exponent). Follows the rules of k8s.io/apimachinery pkg/api/resource
 * (quantity.go `ParseQuantity` and `CanonicalizeBytes`, amount.go
 * `AsCanonicalBytes`); the code is our own, on exact BigInt arithmetic.
 *
 * Examples: `0.5` -> `500m`, `1000` -> `1k`, `1024Mi` -> `1Gi`, `1536Mi` -> `1536Mi`,
 * `1e3` -> `1e3`, `0.1Ki` -> `102400m`, `512` with a binary suffix is `512`.
 */

/** The message of the real server when a string is not a quantity. */
export const QUANTITY_SYNTAX =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIX).map(([s, e]) => [e, s]));
const BINARY_NAMES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const SYNTAX = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;

/** A parsed quantity: the exact value is `mantissa * 10^scale`. */
interface Parsed {
  mantissa: bigint;
  scale: number;
  format: Format;
}

function pow(base: bigint, n: number): bigint {
  return base ** BigInt(n);
}

/** Divides rounding away from zero (the Go code's RoundUp). */
function divideUp(n: bigint, d: bigint): bigint {
  const q = n / d;
  if (q * d === n) return q;
  return n < 0n ? q - 1n : q + 1n;
}

function parse(text: string): Parsed | undefined {
  const m = SYNTAX.exec(text);
  if (!m) return undefined;
  const [, sign, whole, fraction = '', suffix = ''] = m;
  if (whole === '' && fraction === '') return undefined;
  let mantissa = BigInt(`${whole}${fraction}` || '0');
  if (sign === '-') mantissa = -mantissa;
  let scale = -fraction.length;
  let format: Format;
  if (suffix in BINARY_SUFFIX) {
    format = 'BinarySI';
    mantissa *= pow(1024n, BINARY_SUFFIX[suffix]!);
  } else if (suffix in DECIMAL_SUFFIX) {
    format = 'DecimalSI';
    scale += DECIMAL_SUFFIX[suffix]!;
  } else {
    const exp = /^[eE]([+-]?\d+)$/.exec(suffix);
    if (!exp) return undefined;
    format = 'DecimalExponent';
    scale += Number(exp[1]);
  }
  if (scale < -9) {
    mantissa = divideUp(mantissa, pow(10n, -9 - scale));
    scale = -9;
  }
  return { mantissa, scale, format };
}

/** Strips factors of 10, then lowers the exponent to a multiple of 3 (AsCanonicalBytes). */
function decimalParts(mantissa: bigint, scale: number): { digits: bigint; exponent: number } {
  let digits = mantissa;
  let exponent = scale;
  while (digits !== 0n && digits % 10n === 0n) {
    digits /= 10n;
    exponent++;
  }
  const extra = ((exponent % 3) + 3) % 3;
  return { digits: digits * pow(10n, extra), exponent: exponent - extra };
}

function decimalText(mantissa: bigint, scale: number, format: Format): string {
  const { digits, exponent } = decimalParts(mantissa, scale);
  if (format === 'DecimalSI') {
    const suffix = DECIMAL_BY_EXPONENT.get(exponent);
    if (suffix !== undefined) return `${digits}${suffix}`;
  }
  return exponent === 0 ? `${digits}` : `${digits}e${exponent}`;
}

function canonical(q: Parsed): string {
  if (q.mantissa === 0n) return '0';
  if (q.format === 'BinarySI') {
    const integer = q.scale >= 0 ? q.mantissa * pow(10n, q.scale) : undefined;
    const exact = integer ?? (q.mantissa % pow(10n, -q.scale) === 0n ? q.mantissa / pow(10n, -q.scale) : undefined);
    if (exact === undefined || (exact > -1024n && exact < 1024n)) return decimalText(q.mantissa, q.scale, 'DecimalSI');
    let amount = exact;
    let power = 0;
    while (power < BINARY_NAMES.length - 1 && amount % 1024n === 0n) {
      amount /= 1024n;
      power++;
    }
    return `${amount}${BINARY_NAMES[power]}`;
  }
  return decimalText(q.mantissa, q.scale, q.format);
}

/**
 * The canonical string of a quantity given as a JSON number or string, or undefined
 * when it is not a quantity (the caller answers with {@link QUANTITY_SYNTAX}).
 */
export function canonicalQuantity(value: number | string): string | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value).replace('e+', 'e');
  } else text = value.trim();
  const parsed = parse(text);
  return parsed ? canonical(parsed) : undefined;
}
