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
