/**
 * Parses Kubernetes REST paths into the resource, namespace, name and subresource.
 */
import { findType, type ResourceType } from './resources.js';

/** A parsed resource request path. */
export interface ResourcePath {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A discovery or other non-resource path, or a resource path. */
export type ParsedPath =
  | { kind: 'resource'; path: ResourcePath }
  | { kind: 'group-version'; group: string; version: string }
  | { kind: 'unknown' };

/** Parses `/api/v1/...` and `/apis/<group>/<version>/...`. */
export function parsePath(pathname: string): ParsedPath {
  let parts: string[];
  try {
    parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  } catch {
    return { kind: 'unknown' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return { kind: 'unknown' };
  if (rest.length === 0) return { kind: 'group-version', group, version };
  const typed = (plural: string): ResourceType | undefined => {
    const t = findType(group, plural);
    return t && t.version === version ? t : undefined;
  };
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const t = typed(rest[2]!);
    if (t && t.namespaced && rest.length <= 5) {
      return { kind: 'resource', path: { type: t, namespace: rest[1], name: rest[3], subresource: rest[4] } };
    }
  }
  const t = typed(rest[0]!);
  if (!t || rest.length > 3) return { kind: 'unknown' };
  return { kind: 'resource', path: { type: t, name: rest[1], subresource: rest[2] } };
}
