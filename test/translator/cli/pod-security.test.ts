/**
 * `--pod-security privileged|baseline|restricted` on validate and translate: a module that
 * breaks the level is refused with 400 at the createOptions key, naming the rule, and nothing
 * of the deployment is translated. The default (privileged) keeps real manifests working.
 */
import { module, modulesPointer, run, translateJson, writeManifest } from './manifests.js';

const co = (name: string, ...tokens: string[]): string => [`${modulesPointer}/${name}/settings/createOptions`, ...tokens].join('/');

/** A module that meets restricted: non-root, no escalation, RuntimeDefault seccomp, all capabilities dropped. */
const HARDENED = {
  User: '1000:1000',
  HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
  'k8s-experimental': { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
};

/** The sample with one user module `m`; edgeHub (checked like any module) gets `hubOptions` when given. */
function manifest(name: string, createOptions: unknown, hubOptions?: unknown): string {
  return writeManifest(`psa-${name}-${Math.random().toString(36).slice(2, 8)}.json`, (d) => {
    d.modules = { m: module(createOptions) };
    if (hubOptions) d.systemModules.edgeHub.settings.createOptions = JSON.stringify(hubOptions);
  });
}

async function refusal(level: string, createOptions: unknown, hubOptions?: unknown): Promise<string[]> {
  const file = manifest(level, createOptions, hubOptions);
  const r = await run('validate', file, '--pod-security', level);
  expect(r.code).toBe(1);
  const t = await run('translate', file, '--pod-security', level);
  expect(t.code).toBe(1);
  expect(t.out).toBe('');
  return r.out.split('\n').filter((l) => l.includes('Pod Security Standard'));
}

describe('--pod-security baseline', () => {
  it.each([
    ['Privileged', { HostConfig: { Privileged: true } }, co('m', 'HostConfig', 'Privileged'), 'Privileged Containers'],
    ['CapAdd ALL', { HostConfig: { CapAdd: ['ALL'] } }, co('m', 'HostConfig', 'CapAdd'), 'Capabilities'],
    ['CapAdd SYS_ADMIN', { HostConfig: { CapAdd: ['SYS_ADMIN'] } }, co('m', 'HostConfig', 'CapAdd'), 'Capabilities'],
    ['host network', { HostConfig: { NetworkMode: 'host' } }, co('m', 'HostConfig', 'NetworkMode'), 'Host Namespaces'],
    ['host PID', { HostConfig: { PidMode: 'host' } }, co('m', 'HostConfig', 'PidMode'), 'Host Namespaces'],
    ['host IPC', { HostConfig: { IpcMode: 'host' } }, co('m', 'HostConfig', 'IpcMode'), 'Host Namespaces'],
    ['a bind of /', { HostConfig: { Binds: ['/:/host'] } }, co('m', 'HostConfig'), 'HostPath Volumes'],
    ['/dev/mem', { HostConfig: { Devices: [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem' }] } }, co('m', 'HostConfig'), 'HostPath Volumes'],
    ['seccomp unconfined', { HostConfig: { SecurityOpt: ['seccomp=unconfined'] } }, co('m', 'HostConfig', 'SecurityOpt'), 'Seccomp'],
    ['AppArmor unconfined', { HostConfig: { SecurityOpt: ['apparmor=unconfined'] } }, co('m', 'HostConfig', 'SecurityOpt'), 'AppArmor'],
    ['a kernel.* sysctl', { HostConfig: { Sysctls: { 'kernel.msgmax': '65536' } } }, co('m', 'HostConfig', 'Sysctls'), 'Sysctls'],
  ])('%s is refused with 400 at its key, naming the rule', async (_name, createOptions, pointer, rule) => {
    const lines = await refusal('baseline', createOptions);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^error 400 ${pointer.replace(/[$.]/g, '\\$&')}: breaks the baseline Pod Security Standard \\(rule "${rule}"\\)`)));
  });

  it('allows what baseline allows: safe sysctls, default capabilities, ports', async () => {
    const file = manifest('ok', { HostConfig: { CapAdd: ['NET_BIND_SERVICE', 'CHOWN'], Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' }, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } });
    const r = await translateJson(file, '--pod-security', 'baseline');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('one breaking module refuses the whole deployment', async () => {
    const file = writeManifest('psa-two.json', (d) => {
      d.modules = { good: module({}), bad: module({ HostConfig: { Privileged: true } }) };
    });
    const r = await run('translate', file, '--pod-security', 'baseline');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`error 400 ${co('bad', 'HostConfig', 'Privileged')}: breaks the baseline Pod Security Standard`);
  });
});

describe('--pod-security restricted', () => {
  it('accepts hardened modules (edgeHub is checked like the others)', async () => {
    const plainHub = await run('validate', manifest('hub', HARDENED), '--pod-security', 'restricted');
    expect(plainHub.out).toContain(`/systemModules/edgeHub/settings/createOptions/HostConfig/CapDrop: breaks the restricted Pod Security Standard`);
    const file = manifest('hardened', HARDENED, { ...HARDENED, HostConfig: { ...HARDENED.HostConfig, PortBindings: { '8883/tcp': [{ HostPort: '8883' }] } } });
    const r = await translateJson(file, '--pod-security', 'restricted');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['no-new-privileges missing', { ...HARDENED, HostConfig: { CapDrop: ['ALL'] } }, 'Privilege Escalation'],
    ['runAsNonRoot missing', { ...HARDENED, 'k8s-experimental': { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } }, 'Running as Non-root'],
    ['seccomp missing', { ...HARDENED, 'k8s-experimental': { securityContext: { runAsNonRoot: true } } }, 'Seccomp'],
    ['capabilities not dropped', { ...HARDENED, HostConfig: { SecurityOpt: ['no-new-privileges'] } }, 'Capabilities'],
    ['uid 0', { ...HARDENED, User: '0' }, 'Running as Non-root user'],
    ['an added capability other than NET_BIND_SERVICE', { ...HARDENED, HostConfig: { ...HARDENED.HostConfig, CapAdd: ['CHOWN'] } }, 'Capabilities'],
  ])('%s is refused, naming the rule', async (_name, createOptions, rule) => {
    const lines = await refusal('restricted', createOptions, HARDENED);
    expect(lines.join('\n')).toContain(`${co('m')}`);
    expect(lines.join('\n')).toContain(`breaks the restricted Pod Security Standard (rule "${rule}")`);
    expect(lines.every((l) => l.includes('/modules/m/'))).toBe(true);
  });
});

describe('--pod-security privileged (the default)', () => {
  it('keeps privileged, host-network modules working, and rejects an unknown level', async () => {
    const file = manifest('priv', { HostConfig: { Privileged: true, NetworkMode: 'host', Binds: ['/:/host'] } });
    expect((await translateJson(file)).code).toBe(0);
    expect((await translateJson(file, '--pod-security', 'privileged')).code).toBe(0);
    const bad = await run('validate', file, '--pod-security', 'strict');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Allowed choices are privileged, baseline, restricted/);
  });
});
