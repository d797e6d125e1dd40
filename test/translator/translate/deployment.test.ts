import { translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('Deployment', () => {
  it.each(['always', 'on-unhealthy'] as const)('restartPolicy %s -> Deployment with 1 replica, pod restartPolicy Always', (restartPolicy) => {
    const r = translateOne({}, { restartPolicy });
    expect(r.workload!.kind).toBe('Deployment');
    expect(r.workload!.apiVersion).toBe('apps/v1');
    expect(r.workload!.metadata.name).toBe('mod');
    expect(r.workload!.spec).toMatchObject({ replicas: 1, strategy: { type: 'RollingUpdate' } });
    expect(r.pod.restartPolicy).toBe('Always');
    expect(r.ofKind('Job')).toEqual([]);
    assertValidK8s(r.objects);
  });

  it('status stopped -> 0 replicas', () => {
    const r = translateOne({}, { status: 'stopped' });
    expect((r.workload!.spec as { replicas: number }).replicas).toBe(0);
    assertValidK8s(r.objects);
  });

  it('selector is device + module + managed-by and matches the template labels', () => {
    const r = translateOne({}, {}, { deviceId: 'dev' });
    const spec = r.workload!.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
    expect(spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/managed-by': 'iotedge-k8s',
      'net.azure-devices.edge.deviceid': 'dev',
      'net.azure-devices.edge.module': 'mod',
    });
    expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
  });

  it.each([
    ['a ReadWriteOnce claim', { HostConfig: { Mounts: [{ Type: 'volume', Source: 'share', Target: '/s' }] } }],
    ['host networking', { HostConfig: { NetworkMode: 'host' } }],
    ['GPUs', { 'k8s-experimental': { resources: { limits: { 'nvidia.com/gpu': 1 } } } }],
  ])('strategy Recreate with %s', (_name, createOptions) => {
    expect((translateOne(createOptions).workload!.spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
  });

  it('host paths alone keep RollingUpdate', () => {
    expect((translateOne({ HostConfig: { Binds: ['/a:/a'] } }).workload!.spec as { strategy: unknown }).strategy).toEqual({ type: 'RollingUpdate' });
  });
});
