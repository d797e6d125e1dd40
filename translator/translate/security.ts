/**
 * Security settings.
 *
 * Rule: `Privileged`, `CapAdd`/`CapDrop` (without the `CAP_` prefix), `ReadonlyRootfs` and a
 * numeric `User` ("uid" or "uid:gid") go to the container securityContext; `SecurityOpt`
 * no-new-privileges / seccomp=unconfined / apparmor=unconfined too. `GroupAdd` (numeric) and
 * `Sysctls` go to the pod securityContext.
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import type { ModuleSpec } from './spec.js';
import { readBoolean, readStringList, readStringMap, readString } from './values.js';
import { sortedKeys } from '../shared/index.js';

/** Sysctls the kubelet allows without `--allowed-unsafe-sysctls`. */
export const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

/** Largest user or group id Kubernetes accepts (runAsUser, runAsGroup, fsGroup, supplementalGroups). */
export const MAX_ID = 2147483647;
/** A sysctl name as the API server validates it (dots or slashes between segments), at most 253 characters. */
const SYSCTL_NAME = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

export function isSysctlName(name: string): boolean {
  return name.length <= 253 && SYSCTL_NAME.test(name);
}

/** A decimal id within 0..MAX_ID, compared exactly (a long digit string is not rounded into range). */
export function idOf(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  return BigInt(text) <= BigInt(MAX_ID) ? Number(text) : undefined;
}

function podSecurity(spec: ModuleSpec): Record<string, unknown> {
  const current = spec.pod.securityContext as Record<string, unknown> | undefined;
  if (current) return current;
  const created: Record<string, unknown> = {};
  spec.pod.securityContext = created;
  return created;
}

export function readPrivileged(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  if (readBoolean(value, pointer, issues)) spec.securityContext.privileged = true;
}

export function readReadonlyRootfs(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  if (readBoolean(value, pointer, issues)) spec.securityContext.readOnlyRootFilesystem = true;
}

function capabilities(spec: ModuleSpec): Record<string, string[]> {
  const caps = (spec.securityContext.capabilities as Record<string, string[]> | undefined) ?? {};
  spec.securityContext.capabilities = caps;
  return caps;
}

/** `CapAdd` / `CapDrop`: `["CAP_NET_ADMIN", "SYS_TIME"]` -> capabilities.add / drop. */
export function readCapabilities(field: 'add' | 'drop'): (value: unknown, pointer: string, spec: ModuleSpec, issues: Issues) => void {
  return (value, pointer, spec, issues) => {
    const list = readStringList(value, pointer, issues);
    if (!list || list.length === 0) return;
    capabilities(spec)[field] = list.map((c) => (c.toUpperCase().startsWith('CAP_') ? c.slice(4) : c).toUpperCase());
  };
}

/** `User`: "1000" or "1000:1000" -> runAsUser / runAsGroup; names cannot be resolved and warn. */
export function readUser(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const user = readString(value, pointer, issues);
  if (!user) return;
  const [uid = '', gid, ...rest] = user.split(':');
  if (rest.length > 0) {
    issues.error(pointer, `User '${user}' must be USER or USER:GROUP`);
    return;
  }
  if (/^\d+$/.test(uid)) {
    const id = idOf(uid);
    if (id === undefined) {
      issues.error(pointer, `User '${uid}' is above ${MAX_ID}, the largest uid Kubernetes accepts`);
      return;
    }
    spec.securityContext.runAsUser = id;
  } else
    issues.warn(pointer, `User '${uid}' is a name: Kubernetes needs a numeric uid, so the image's default user applies; use a number`);
  if (gid === undefined || gid === '') return;
  if (/^\d+$/.test(gid)) {
    const id = idOf(gid);
    if (id === undefined) issues.error(pointer, `group '${gid}' is above ${MAX_ID}, the largest gid Kubernetes accepts`);
    else spec.securityContext.runAsGroup = id;
  } else issues.warn(pointer, `group '${gid}' is a name: Kubernetes needs a numeric gid, so it is ignored; use a number`);
}

/** `SecurityOpt`: no-new-privileges, seccomp=unconfined, apparmor=unconfined; others warn. */
export function readSecurityOpt(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const opts = readStringList(value, pointer, issues);
  opts?.forEach((opt, i) => {
    const p = joinPointer(pointer, i);
    const [key = '', val = ''] = opt.split(/[=:](.*)/s);
    if (key === 'no-new-privileges' && (val === '' || val === 'true')) spec.securityContext.allowPrivilegeEscalation = false;
    else if (key === 'seccomp' && val === 'unconfined') spec.securityContext.seccompProfile = { type: 'Unconfined' };
    else if (key === 'apparmor' && val === 'unconfined') spec.securityContext.appArmorProfile = { type: 'Unconfined' };
    else issues.warn(p, `SecurityOpt '${opt}' has no Kubernetes equivalent here and is ignored (profiles must be installed on the node and set through k8s-experimental.securityContext)`);
  });
}

/** Privileged and no-new-privileges together are rejected by Kubernetes: privileged wins. */
export function checkSecurity(spec: ModuleSpec, createOptionsPointer: string, issues: Issues): void {
  if (spec.securityContext.privileged === true && spec.securityContext.allowPrivilegeEscalation === false) {
    delete spec.securityContext.allowPrivilegeEscalation;
    issues.warn(
      joinPointer(createOptionsPointer, 'HostConfig', 'SecurityOpt'),
      'no-new-privileges is ignored because the container is privileged (Kubernetes rejects the combination)',
    );
  }
}

/** `GroupAdd`: numeric groups -> pod supplementalGroups; names warn. */
export function readGroupAdd(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const groups = readStringList(value, pointer, issues);
  const ids: number[] = [];
  groups?.forEach((g, i) => {
    if (/^\d+$/.test(g)) {
      const id = idOf(g);
      if (id === undefined) issues.error(joinPointer(pointer, i), `group '${g}' is above ${MAX_ID}, the largest gid Kubernetes accepts`);
      else ids.push(id);
    } else issues.warn(joinPointer(pointer, i), `group '${g}' is a name: Kubernetes needs numeric gids, so it is ignored`);
  });
  if (ids.length > 0) podSecurity(spec).supplementalGroups = ids;
}

/** `Sysctls`: `{"net.ipv4.ip_forward": "1"}` -> pod securityContext.sysctls; unsafe ones warn. */
export function readSysctls(value: unknown, pointer: string, spec: ModuleSpec, issues: Issues): void {
  const map = readStringMap(value, pointer, issues);
  if (!map || Object.keys(map).length === 0) return;
  const names = sortedKeys(map);
  for (const name of names)
    if (!isSysctlName(name)) issues.error(joinPointer(pointer, name), `'${name}' is not a valid sysctl name (lowercase segments separated by '.' or '/')`);
    else if (!SAFE_SYSCTLS.has(name))
      issues.warn(
        joinPointer(pointer, name),
        `sysctl '${name}' is not in Kubernetes' safe set: the pod starts only on nodes whose kubelet allows it (--allowed-unsafe-sysctls)`,
      );
  podSecurity(spec).sysctls = names.map((name) => ({ name, value: map[name] }));
}

