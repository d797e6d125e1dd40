/**
 * Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * checked on each module's finished pod template, so every way a module can ask for a host-level
 * setting (createOptions, k8s-experimental) is covered. `privileged` allows everything (the
 * default: real IoT Edge manifests use host networking, devices and privileged modules);
 * `baseline` forbids the known privilege escalations; `restricted` also requires hardening.
 * Each violation is an error at the createOptions key that asked for it, naming the rule.
 */
import { joinPointer } from '../manifest/index.js';
import type { Issues } from './issues.js';
import { SAFE_SYSCTLS } from './security.js';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';
export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** Capabilities baseline allows to add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Violation {
  /** createOptions key path the violation comes from (best match). */
  at: string[];
  rule: string;
  detail: string;
}

function profileType(ctx: Json | undefined, field: 'seccompProfile' | 'appArmorProfile'): string | undefined {
  return ctx?.[field]?.type;
}

function baseline(pod: Json): Violation[] {
  const out: Violation[] = [];
  const psc: Json = pod.securityContext ?? {};
  for (const [field, key] of [['hostNetwork', 'NetworkMode'], ['hostPID', 'PidMode'], ['hostIPC', 'IpcMode']] as const)
    if (pod[field] === true) out.push({ at: ['HostConfig', key], rule: 'Host Namespaces', detail: `${field} must not be true` });
  if (psc.windowsOptions?.hostProcess === true) out.push({ at: ['k8s-experimental', 'securityContext'], rule: 'HostProcess', detail: 'windowsOptions.hostProcess must not be true' });
  for (const v of pod.volumes ?? [])
    if (v.hostPath) out.push({ at: ['HostConfig'], rule: 'HostPath Volumes', detail: `volume '${v.name}' is a hostPath (${v.hostPath.path})` });
  for (const s of psc.sysctls ?? [])
    if (!SAFE_SYSCTLS.has(s.name)) out.push({ at: ['HostConfig', 'Sysctls'], rule: 'Sysctls', detail: `sysctl '${s.name}' is not in the safe set` });
  const contexts: [Json | undefined, string[]][] = [[psc, ['k8s-experimental', 'securityContext']]];
  for (const c of pod.containers ?? []) {
    const sc: Json = c.securityContext ?? {};
    contexts.push([sc, ['HostConfig', 'SecurityOpt']]);
    if (sc.privileged === true) out.push({ at: ['HostConfig', 'Privileged'], rule: 'Privileged Containers', detail: 'privileged must not be true' });
    for (const cap of sc.capabilities?.add ?? [])
      if (!BASELINE_CAPABILITIES.has(cap)) out.push({ at: ['HostConfig', 'CapAdd'], rule: 'Capabilities', detail: `capability ${cap} may not be added` });
    for (const p of c.ports ?? []) if (p.hostPort) out.push({ at: ['HostConfig', 'PortBindings'], rule: 'Host Ports', detail: `hostPort ${p.hostPort}` });
    if (sc.procMount !== undefined && sc.procMount !== 'Default') out.push({ at: ['HostConfig'], rule: '/proc Mount Type', detail: 'procMount must be Default' });
  }
  for (const [ctx, at] of contexts) {
    if (profileType(ctx, 'seccompProfile') === 'Unconfined') out.push({ at, rule: 'Seccomp', detail: 'seccompProfile type must not be Unconfined' });
    if (profileType(ctx, 'appArmorProfile') === 'Unconfined') out.push({ at, rule: 'AppArmor', detail: 'appArmorProfile type must not be Unconfined' });
    const se = ctx?.seLinuxOptions;
    if (se && (!SELINUX_TYPES.has(se.type ?? '') || se.user || se.role)) out.push({ at, rule: 'SELinux', detail: 'seLinuxOptions may set only an allowed type' });
  }
  return out;
}

function restricted(pod: Json): Violation[] {
  const out: Violation[] = [];
  const psc: Json = pod.securityContext ?? {};
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.has(type) && type !== 'hostPath') out.push({ at: ['k8s-experimental', 'volumes'], rule: 'Volume Types', detail: `volume '${v.name}' is of type ${type}` });
  }
  for (const c of pod.containers ?? []) {
    const sc: Json = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false)
      out.push({ at: ['HostConfig', 'SecurityOpt'], rule: 'Privilege Escalation', detail: 'allowPrivilegeEscalation must be false (SecurityOpt "no-new-privileges")' });
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true)
      out.push({ at: ['k8s-experimental', 'securityContext', 'runAsNonRoot'], rule: 'Running as Non-root', detail: 'runAsNonRoot must be true' });
    if (sc.runAsUser === 0 || (sc.runAsUser === undefined && psc.runAsUser === 0)) out.push({ at: ['User'], rule: 'Running as Non-root user', detail: 'runAsUser must not be 0' });
    const seccomp = profileType(sc, 'seccompProfile') ?? profileType(psc, 'seccompProfile');
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      out.push({ at: ['k8s-experimental', 'securityContext', 'seccompProfile'], rule: 'Seccomp', detail: 'seccompProfile type must be RuntimeDefault or Localhost' });
    const caps = sc.capabilities ?? {};
    if (!(caps.drop ?? []).includes('ALL')) out.push({ at: ['HostConfig', 'CapDrop'], rule: 'Capabilities', detail: 'capabilities must drop ALL' });
    for (const cap of caps.add ?? []) if (cap !== 'NET_BIND_SERVICE') out.push({ at: ['HostConfig', 'CapAdd'], rule: 'Capabilities', detail: `only NET_BIND_SERVICE may be added, not ${cap}` });
  }
  return out;
}

/** Checks a module's pod spec against `level`; each violation becomes an error at the createOptions key that caused it. */
export function checkPodSecurity(pod: Json, level: PodSecurityLevel, createOptionsPointer: string, issues: Issues): void {
  if (level === 'privileged') return;
  const violations = [...baseline(pod), ...(level === 'restricted' ? restricted(pod) : [])];
  const seen = new Set<string>();
  for (const v of violations) {
    const message = `breaks the ${level} Pod Security Standard (rule "${v.rule}"): ${v.detail}`;
    if (seen.has(message)) continue;
    seen.add(message);
    issues.error(joinPointer(createOptionsPointer, ...v.at), message, 'pod-security');
  }
}
