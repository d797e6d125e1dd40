import { co, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('ports and Services', () => {
  it('Azure Stack Edge web server: 80/tcp -> HostPort 8080 becomes LoadBalancer webserverapp-published 8080 -> 80', () => {
    const r = translateOne(
      { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } },
      { name: 'webserverapp', image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine' },
    );
    // translateOne names the module 'mod' unless overridden: find the Service by kind.
    expect(r.service!.metadata.name).toBe('webserverapp-published');
    expect(r.headless!.metadata.name).toBe('webserverapp');
    expect(r.headless!.spec).toEqual({
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: (r.service!.spec as { selector: unknown }).selector,
      ports: [{ name: 'tcp-80', port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(r.service!.spec).toEqual({
      type: 'LoadBalancer',
      selector: {
        'app.kubernetes.io/managed-by': 'iotedge-k8s',
        'net.azure-devices.edge.deviceid': 'edge-device',
        'net.azure-devices.edge.module': 'webserverapp',
      },
      ports: [{ name: 'tcp-8080', port: 8080, protocol: 'TCP', targetPort: 80 }],
    });
    expect(r.container.ports).toEqual([{ containerPort: 80, name: 'tcp-80', protocol: 'TCP' }]);
    expect(r.diagnostics).toEqual([]);
    assertValidK8s(r.objects);
  });

  it('ExposedPorts alone are ports of the headless Service, with port = targetPort, and publish nothing', () => {
    const r = translateOne({ ExposedPorts: { '5000/tcp': {}, '53/udp': {} } });
    expect(r.service).toBeUndefined();
    expect(r.headless!.spec).toMatchObject({
      clusterIP: 'None',
      ports: [
        { name: 'udp-53', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'tcp-5000', port: 5000, protocol: 'TCP', targetPort: 5000 },
      ],
    });
    assertValidK8s(r.objects);
  });

  it('no ports: only the headless Service, without ports', () => {
    const r = translateOne({});
    expect(r.service).toBeUndefined();
    expect(r.ofKind('Service')).toEqual([r.headless]);
    expect(r.headless!.metadata.name).toBe('mod');
    expect(r.headless!.spec).not.toHaveProperty('ports');
    assertValidK8s(r.objects);
  });

  it('ExposedPorts with serviceOptions.type are published too', () => {
    const r = translateOne({ ExposedPorts: { '80/tcp': {} }, 'k8s-experimental': { serviceOptions: { type: 'NodePort' } } });
    expect(r.service!.spec).toMatchObject({ type: 'NodePort', ports: [{ name: 'tcp-80', port: 80, protocol: 'TCP', targetPort: 80 }] });
  });

  it('uses the portBindingServiceType option', () => {
    const r = translateOne({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } }, {}, { portBindingServiceType: 'NodePort' });
    expect((r.service!.spec as { type: string }).type).toBe('NodePort');
  });

  it('k8s-experimental.serviceOptions overrides type and sets loadBalancerIP', () => {
    const r = translateOne({
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
      'k8s-experimental': { serviceOptions: { loadBalancerIP: '100.23.201.78', type: 'LoadBalancer' } },
    });
    expect(r.service!.spec).toMatchObject({ type: 'LoadBalancer', loadBalancerIP: '100.23.201.78' });
    const c = translateOne({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }, 'k8s-experimental': { serviceOptions: { type: 'ClusterIP' } } });
    expect((c.service!.spec as { type: string }).type).toBe('ClusterIP');
    assertValidK8s([...r.objects, { ...c.service!, metadata: { ...c.service!.metadata, name: 'other' } }]);
  });

  it('warns that loadBalancerIP is ignored for other types', () => {
    const r = translateOne({ ExposedPorts: { '80/tcp': {} }, 'k8s-experimental': { serviceOptions: { loadBalancerIP: '10.0.0.1' } } });
    expect(r.service).toBeUndefined();
    expect(r.headless!.spec).not.toHaveProperty('loadBalancerIP');
    expect(r.warnings.map((w) => w.pointer)).toContain(co('k8s-experimental', 'serviceOptions', 'loadBalancerIP'));
  });

  it('a binding without HostPort publishes the container port', () => {
    const r = translateOne({ HostConfig: { PortBindings: { '1883/tcp': [{}], '8883/tcp': null } } });
    expect((r.service!.spec as { ports: unknown[] }).ports).toEqual([
      { name: 'tcp-1883', port: 1883, protocol: 'TCP', targetPort: 1883 },
      { name: 'tcp-8883', port: 8883, protocol: 'TCP', targetPort: 8883 },
    ]);
  });

  it('keeps exposed and bound ports side by side, once per port and protocol', () => {
    const r = translateOne({ ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } });
    expect((r.service!.spec as { ports: unknown[] }).ports).toEqual([
      { name: 'tcp-80', port: 80, protocol: 'TCP', targetPort: 80 },
      { name: 'tcp-8080', port: 8080, protocol: 'TCP', targetPort: 80 },
    ]);
    expect(r.container.ports).toEqual([{ containerPort: 80, name: 'tcp-80', protocol: 'TCP' }]);
  });

  it('upper-cases protocols and accepts a key without protocol (tcp)', () => {
    const r = translateOne({ HostConfig: { PortBindings: { '5000': [{ HostPort: '5000' }], '161/UDP': [{ HostPort: '1161' }], '9/sctp': [{ HostPort: '9' }] } } });
    const ports = (r.service!.spec as { ports: { port: number; protocol: string }[] }).ports;
    expect(ports.map((p) => `${p.port}/${p.protocol}`)).toEqual(['9/SCTP', '1161/UDP', '5000/TCP']);
  });

  it('warns about TCP and UDP in one LoadBalancer (MetalLB on Azure Stack Edge needs two Services)', () => {
    const r = translateOne({ HostConfig: { PortBindings: { '53/tcp': [{ HostPort: '53' }], '53/udp': [{ HostPort: '53' }] } } });
    expect(r.ofKind('Service')).toHaveLength(2);
    expect(r.warnings).toEqual([expect.objectContaining({ rule: 'mixed-protocol-load-balancer', pointer: co('HostConfig', 'PortBindings') })]);
    assertValidK8s(r.objects);
  });

  it('finds a second protocol after several ports of the first, and none among ports of one protocol', () => {
    const mixed = translateOne({ HostConfig: { PortBindings: { '53/tcp': [{ HostPort: '53' }], '80/tcp': [{ HostPort: '80' }], '161/udp': [{ HostPort: '161' }] } } });
    expect(mixed.warnings).toEqual([expect.objectContaining({ rule: 'mixed-protocol-load-balancer', message: expect.stringContaining('with TCP and UDP ports') })]);
    const tcp = translateOne({ HostConfig: { PortBindings: { '53/tcp': [{ HostPort: '53' }], '80/tcp': [{ HostPort: '80' }], '443/tcp': [{ HostPort: '443' }] } } });
    expect(tcp.warnings).toEqual([]);
  });

  it('expands small port ranges', () => {
    const r = translateOne({ ExposedPorts: { '7000-7002/udp': {} } });
    expect(r.container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([7000, 7001, 7002]);
  });

  it('maps a bound port range onto a HostPort range of its length, port by port', () => {
    const r = translateOne({ HostConfig: { PortBindings: { '7000-7001/TCP': [{ HostPort: '9000-9001' }], '7005': [{ HostPort: '09005' }] } } });
    const ports = (r.service!.spec as { ports: { port: number; targetPort: number }[] }).ports;
    expect(ports.map((p) => `${p.port}->${p.targetPort}`)).toEqual(['9000->7000', '9001->7001', '9005->7005']);
  });

  it('lists each container port once, sorted, however many (exposed and bound, both protocols)', () => {
    const r = translateOne({
      ExposedPorts: { '7000-7039/tcp': {}, '7005/udp': {} },
      HostConfig: { PortBindings: { '7010-7049/tcp': [{ HostPort: '9010-9049' }], '7005/udp': [{ HostPort: '9005' }] } },
    });
    const ports = r.container.ports as { containerPort: number; name: string; protocol: string }[];
    expect(ports.map((p) => p.name)).toEqual([...Array.from({ length: 6 }, (_, i) => `tcp-${7000 + i}`), 'udp-7005', ...Array.from({ length: 44 }, (_, i) => `tcp-${7006 + i}`)]);
    expect(ports[6]).toEqual({ containerPort: 7005, name: 'udp-7005', protocol: 'UDP' });
    const few = translateOne({ ExposedPorts: { '80/tcp': {}, '53/udp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }], '53/tcp': [] } } });
    expect((few.container.ports as { name: string }[]).map((p) => p.name)).toEqual(['tcp-53', 'udp-53', 'tcp-80']);
  });

  it('warns about HostIp and unknown binding fields', () => {
    const r = translateOne({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080', HostIp: '127.0.0.1', Extra: 1 }] } } });
    expect(r.warnings.map((w) => w.pointer).sort()).toEqual([
      co('HostConfig', 'PortBindings', '80/tcp', 0, 'Extra'),
      co('HostConfig', 'PortBindings', '80/tcp', 0, 'HostIp'),
    ]);
    expect(r.service).toBeDefined();
  });

  it.each([
    ['abc/tcp', { 'abc/tcp': [{ HostPort: '80' }] }, co('HostConfig', 'PortBindings', 'abc/tcp')],
    ['port 70000', { '70000/tcp': [{ HostPort: '80' }] }, co('HostConfig', 'PortBindings', '70000/tcp')],
    ['protocol icmp', { '80/icmp': [{ HostPort: '80' }] }, co('HostConfig', 'PortBindings', '80/icmp')],
    ['two protocols', { '80/tcp/udp': [{ HostPort: '80' }] }, co('HostConfig', 'PortBindings', '80/tcp/udp')],
    ['no port', { '/tcp': [{ HostPort: '80' }] }, co('HostConfig', 'PortBindings', '/tcp')],
    ['range without a low port', { '-80/tcp': [{ HostPort: '80' }] }, co('HostConfig', 'PortBindings', '-80/tcp')],
    ['range of three ports', { '80-81-82/tcp': [] }, co('HostConfig', 'PortBindings', '80-81-82/tcp')],
    ['range high to low', { '81-80/tcp': [] }, co('HostConfig', 'PortBindings', '81-80/tcp')],
    ['HostPort range for one port', { '80/tcp': [{ HostPort: '9000-9001' }] }, co('HostConfig', 'PortBindings', '80/tcp', 0, 'HostPort')],
    ['HostPort range without a high port', { '80-81/tcp': [{ HostPort: '9000-' }] }, co('HostConfig', 'PortBindings', '80-81/tcp', 0, 'HostPort')],
    // A name of Object.prototype is no protocol (it was an internal error).
    ['protocol constructor', { '80/constructor': [{ HostPort: '80' }] }, co('HostConfig', 'PortBindings', '80/constructor')],
    ['HostPort 99999', { '80/tcp': [{ HostPort: '99999' }] }, co('HostConfig', 'PortBindings', '80/tcp', 0, 'HostPort')],
    ['numeric HostPort', { '80/tcp': [{ HostPort: 8080 }] }, co('HostConfig', 'PortBindings', '80/tcp', 0, 'HostPort')],
    ['binding not a list', { '80/tcp': 'x' }, co('HostConfig', 'PortBindings', '80/tcp')],
    ['two targets on one port', { '80/tcp': [{ HostPort: '9000' }], '81/tcp': [{ HostPort: '9000' }] }, co('HostConfig', 'PortBindings')],
  ])('rejects %s with a 400 at the key and skips the module', (_name, bindings, pointer) => {
    const r = translateOne({ HostConfig: { PortBindings: bindings } });
    expect(r.errors).toEqual([expect.objectContaining({ pointer, code: 400, severity: 'error' })]);
    expect(r.objects).toEqual([]);
  });

  it('rejects an exposed port that a binding publishes for another container port', () => {
    const r = translateOne({ ExposedPorts: { '8080/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } });
    expect(r.errors).toEqual([
      expect.objectContaining({
        pointer: co('HostConfig', 'PortBindings'),
        message: 'ExposedPorts publishes tcp/8080 for container port 8080, but it already publishes container port 80',
      }),
    ]);
    expect(r.objects).toEqual([]);
  });

  it('exposed ports alone never conflict: the same port twice is one port of the headless Service', () => {
    const r = translateOne({ ExposedPorts: { '80': {}, '80/tcp': {} } });
    expect(r.diagnostics).toEqual([]);
    expect(r.service).toBeUndefined();
    expect(r.headless!.spec).toMatchObject({ ports: [{ name: 'tcp-80', port: 80, protocol: 'TCP', targetPort: 80 }] });
  });

  it('warns that serviceOptions without any port publish nothing', () => {
    const r = translateOne({ 'k8s-experimental': { serviceOptions: { type: 'NodePort' } } });
    expect(r.service).toBeUndefined();
    expect(r.warnings).toEqual([
      expect.objectContaining({ pointer: co('k8s-experimental', 'serviceOptions'), message: 'serviceOptions are ignored: the module publishes no ports' }),
    ]);
  });

  it('rejects a port range longer than 100', () => {
    const r = translateOne({ ExposedPorts: { '1000-2000/tcp': {} } });
    expect(r.errors[0]!.pointer).toBe(co('ExposedPorts', '1000-2000/tcp'));
  });
});
