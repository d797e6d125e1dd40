import { co, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('security', () => {
  it('Privileged, CapAdd/CapDrop (CAP_ prefix removed), ReadonlyRootfs', () => {
    const r = translateOne({ HostConfig: { Privileged: true, CapAdd: ['CAP_NET_ADMIN', 'sys_time'], CapDrop: ['ALL'], ReadonlyRootfs: true } });
    expect(r.container.securityContext).toEqual({
      privileged: true,
      capabilities: { add: ['NET_ADMIN', 'SYS_TIME'], drop: ['ALL'] },
      readOnlyRootFilesystem: true,
    });
    assertValidK8s(r.objects);
  });

  it('accepts "true"/"false" strings and digit strings, as edgeAgent (Newtonsoft.Json) does', () => {
    expect(translateOne({ HostConfig: { Privileged: 'true' } }).container.securityContext).toEqual({ privileged: true });
    expect(translateOne({ HostConfig: { Privileged: 'False' } }).container.securityContext).toBeUndefined();
    expect(translateOne({ StopTimeout: '30' }).pod.terminationGracePeriodSeconds).toBe(30);
  });

  it('Privileged false changes nothing', () => {
    expect(translateOne({ HostConfig: { Privileged: false } }).container.securityContext).toBeUndefined();
  });

  it('numeric User -> runAsUser / runAsGroup', () => {
    expect(translateOne({ User: '1000' }).container.securityContext).toEqual({ runAsUser: 1000 });
    expect(translateOne({ User: '1000:2000' }).container.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 2000 });
  });

  it('a user or group name warns', () => {
    const r = translateOne({ User: 'app' });
    expect(r.container.securityContext).toBeUndefined();
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('User')]);
    const g = translateOne({ User: '1000:staff' });
    expect(g.container.securityContext).toEqual({ runAsUser: 1000 });
    expect(g.warnings).toHaveLength(1);
  });

  it('SecurityOpt no-new-privileges / seccomp / apparmor unconfined; others warn', () => {
    const r = translateOne({ HostConfig: { SecurityOpt: ['no-new-privileges', 'seccomp=unconfined', 'apparmor=unconfined', 'label=disable'] } });
    expect(r.container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
    });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'SecurityOpt', 3)]);
    assertValidK8s(r.objects);
  });

  it('no-new-privileges with Privileged: privileged wins with a warning', () => {
    const r = translateOne({ HostConfig: { Privileged: true, SecurityOpt: ['no-new-privileges:true'] } });
    expect(r.container.securityContext).toEqual({ privileged: true });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'SecurityOpt')]);
    assertValidK8s(r.objects);
  });

  it('GroupAdd numeric -> supplementalGroups; names warn', () => {
    const r = translateOne({ HostConfig: { GroupAdd: ['44', 'video'] } });
    expect(r.pod.securityContext).toEqual({ supplementalGroups: [44] });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'GroupAdd', 1)]);
  });

  it('Sysctls -> pod sysctls; unsafe ones warn', () => {
    const r = translateOne({ HostConfig: { Sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.tcp_syncookies': '1' } } });
    expect(r.pod.securityContext).toEqual({
      sysctls: [
        { name: 'net.ipv4.ip_forward', value: '1' },
        { name: 'net.ipv4.tcp_syncookies', value: '1' },
      ],
    });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'Sysctls', 'net.ipv4.ip_forward')]);
    assertValidK8s(r.objects);
  });

  it('wrong types are errors', () => {
    expect(translateOne({ HostConfig: { Privileged: 'yes' } }).errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'Privileged')]);
    expect(translateOne({ HostConfig: { CapAdd: [1] } }).errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'CapAdd', 0)]);
    expect(translateOne({ User: 1000 }).errors.map((e) => e.pointer)).toEqual([co('User')]);
  });
});
