/**
 * Names: turns IoT Edge identifiers (module ids, share names, credential keys, device ids) into
 * names and label values Kubernetes accepts.
 *
 * Rule: a name that is already valid stays as it is. A name that only needs lowercasing is
 * lowercased (`WebServerApp` -> `webserverapp`, `edgeHub` -> `edgehub`), as Azure Stack Edge does.
 * Any other change (invalid characters, too long, must start with a letter) or a collision with
 * another name appends `-` and 8 hex characters of the SHA-256 of the original name, so the
 * result is stable and different originals stay apart.
 */
import { createHash } from 'node:crypto';
import { sortStrings } from '../shared/index.js';

/** Longest DNS-1123 / DNS-1035 label and label value. */
export const MAX_LABEL_LENGTH = 63;
/** Longest DNS-1123 subdomain (object names such as PersistentVolumeClaims and Secrets). */
export const MAX_SUBDOMAIN_LENGTH = 253;

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_SVC_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** 8 lowercase hex characters of the SHA-256 of `text`: a short, stable disambiguator. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}

export function isDns1035Label(name: string): boolean {
  return name.length <= MAX_LABEL_LENGTH && DNS1035_LABEL.test(name);
}

export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_LABEL_LENGTH && DNS1123_LABEL.test(name);
}

export function isDns1123Subdomain(name: string): boolean {
  return name.length <= MAX_SUBDOMAIN_LENGTH && DNS1123_SUBDOMAIN.test(name);
}

/** A label value: at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends (or empty). */
export function isLabelValue(value: string): boolean {
  return isLabelValueFrom(value, 0);
}

/**
 * {@link isLabelValue} of `text` from `start` (`/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/`
 * and at most 63 characters), checked by character codes: a regular expression's call cost more
 * than the check of these short texts (labels, key names; several per module), and a part had to
 * be cut out first.
 */
function isLabelValueFrom(text: string, start: number): boolean {
  const end = text.length;
  if (end - start > MAX_LABEL_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const alphanumeric = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
    const inner = c === 0x2d || c === 0x5f || c === 0x2e;
    if (!alphanumeric && !(inner && i !== start && i !== end - 1)) return false;
  }
  return true;
}

/** A port name (IANA_SVC_NAME): at most 15 characters of `[a-z0-9-]`, at least one letter, no `--`. */
export function isPortName(name: string): boolean {
  return name.length <= 15 && IANA_SVC_NAME.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

/** How a name came out of sanitizing. */
export interface SanitizedName {
  name: string;
  /** True when the result differs from the original by more than lowercasing. */
  changed: boolean;
}

/**
 * `base` with a hash suffix of `original`, shortened so the whole fits `max` characters and
 * does not end with `-`.
 */
export function withHash(base: string, original: string, max: number = MAX_LABEL_LENGTH): string {
  const suffix = shortHash(original);
  const head = base.slice(0, max - suffix.length - 1).replace(/[-.]+$/, '');
  return head === '' ? `x-${suffix}` : `${head}-${suffix}`;
}

/** Replaces runs of characters outside `allowed` by `-` and trims `-`/`.` from both ends. */
function scrub(text: string, allowed: RegExp): string {
  let out = '';
  for (const ch of text) out += allowed.test(ch) ? ch : '-';
  return out.replace(/-{2,}/g, '-').replace(/^[-.]+|[-.]+$/g, '');
}

/**
 * A DNS-1035 label for a module (Service names must be DNS-1035). See the file comment for the
 * rule; `changed` tells whether a hash suffix was needed.
 */
export function toDnsLabel(original: string): SanitizedName {
  const lower = original.toLowerCase();
  if (isDns1035Label(lower)) return { name: lower, changed: false };
  let base = scrub(lower, /[a-z0-9-]/);
  if (!/^[a-z]/.test(base)) base = base === '' ? 'm' : `m-${base}`;
  return { name: withHash(base, original), changed: true };
}

/** A DNS-1123 label (volume names, hostnames); same rule as {@link toDnsLabel}. */
export function toDns1123Label(original: string): SanitizedName {
  const lower = original.toLowerCase();
  if (isDns1123Label(lower)) return { name: lower, changed: false };
  const base = scrub(lower, /[a-z0-9-]/);
  return { name: withHash(base === '' ? 'x' : base, original), changed: true };
}

/** A DNS-1123 subdomain (claim and Secret names); same rule as {@link toDnsLabel}. */
export function toDnsSubdomain(original: string): SanitizedName {
  const lower = original.toLowerCase();
  if (isDns1123Subdomain(lower)) return { name: lower, changed: false };
  const base = scrub(lower, /[a-z0-9.-]/).replace(/\.{2,}/g, '.').replace(/-\.|\.-/g, '-');
  return { name: withHash(base === '' ? 'x' : base, original, MAX_SUBDOMAIN_LENGTH), changed: true };
}

/**
 * A label value: kept when valid; otherwise invalid characters become `-`, the ends are trimmed
 * to alphanumerics, and a value longer than 63 is shortened with a hash suffix.
 */
export function toLabelValue(original: string): string {
  if (isLabelValue(original)) return original;
  const base = scrub(original, /[A-Za-z0-9._-]/).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (base.length <= MAX_LABEL_LENGTH && base !== '') return base;
  return withHash(base, original).replace(/^[^A-Za-z0-9]+/, '');
}

/** An id and the Kubernetes name assigned to it. */
export interface AssignedName {
  /** The module id as in the manifest. */
  original: string;
  /** The Kubernetes name (DNS-1035 label). */
  name: string;
  /** Why a hash suffix was added: `sanitized` (characters or length), `collision` or `reserved`. */
  reason?: 'sanitized' | 'collision' | 'reserved';
  /** The other module ids this one collided with, when `reason` is `collision`. */
  collidedWith?: string[];
  /** What already owns the name, when `reason` is `reserved` (`the namespace's ServiceAccount 'default'`). */
  reservedBy?: string;
}

/**
 * Assigns names to a set of ids, independent of their order. `sanitize` gives each id's
 * candidate; ids it must change get their hashed form. When several ids share a candidate, the
 * `reserved` id, else the id that needed no lowercasing, keeps it and the others get a hash suffix.
 */
export function assignNames(
  ids: readonly string[],
  sanitize: (id: string) => SanitizedName,
  reserved: readonly string[] = [],
  unavailable: ReadonlyMap<string, string> = new Map(),
): Map<string, AssignedName> {
  const result = new Map<string, AssignedName>();
  // Two distinct ids share a candidate only when one of them was lowercased to it: the ids that
  // are their own candidate (most) are looked up among those groups (usually few), not grouped.
  const own: string[] = [];
  const lowered = new Map<string, string[]>();
  for (const id of uniqueSorted(ids)) {
    const s = sanitize(id);
    if (s.changed) result.set(id, { original: id, name: s.name, reason: 'sanitized' });
    else if (s.name === id) own.push(id);
    else {
      // A list of one to start with: most names have no other id (a list started empty takes room for 17).
      const group = lowered.get(s.name);
      if (group === undefined) lowered.set(s.name, [id]);
      else group.push(id);
    }
  }
  for (const id of own) {
    const group = lowered.size > 0 ? lowered.get(id) : undefined;
    if (group !== undefined) group.push(id);
    else {
      const owner = unavailable.get(id);
      result.set(id, owner === undefined ? { original: id, name: id } : { original: id, name: withHash(id, id), reason: 'reserved', reservedBy: owner });
    }
  }
  for (const [name, group] of lowered) assignShared(result, name, sortStrings(group), reserved, unavailable);
  return result;
}

/** Names for the ids of `group` (in code unit order), whose candidate is `name`; see {@link assignNames}. */
function assignShared(
  result: Map<string, AssignedName>,
  name: string,
  group: readonly string[],
  reserved: readonly string[],
  unavailable: ReadonlyMap<string, string>,
): void {
  const owner = unavailable.get(name);
  if (owner !== undefined) {
    for (const id of group) result.set(id, { original: id, name: withHash(name, id), reason: 'reserved', reservedBy: owner });
    return;
  }
  const winner = group.length === 1 ? group[0] : (group.find((id) => reserved.includes(id)) ?? group.find((id) => id === id.toLowerCase()));
  for (const id of group) {
    if (id === winner) result.set(id, { original: id, name });
    else
      result.set(id, {
        original: id,
        name: withHash(name, id),
        reason: 'collision',
        collidedWith: group.filter((other) => other !== id),
      });
  }
}

/**
 * The distinct ids in code unit order (`[...new Set(ids)].sort()`): sorted first, so a repeat is
 * next to its first; without a Set, and a short list without the native sort (see shared/sort.ts).
 */
function uniqueSorted(ids: readonly string[]): string[] {
  const sorted = sortStrings(ids.slice());
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[kept - 1]) sorted[kept++] = sorted[i]!;
  sorted.length = kept;
  return sorted;
}

/** Kubernetes names (DNS-1035 labels) for module ids; see {@link assignNames}. */
export function assignModuleNames(
  ids: readonly string[],
  reserved: readonly string[] = [],
  unavailable: ReadonlyMap<string, string> = new Map(),
): Map<string, AssignedName> {
  return assignNames(ids, toDnsLabel, reserved, unavailable);
}

/** An annotation or label key: `[prefix/]name`, prefix a DNS-1123 subdomain, name 1 to 63 characters of a label value. */
export function isQualifiedName(key: string): boolean {
  // The first `/` (indexOf, not lastIndexOf, a call into the runtime): with a second one, the
  // name holds a `/` and fails as the prefix would.
  const slash = key.indexOf('/');
  if (slash >= 0 && (slash === 0 || !isDns1123Subdomain(key.slice(0, slash)))) return false;
  return key.length > slash + 1 && isLabelValueFrom(key, slash + 1);
}
