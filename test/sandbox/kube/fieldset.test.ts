import { describe, expect, test } from '@jest/globals';
import { KubeApiError } from '../../../sandbox/kube/errors.js';
import { changedFields, fieldsOf, fromFieldsV1, mergeApplied, toFieldsV1 } from '../../../sandbox/kube/fieldset.js';
import { pathText, recordUpdate, serverSideApply } from '../../../sandbox/kube/managed-fields.js';
import { clone, type KubeObject } from '../../../sandbox/kube/types.js';

const deployment = (image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['x'] },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [{ name: 'main', image, ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }],
      },
    },
    ...extra,
  },
  status: { replicas: 2 },
});

const request = (manager: string, force = false) => ({ manager, force, apiVersion: 'apps/v1', time: '2026-01-01T00:00:00Z', scope: 'main' as const });

describe('field sets', () => {
  test('FieldsV1 uses f:, k: (with defaulted key fields), v: and "." like the real server', () => {
    const fields = toFieldsV1(fieldsOf(deployment('nginx:1'), 'main'));
    expect(fields).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:finalizers': { 'v:"x"': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"main"}': {
                '.': {},
                'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
    expect(fromFieldsV1(fields)).toEqual(fieldsOf(deployment('nginx:1'), 'main'));
  });

  test('status is tracked only for the status scope', () => {
    expect([...fieldsOf(deployment('a'), 'status')]).toEqual(['["f:status","f:replicas"]']);
  });

  test('conflict paths print like the real server', () => {
    expect(pathText('["f:spec","f:containers","k:{\\"name\\":\\"main\\"}","f:image"]')).toBe('.spec.containers[name="main"].image');
  });

  test('changed and removed fields are the same whether two versions share unchanged objects or not', () => {
    const before = deployment('nginx:1', { selector: { matchLabels: { app: 'web' } } });
    const spec = before.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } };
    // Next versions built the way controllers build them: spreads of the stored object, new parts only where changed.
    const container = spec.template.spec.containers[0]!;
    const versions: KubeObject[] = [
      { ...before, metadata: { ...before.metadata, annotations: { rev: '2' } } },
      { ...before, spec: { ...before.spec, replicas: 3 } },
      { ...before, spec: { ...before.spec, template: { spec: { containers: [{ ...container, image: 'nginx:2' }] } } } },
      { ...before, spec: { ...before.spec, template: { spec: { containers: [container, { name: 'side', image: 'busybox' }] } } } },
      { ...before, spec: { replicas: 2, template: spec.template } },
    ];
    for (const after of versions) {
      const shared = changedFields(before, after, 'main');
      const copied = changedFields(clone(before), clone(after), 'main');
      expect([...shared.changed].sort()).toEqual([...copied.changed].sort());
      expect([...shared.removed].sort()).toEqual([...copied.removed].sort());
      expect(shared.changed.size + shared.removed.size).toBeGreaterThan(0);
    }
  });

  test('mergeApplied merges keyed lists by key and replaces atomic lists', () => {
    const live = { spec: { containers: [{ name: 'a', image: '1', args: ['x'] }, { name: 'b', image: '2' }] } };
    const merged = mergeApplied(live, { spec: { containers: [{ name: 'b', image: '3', args: ['y'] }] } });
    expect(merged).toEqual({ spec: { containers: [{ name: 'a', image: '1', args: ['x'] }, { name: 'b', image: '3', args: ['y'] }] } });
  });
});

describe('server-side apply', () => {
  test('a second manager changing an owned field conflicts unless forced', () => {
    const live = serverSideApply(undefined, deployment('nginx:1'), request('alice'));
    let caught: unknown;
    try {
      serverSideApply(live, deployment('nginx:2'), request('bob'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KubeApiError);
    expect((caught as KubeApiError).code).toBe(409);
    expect((caught as KubeApiError).message).toBe(
      'Apply failed with 1 conflict: conflict with "alice" using apps/v1: .spec.template.spec.containers[name="main"].image',
    );
    const forced = serverSideApply(live, deployment('nginx:2'), request('bob', true));
    const managers = forced.metadata.managedFields!.map((m) => m.manager);
    expect(managers).toEqual(['alice', 'bob']);
    const alice = fromFieldsV1(forced.metadata.managedFields![0]!.fieldsV1);
    expect(alice.has('["f:spec","f:template","f:spec","f:containers","k:{\\"name\\":\\"main\\"}","f:image"]')).toBe(false);
  });

  test('the same value applied by two managers is shared, not a conflict', () => {
    const live = serverSideApply(undefined, deployment('nginx:1'), request('alice'));
    const shared = serverSideApply(live, deployment('nginx:1'), request('bob'));
    expect(shared.metadata.managedFields!.map((m) => m.manager)).toEqual(['alice', 'bob']);
  });

  test('fields the applier stops sending are removed unless another manager owns them', () => {
    const live = serverSideApply(undefined, deployment('nginx:1', { paused: true, minReadySeconds: 5 }), request('alice'));
    const other = serverSideApply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { minReadySeconds: 5 } }, request('bob'));
    const shrunk = serverSideApply(other, deployment('nginx:1'), request('alice'));
    expect(shrunk.spec?.paused).toBeUndefined();
    expect(shrunk.spec?.minReadySeconds).toBe(5);
    const withoutEnv = deployment('nginx:1');
    delete ((withoutEnv.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!).env;
    const noEnv = serverSideApply(shrunk, withoutEnv, request('alice'));
    expect(((noEnv.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!).env).toBeUndefined();
  });

  test('updates take ownership of changed fields from other managers', () => {
    const live = serverSideApply(undefined, deployment('nginx:1'), request('alice'));
    const next = structuredClone(live);
    (next.spec as Record<string, unknown>).replicas = 5;
    recordUpdate(live, next, 'kubectl-scale', 'apps/v1', '2026-01-01T00:00:00Z', 'main');
    const scale = next.metadata.managedFields!.find((m) => m.manager === 'kubectl-scale')!;
    expect(scale.operation).toBe('Update');
    expect(scale.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    const alice = fromFieldsV1(next.metadata.managedFields!.find((m) => m.manager === 'alice')!.fieldsV1);
    expect(alice.has('["f:spec","f:replicas"]')).toBe(false);
  });
});
