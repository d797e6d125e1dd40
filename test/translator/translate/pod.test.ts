import { co, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('pod template', () => {
  it('one container named after the module with image, pull policy, command and args', () => {
    const r = translateOne(
      { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'run'], WorkingDir: '/app' },
      { name: 'WebServerApp', image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine' },
    );
    expect(r.pod.containers).toHaveLength(1);
    expect(r.container).toMatchObject({
      name: 'webserverapp',
      image: 'mcr.microsoft.com/oss/nginx/nginx:1.15.5-alpine',
      imagePullPolicy: 'Always',
      command: ['/bin/sh'],
      args: ['-c', 'run'],
      workingDir: '/app',
    });
    expect(r.workload!.metadata.annotations).toEqual({ 'net.azure-devices.edge.original-moduleid': 'WebServerApp' });
    assertValidK8s(r.objects);
  });

  it('empty Entrypoint / Cmd lists leave the image defaults', () => {
    const r = translateOne({ Entrypoint: [], Cmd: [] });
    expect(r.container).not.toHaveProperty('command');
    expect(r.container).not.toHaveProperty('args');
  });

  it('Entrypoint [""] (clear the entrypoint) runs the Cmd as the command', () => {
    const r = translateOne({ Entrypoint: [''], Cmd: ['python', 'app.py'] });
    expect(r.container.command).toEqual(['python', 'app.py']);
    expect(r.container).not.toHaveProperty('args');
    const alone = translateOne({ Entrypoint: '' });
    expect(alone.container).not.toHaveProperty('command');
    expect(alone.warnings.map((w) => w.pointer)).toEqual([co('Entrypoint')]);
  });

  it('imagePullPolicy on-create: Always for a mutable tag, IfNotPresent for a digest', () => {
    expect(translateOne({}, { image: 'contoso.azurecr.io/app:1.0' }).container.imagePullPolicy).toBe('Always');
    expect(translateOne({}, { image: 'contoso.azurecr.io/app@sha256:' + 'a'.repeat(64) }).container.imagePullPolicy).toBe('IfNotPresent');
  });

  it('imagePullPolicy never -> Never', () => {
    expect(translateOne({}, { imagePullPolicy: 'never' }).container.imagePullPolicy).toBe('Never');
  });

  it('turns service links off and does not mount a service account token', () => {
    const r = translateOne({});
    expect(r.pod.enableServiceLinks).toBe(false);
    expect(r.pod.automountServiceAccountToken).toBe(false);
  });

  it('Labels -> pod template annotations, next to the original module id and version', () => {
    const r = translateOne({ Labels: { 'com.example.vendor': 'Contoso', 'bad key!': 'x' } }, { version: '1.2' });
    const meta = (r.workload!.spec as any).template.metadata; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(meta.annotations).toEqual({
      'com.example.vendor': 'Contoso',
      'net.azure-devices.edge.module-version': '1.2',
      'net.azure-devices.edge.original-moduleid': 'mod',
    });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('Labels', 'bad key!')]);
    assertValidK8s(r.objects);
  });

  it('Tty / OpenStdin / StdinOnce -> tty / stdin / stdinOnce; StopTimeout -> terminationGracePeriodSeconds', () => {
    const r = translateOne({ Tty: true, OpenStdin: true, StdinOnce: true, StopTimeout: 60 });
    expect(r.container).toMatchObject({ tty: true, stdin: true, stdinOnce: true });
    expect(r.pod.terminationGracePeriodSeconds).toBe(60);
  });

  it('a Labels value that is not a string is an error', () => {
    expect(translateOne({ Labels: { a: 1 } }).errors.map((e) => e.pointer)).toEqual([co('Labels', 'a')]);
    expect(translateOne({ Labels: { 'com.example.a': 'x', b: null, c: 2 } }).errors.map((e) => e.pointer)).toEqual([co('Labels', 'b'), co('Labels', 'c')]);
  });

  it('a label named __proto__ is not an annotation key: it warns and is left out', () => {
    const r = translateOne({ Labels: JSON.parse('{"__proto__": "x", "com.example.a": "y"}') });
    expect((r.workload!.spec as any).template.metadata.annotations['com.example.a']).toBe('y'); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('Labels', '__proto__')]);
  });
});

describe('pod template: pod fields of createOptions beside the written ones', () => {
  it('merges them in canonical key order, the pod securityContext with k8s-experimental', () => {
    const { pod, errors } = translateOne({
      Hostname: 'h',
      StopTimeout: 5,
      HostConfig: { NetworkMode: 'host', GroupAdd: ['5'], ExtraHosts: ['a:10.0.0.1'] },
      'k8s-experimental': { securityContext: { runAsUser: 1000 }, nodeSelector: { disk: 'ssd' } },
    });
    expect(errors).toEqual([]);
    expect(Object.keys(pod)).toEqual([...Object.keys(pod)].sort());
    expect(pod).toEqual({
      automountServiceAccountToken: false,
      containers: [expect.objectContaining({ name: 'mod' })],
      dnsPolicy: 'ClusterFirstWithHostNet',
      enableServiceLinks: false,
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }],
      hostNetwork: true,
      hostname: 'h',
      nodeSelector: { disk: 'ssd' },
      restartPolicy: 'Always',
      securityContext: { runAsUser: 1000, supplementalGroups: [5] },
      serviceAccountName: 'mod',
      terminationGracePeriodSeconds: 5,
    });
  });

  it('sets no pod securityContext for a GroupAdd of group names only (ignored with a warning)', () => {
    const { pod, warnings } = translateOne({ HostConfig: { GroupAdd: ['wheel'], NetworkMode: 'host' } });
    expect(warnings.map((w) => w.pointer)).toContain('/modulesContent/$edgeAgent/properties.desired/modules/mod/settings/createOptions/HostConfig/GroupAdd/0');
    expect(pod).not.toHaveProperty('securityContext');
    expect(pod.hostNetwork).toBe(true);
  });
});
