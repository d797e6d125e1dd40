import { co, translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('k8s-experimental', () => {
  it('nodeSelector, tolerations, affinity and securityContext go to the pod', () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }] } } };
    const r = translateOne({
      'k8s-experimental': {
        nodeSelector: { accelerator: 'nvidia' },
        tolerations: [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }],
        affinity,
        securityContext: { runAsNonRoot: true, fsGroup: 2000 },
      },
    });
    expect(r.pod.nodeSelector).toEqual({ accelerator: 'nvidia' });
    expect(r.pod.tolerations).toEqual([{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(r.pod.affinity).toEqual(affinity);
    expect(r.pod.securityContext).toEqual({ fsGroup: 2000, runAsNonRoot: true });
    expect(r.diagnostics).toEqual([]);
    assertValidK8s(r.objects);
  });

  it('fragments in any key order, with nulls, come out canonical (sorted at every level, nulls dropped) as the rest of the objects', () => {
    const r = translateOne({
      Labels: { 'z.example.com/b': '1', 'a.example.com/a': '2' },
      'k8s-experimental': {
        tolerations: [{ value: 'v', key: 'edge', tolerationSeconds: null, effect: 'NoSchedule', operator: 'Equal' }],
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'h', labelSelector: null } }] } },
        nodeSelector: { zone: 'a', accelerator: 'nvidia' },
        securityContext: { supplementalGroups: [5], runAsUser: 1000 },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        volumes: [{ volumeMounts: [{ readOnly: true, name: 'x', mountPath: '/cfg' }], volume: { name: 'cfg', configMap: { optional: null, name: 'cfg' } } }],
      },
    });
    expect(r.diagnostics).toEqual([]);
    // translateOne checks every object with assertCanonical; the content is the manifest's, in order.
    expect(JSON.stringify(r.pod.tolerations)).toBe('[{"effect":"NoSchedule","key":"edge","operator":"Equal","value":"v"}]');
    expect(JSON.stringify(r.pod.affinity)).toBe('{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"podAffinityTerm":{"topologyKey":"h"},"weight":1}]}}');
    expect(Object.keys(r.pod.nodeSelector)).toEqual(['accelerator', 'zone']);
    expect(JSON.stringify(r.pod.securityContext)).toBe('{"runAsUser":1000,"supplementalGroups":[5]}');
    expect(JSON.stringify((r.workload!.spec as Record<string, unknown>).strategy)).toBe('{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0},"type":"RollingUpdate"}');
    expect(JSON.stringify(r.pod.volumes)).toBe('[{"configMap":{"name":"cfg"},"name":"cfg"}]');
    expect(JSON.stringify(r.container.volumeMounts)).toBe('[{"mountPath":"/cfg","name":"cfg","readOnly":true}]');
    expect(Object.keys((r.workload!.spec as { template: { metadata: { annotations: object } } }).template.metadata.annotations)).toEqual([
      'a.example.com/a',
      'net.azure-devices.edge.original-moduleid',
      'z.example.com/b',
    ]);
    assertValidK8s(r.objects);
  });

  it('keys are case-insensitive, as in the IoT Edge on Kubernetes preview', () => {
    const r = translateOne({ 'k8s-experimental': { NodeSelector: { zone: 'a' }, STRATEGY: { type: 'Recreate' } } });
    expect(r.pod.nodeSelector).toEqual({ zone: 'a' });
    expect((r.workload!.spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
  });

  it('volumes: [{volume, volumeMounts}] are added verbatim, mounts named after the volume', () => {
    const r = translateOne({
      'k8s-experimental': {
        volumes: [{ volume: { name: 'cfg', configMap: { name: 'app-config' } }, volumeMounts: [{ mountPath: '/etc/app', readOnly: true }] }],
      },
    });
    expect(r.pod.volumes).toEqual([{ name: 'cfg', configMap: { name: 'app-config' } }]);
    expect(r.container.volumeMounts).toEqual([{ name: 'cfg', mountPath: '/etc/app', readOnly: true }]);
    assertValidK8s(r.objects);
  });

  it('a claim in experimental volumes makes the strategy Recreate', () => {
    const r = translateOne({
      'k8s-experimental': { volumes: [{ volume: { name: 'data', persistentVolumeClaim: { claimName: 'existing' } }, volumeMounts: [{ mountPath: '/data' }] }] },
    });
    expect((r.workload!.spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
  });

  it('strategy overrides the default, even when Recreate would be chosen', () => {
    const r = translateOne({ HostConfig: { NetworkMode: 'host' }, 'k8s-experimental': { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } } });
    expect((r.workload!.spec as { strategy: unknown }).strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    assertValidK8s(r.objects);
  });

  it('unknown keys warn', () => {
    const r = translateOne({ 'k8s-experimental': { priorityClassName: 'high' } });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('k8s-experimental', 'priorityClassName')]);
    expect(r.warnings[0]!.rule).toBe('unsupported-create-option');
  });

  it.each([
    ['not an object', 'yes', co('k8s-experimental')],
    ['nodeSelector with a number', { nodeSelector: { a: 1 } }, co('k8s-experimental', 'nodeSelector', 'a')],
    ['strategy type', { strategy: { type: 'BlueGreen' } }, co('k8s-experimental', 'strategy', 'type')],
    ['Recreate with rollingUpdate', { strategy: { type: 'Recreate', rollingUpdate: {} } }, co('k8s-experimental', 'strategy', 'rollingUpdate')],
    ['serviceOptions type', { serviceOptions: { type: 'Ingress' } }, co('k8s-experimental', 'serviceOptions', 'type')],
    ['loadBalancerIP', { serviceOptions: { loadBalancerIP: 'x' } }, co('k8s-experimental', 'serviceOptions', 'loadBalancerIP')],
    ['tolerations not objects', { tolerations: ['x'] }, co('k8s-experimental', 'tolerations', 0)],
    ['volume without name', { volumes: [{ volume: { emptyDir: {} } }] }, co('k8s-experimental', 'volumes', 0, 'volume', 'name')],
    ['volume entry without volume', { volumes: [{ volumeMounts: [] }] }, co('k8s-experimental', 'volumes', 0)],
    ['duplicate keys by case', { nodeSelector: {}, NodeSelector: {} }, co('k8s-experimental', 'nodeSelector')],
  ])('rejects %s', (_name, value, pointer) => {
    const r = translateOne({ 'k8s-experimental': value });
    expect(r.errors.map((e) => e.pointer)).toContain(pointer);
    expect(r.objects).toEqual([]);
  });

  it('rejects an experimental mount on a path already mounted', () => {
    const r = translateOne({
      HostConfig: { Binds: ['/a:/data'] },
      'k8s-experimental': { volumes: [{ volume: { name: 'x', emptyDir: {} }, volumeMounts: [{ mountPath: '/data' }] }] },
    });
    expect(r.errors.map((e) => e.pointer)).toEqual([co('k8s-experimental', 'volumes')]);
  });

  it('strategy on a Job warns', () => {
    const r = translateOne({ 'k8s-experimental': { strategy: { type: 'Recreate' } } }, { restartPolicy: 'never' });
    expect(r.warnings.map((w) => w.pointer)).toEqual([co('k8s-experimental', 'strategy')]);
  });
});
