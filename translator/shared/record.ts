/**
 * Copying the members of a record. `{ ...record }` of records of many different shapes (the
 * Labels of each module, fragments from manifests) leaves V8's object-spread fast path: in the
 * translator's hot paths it cost more than ten times a loop over `Object.keys`, which copies the
 * same members (own, enumerable, string-keyed: all that JSON values have) in the same order.
 */

/** Sets `target[key]`; an own `__proto__` member (JSON.parse makes one) is set as a member, not as the prototype. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Copies the own enumerable string-keyed members of `source` into `target`, in order; returns `target`. */
export function assignOwn<T>(target: Record<string, T>, source: Readonly<Record<string, T>> | undefined | null): Record<string, T> {
  if (source === undefined || source === null) return target;
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    setOwn(target, key, source[key]!);
  }
  return target;
}
