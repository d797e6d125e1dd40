/**
 * assertCanonical: the check of what every builder in translator/translate promises (see
 * translator/translate/canonical.ts): keys in canonical order at every level (sorted by UTF-16
 * code units, `apiVersion`, `kind`, `metadata` first at the top level, integer-like keys first as
 * JavaScript enumerates them) and no null or undefined anywhere. translate() no longer walks its
 * output to check or fix the order, so the tests run this over everything they translate.
 * Written apart from the translator's own code, so that a fault in one is not hidden by the other.
 */

const HEAD = ['apiVersion', 'kind', 'metadata'];

/** The order the keys must enumerate in: sorted (HEAD first at the top), as a fresh object enumerates them. */
function expectedOrder(keys: string[], top: boolean): string[] {
  const sorted = [...keys].sort((a, b) => {
    if (top) {
      const ra = HEAD.includes(a) ? HEAD.indexOf(a) : HEAD.length;
      const rb = HEAD.includes(b) ? HEAD.indexOf(b) : HEAD.length;
      if (ra !== rb) return ra - rb;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const fresh: Record<string, true> = {};
  for (const key of sorted) fresh[key] = true;
  return Object.keys(fresh);
}

const token = (key: string | number): string => String(key).replaceAll('~', '~0').replaceAll('/', '~1');

function check(value: unknown, path: string, top: boolean): void {
  if (value === null || value === undefined) throw new Error(`not canonical at '${path}': ${value === null ? 'null' : 'undefined'}`);
  if (typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], `${path}/${i}`, false);
    return;
  }
  const keys = Object.keys(value);
  const order = expectedOrder(keys, top);
  const place = new Map(order.map((k, i) => [k, i]));
  for (let i = 1; i < keys.length; i++)
    if (place.get(keys[i]!)! < place.get(keys[i - 1]!)!) throw new Error(`not canonical at '${path}': key '${keys[i]}' follows '${keys[i - 1]}'`);
  for (const key of keys) check((value as Record<string, unknown>)[key], `${path}/${token(key)}`, false);
}

/** Throws, naming the JSON pointer of the first fault, unless `object` is in canonical form. */
export function assertCanonical(object: unknown): void {
  check(object, '', true);
}

/** {@link assertCanonical} of every object of a list (translated objects), naming the object at fault. */
export function assertAllCanonical(objects: readonly { kind?: unknown; metadata?: { name?: unknown } }[]): void {
  for (const object of objects) {
    try {
      assertCanonical(object);
    } catch (e) {
      throw new Error(`${String(object.kind)} '${String(object.metadata?.name)}': ${(e as Error).message}`, { cause: e });
    }
  }
}
