/**
 * `k8s-experimental.securityContext`: a pod securityContext, checked field by field the way the
 * API server checks it, so a wrong type or an out-of-range id fails `validate` at its pointer
 * instead of at apply time. Container-only fields (privileged, capabilities...) are refused with
 * the createOptions key that sets them.
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import { MAX_ID, isSysctlName } from './security.js';
import { isObject, readObject, typeName } from './values.js';
import { sortedKeys } from '../shared/index.js';

type Check = (value: unknown, pointer: string, issues: Issues) => boolean;

const id: Check = (v, p, issues) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_ID) return true;
  issues.error(p, `expected a whole number from 0 to ${MAX_ID} at ${p}, found ${JSON.stringify(v) ?? typeName(v)}`);
  return false;
};
const bool: Check = (v, p, issues) => {
  if (typeof v === 'boolean') return true;
  issues.error(p, `expected true or false at ${p}, found ${typeName(v)}`);
  return false;
};
const object: Check = (v, p, issues) => {
  if (isObject(v)) return true;
  issues.error(p, `expected an object at ${p}, found ${typeName(v)}`);
  return false;
};
const oneOf =
  (...values: string[]): Check =>
  (v, p, issues) => {
    if (typeof v === 'string' && values.includes(v)) return true;
    issues.error(p, `expected one of ${values.join(', ')} at ${p}, found ${JSON.stringify(v) ?? typeName(v)}`);
    return false;
  };
const ids: Check = (v, p, issues) => {
  if (!Array.isArray(v)) {
    issues.error(p, `expected a list of group ids at ${p}, found ${typeName(v)}`);
    return false;
  }
  return v.every((x, i) => id(x, joinPointer(p, i), issues));
};
const sysctls: Check = (v, p, issues) => {
  if (!Array.isArray(v)) {
    issues.error(p, `expected a list of {name, value} at ${p}, found ${typeName(v)}`);
    return false;
  }
  return v.every((x, i) => {
    const at = joinPointer(p, i);
    if (!isObject(x) || typeof x.name !== 'string' || typeof x.value !== 'string') {
      issues.error(at, `expected {"name": "...", "value": "..."} (both strings) at ${at}`);
      return false;
    }
    if (!isSysctlName(x.name)) {
      issues.error(joinPointer(at, 'name'), `'${x.name}' is not a valid sysctl name`);
      return false;
    }
    return true;
  });
};

const FIELDS: Record<string, Check> = {
  runAsUser: id,
  runAsGroup: id,
  fsGroup: id,
  runAsNonRoot: bool,
  supplementalGroups: ids,
  supplementalGroupsPolicy: oneOf('Merge', 'Strict'),
  fsGroupChangePolicy: oneOf('OnRootMismatch', 'Always'),
  seLinuxChangePolicy: oneOf('MountOption', 'Recursive'),
  sysctls,
  seLinuxOptions: object,
  seccompProfile: object,
  appArmorProfile: object,
  windowsOptions: object,
};

/** Container-only fields and the createOptions key that sets each. */
const CONTAINER_FIELDS: Record<string, string> = {
  privileged: 'HostConfig.Privileged',
  allowPrivilegeEscalation: "HostConfig.SecurityOpt 'no-new-privileges'",
  capabilities: 'HostConfig.CapAdd / CapDrop',
  readOnlyRootFilesystem: 'HostConfig.ReadonlyRootfs',
  procMount: 'nothing (runtime default)',
};

/** The checked pod securityContext, or undefined (with errors) when any field is wrong. */
export function readPodSecurityContext(value: unknown, pointer: string, issues: Issues): Record<string, unknown> | undefined {
  const obj = readObject(value, pointer, issues);
  if (!obj) return undefined;
  let ok = true;
  for (const key of sortedKeys(obj)) {
    const p = joinPointer(pointer, key);
    const check = FIELDS[key];
    if (check) ok = check(obj[key], p, issues) && ok;
    else if (key in CONTAINER_FIELDS) {
      issues.error(p, `'${key}' is a container securityContext field, not a pod one: set it with ${CONTAINER_FIELDS[key]}`);
      ok = false;
    } else {
      issues.error(p, `'${key}' is not a pod securityContext field (known: ${Object.keys(FIELDS).join(', ')})`);
      ok = false;
    }
  }
  return ok ? obj : undefined;
}
