import { translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('Job', () => {
  it('on-failure -> Job, pod restartPolicy OnFailure, no retry cap (backoffLimit 2147483647)', () => {
    const r = translateOne({}, { restartPolicy: 'on-failure' });
    expect(r.workload!.kind).toBe('Job');
    expect(r.workload!.apiVersion).toBe('batch/v1');
    expect((r.workload!.spec as { backoffLimit: number }).backoffLimit).toBe(2147483647);
    expect(r.pod.restartPolicy).toBe('OnFailure');
    expect(r.ofKind('Deployment')).toEqual([]);
    assertValidK8s(r.objects);
  });

  it('never -> Job, pod restartPolicy Never, no retries', () => {
    const r = translateOne({}, { restartPolicy: 'never' });
    expect((r.workload!.spec as { backoffLimit: number }).backoffLimit).toBe(0);
    expect(r.pod.restartPolicy).toBe('Never');
    assertValidK8s(r.objects);
  });

  it.each(['on-failure', 'never'] as const)('stopped %s module -> no Job at all (its ServiceAccount stays)', (restartPolicy) => {
    const r = translateOne({ ExposedPorts: { '80/tcp': {} } }, { restartPolicy, status: 'stopped' });
    expect(r.ofKind('Job')).toEqual([]);
    expect(r.ofKind('Deployment')).toEqual([]);
    expect(r.ofKind('ServiceAccount').map((o) => o.metadata.name)).toEqual(['mod']);
  });

  it('carries no selector (the Job controller sets it) and no strategy', () => {
    const r = translateOne({}, { restartPolicy: 'never' });
    expect(r.workload!.spec).not.toHaveProperty('selector');
    expect(r.workload!.spec).not.toHaveProperty('strategy');
  });
});
