/**
 * Kubernetes quantities as the API server writes them back.
 *
 * Rule: a JSON number where a quantity goes (`"nvidia.com/gpu": 1`, `"cpu": 0.5`,
 * `"memory": 268435456`) becomes the canonical string the API server would store for it: the
 * number read as a decimal (DecimalSI) quantity, trailing zeros moved into an SI suffix whose
 * exponent is a multiple of 3 (`0.5` -> `500m`, `1000` -> `1k`, `1500` -> `1500`,
 * `268435456` -> `268435456`), below one nano rounded up to `1n`, as
 * k8s.io/apimachinery/pkg/api/resource (Quantity.String, CanonicalizeBytes) does.
 * Strings are kept as written: they already are quantities and the server accepts them.
 */
import { setOwn } from '../shared/index.js';

const SI_SUFFIX: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };

/** `digits` x 10^`exponent`, exactly, from a JS number's shortest decimal form. */
function decimalOf(value: number): { digits: bigint; exponent: number } | undefined {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value));
  if (!m) return undefined;
  const fraction = m[2] ?? '';
  return { digits: BigInt(m[1]! + fraction), exponent: Number(m[3] ?? 0) - fraction.length };
}

/**
 * {@link numberToQuantity} of a non-negative safe integer (memory, GPUs: most quantities) without
 * text or BigInt: its trailing zeros in groups of three become the SI suffix (at most 10^15 here).
 */
function integerQuantity(value: number): string {
  if (value === 0) return '0';
  let digits = value;
  let exponent = 0;
  while (digits % 1000 === 0) {
    digits /= 1000;
    exponent += 3;
  }
  return `${digits}${SI_SUFFIX[exponent]}`;
}

/** The canonical quantity string of a non-negative finite number; undefined for anything else. */
export function numberToQuantity(value: number): string | undefined {
  if (Number.isSafeInteger(value) && value >= 0) return integerQuantity(value);
  if (!Number.isFinite(value) || value < 0) return undefined;
  const decimal = decimalOf(value);
  if (!decimal) return undefined;
  let { digits, exponent } = decimal;
  if (digits === 0n) return '0';
  if (exponent < -9) {
    // Below the nano scale the API server rounds up.
    const scale = 10n ** BigInt(-9 - exponent);
    digits = (digits + scale - 1n) / scale;
    exponent = -9;
  }
  while (digits % 10n === 0n && exponent < 18) {
    digits /= 10n;
    exponent += 1;
  }
  while (((exponent % 3) + 3) % 3 !== 0 || exponent > 18) {
    digits *= 10n;
    exponent -= 1;
  }
  return `${digits}${SI_SUFFIX[exponent]}`;
}

/** A quantity in output form: numbers become canonical strings, strings stay as they are. */
export function quantityString(value: string | number): string {
  return typeof value === 'number' ? (numberToQuantity(value) ?? String(value)) : value;
}

/** Every value of a quantity map in output form. */
export function quantityStrings(quantities: Readonly<Record<string, string | number>>): Record<string, string> {
  // A loop rather than Object.fromEntries(Object.entries(...).map(...)): no pair arrays; an own `__proto__` stays a member as there.
  const out: Record<string, string> = {};
  const keys = Object.keys(quantities);
  for (let i = 0; i < keys.length; i++) setOwn(out, keys[i]!, quantityString(quantities[keys[i]!]!));
  return out;
}

/**
 * A copy of a Volume fragment (from k8s-experimental) with its quantities as strings:
 * `emptyDir.sizeLimit` and an ephemeral volume's claim template `resources.requests/limits`.
 */
export function volumeWithQuantityStrings(volume: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...volume };
  const emptyDir = out.emptyDir;
  if (isRecord(emptyDir) && typeof emptyDir.sizeLimit === 'number') out.emptyDir = { ...emptyDir, sizeLimit: quantityString(emptyDir.sizeLimit) };
  const ephemeral = out.ephemeral;
  const template = isRecord(ephemeral) ? ephemeral.volumeClaimTemplate : undefined;
  const spec = isRecord(template) ? template.spec : undefined;
  const resources = isRecord(spec) ? spec.resources : undefined;
  if (isRecord(ephemeral) && isRecord(template) && isRecord(spec) && isRecord(resources)) {
    const fixed: Record<string, unknown> = { ...resources };
    for (const key of ['requests', 'limits'])
      if (isRecord(resources[key])) fixed[key] = quantityStrings(resources[key] as Record<string, string | number>);
    out.ephemeral = { ...ephemeral, volumeClaimTemplate: { ...template, spec: { ...spec, resources: fixed } } };
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
