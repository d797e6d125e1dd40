import { co, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('host settings', () => {
  it('NetworkMode host -> hostNetwork with ClusterFirstWithHostNet and Recreate', () => {
    const r = translateOne({ HostConfig: { NetworkMode: 'host' } });
    expect(r.pod).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect((r.workload!.spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
    assertValidK8s(r.objects);
  });

  it('other network modes warn (pods are on the cluster network)', () => {
    const r = translateOne({ HostConfig: { NetworkMode: 'azure-iot-edge' } });
    expect(r.pod.hostNetwork).toBeUndefined();
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'NetworkMode')]);
  });

  it('IpcMode / PidMode host -> hostIPC / hostPID; private is the default; container: warns', () => {
    const r = translateOne({ HostConfig: { IpcMode: 'host', PidMode: 'host' } });
    expect(r.pod).toMatchObject({ hostIPC: true, hostPID: true });
    expect(translateOne({ HostConfig: { IpcMode: 'private', PidMode: 'private' } }).diagnostics).toEqual([]);
    const c = translateOne({ HostConfig: { PidMode: 'container:other' } });
    expect(c.warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'PidMode')]);
    expect(c.pod.hostPID).toBeUndefined();
  });

  it('ExtraHosts -> hostAliases grouped by ip in order of first use', () => {
    const r = translateOne({ HostConfig: { ExtraHosts: ['db:10.0.0.5', 'cache:10.0.0.6', 'db.local:10.0.0.5', 'v6:fe80::1'] } });
    expect(r.pod.hostAliases).toEqual([
      { ip: '10.0.0.5', hostnames: ['db', 'db.local'] },
      { ip: '10.0.0.6', hostnames: ['cache'] },
      { ip: 'fe80::1', hostnames: ['v6'] },
    ]);
    assertValidK8s(r.objects);
  });

  it('ExtraHosts: host-gateway warns, a bad entry is an error', () => {
    expect(translateOne({ HostConfig: { ExtraHosts: ['gw:host-gateway'] } }).warnings.map((w) => w.pointer)).toEqual([co('HostConfig', 'ExtraHosts', 0)]);
    expect(translateOne({ HostConfig: { ExtraHosts: ['nohost'] } }).errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'ExtraHosts', 0)]);
    expect(translateOne({ HostConfig: { ExtraHosts: ['a:notanip'] } }).errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'ExtraHosts', 0)]);
  });

  it('Dns / DnsSearch / DnsOptions -> dnsConfig, dnsPolicy stays ClusterFirst (default)', () => {
    const r = translateOne({ HostConfig: { Dns: ['8.8.8.8'], DnsSearch: ['corp.example'], DnsOptions: ['ndots:2', 'rotate'] } });
    expect(r.pod.dnsConfig).toEqual({
      nameservers: ['8.8.8.8'],
      searches: ['corp.example'],
      options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }],
    });
    expect(r.pod.dnsPolicy).toBeUndefined();
    assertValidK8s(r.objects);
  });

  it('more than 3 name servers: the first 3 with a warning; a non-IP is an error', () => {
    const r = translateOne({ HostConfig: { Dns: ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4'] } });
    expect(r.pod.dnsConfig.nameservers).toEqual(['1.1.1.1', '1.0.0.1', '8.8.8.8']);
    expect(r.warnings).toHaveLength(1);
    expect(translateOne({ HostConfig: { Dns: ['dns.google'] } }).errors.map((e) => e.pointer)).toEqual([co('HostConfig', 'Dns', 0)]);
  });

  it('Hostname -> pod hostname (lowercased; sanitized with a warning)', () => {
    expect(translateOne({ Hostname: 'Gateway01' }).pod.hostname).toBe('gateway01');
    const r = translateOne({ Hostname: 'my_gateway' });
    expect(r.pod.hostname).toMatch(/^my-gateway-[0-9a-f]{8}$/);
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('Hostname')]);
    assertValidK8s(r.objects);
  });
});
