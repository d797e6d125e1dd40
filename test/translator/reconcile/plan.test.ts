import { describe, expect, it } from '@jest/globals';
import { withHashAnnotation } from '../../../translator/reconcile/compare.js';
import { objectKey } from '../../../translator/kinds/index.js';
import { claimsInUse, desiredProblems, planReconcile } from '../../../translator/reconcile/plan.js';
import type { KubeObject } from '../../../translator/translate/index.js';
import { desiredOf, manifestOf } from './harness.js';

const NS = 'ns1';
const DEVICE = 'dev-1';

/** The cluster after a perfect apply of `objects`. */
function liveOf(objects: readonly KubeObject[]): Map<string, KubeObject> {
  return new Map(objects.map((o) => [objectKey(o), { ...withHashAnnotation(o), status: {} }]));
}

describe('planReconcile', () => {
  const desired = desiredOf(
    manifestOf({
      first: { image: 'runs', startupOrder: 1, port: 80 },
      second: { image: 'runs', startupOrder: 2 },
      last: { image: 'runs' },
      task: { image: 'finishes', restartPolicy: 'never', startupOrder: 2 },
    }),
    1,
    NS,
    DEVICE,
  );

  it('groups every object by its module startupOrder, ascending', () => {
    const plan = planReconcile(desired.objects, new Map(), desired.model);
    expect(plan.groups.map((g) => [g.order, g.modules.sort()])).toEqual([
      [0, ['edgehub']],
      [1, ['first']],
      [2, ['second', 'task']],
      [4294967295, ['last']],
    ]);
    expect(plan.groups.flatMap((g) => g.writes).map((w) => objectKey(w.object)).sort()).toEqual(desired.objects.map(objectKey).sort());
    expect(plan.groups.flatMap((g) => g.writes).every((w) => w.mode === 'apply' && w.reason === 'missing')).toBe(true);
    expect(plan.prune).toEqual([]);
  });

  it('writes nothing when the cluster matches', () => {
    const plan = planReconcile(desired.objects, liveOf(desired.objects), desired.model);
    expect(plan.groups.flatMap((g) => g.writes)).toEqual([]);
    expect(plan.unchanged).toBe(desired.objects.length);
  });

  it('writes only the changed module object, and replaces a changed Job', () => {
    const next = desiredOf(
      manifestOf({
        first: { image: 'runsToo', startupOrder: 1, port: 80 },
        second: { image: 'runs', startupOrder: 2 },
        last: { image: 'runs' },
        task: { image: 'finishes', restartPolicy: 'never', startupOrder: 2, env: { RUN: '2' } },
      }),
      2,
      NS,
      DEVICE,
    );
    const plan = planReconcile(next.objects, liveOf(desired.objects), next.model);
    const writes = plan.groups.flatMap((g) => g.writes).map((w) => [objectKey(w.object), w.mode, w.reason]);
    expect(writes).toEqual([
      ['Deployment/first', 'apply', 'changed'],
      ['Job/task', 'replace', 'changed'],
    ]);
  });

  it('prunes owned objects no longer desired, workloads first', () => {
    const next = desiredOf(manifestOf({ second: { image: 'runs', startupOrder: 2 } }), 2, NS, DEVICE);
    const plan = planReconcile(next.objects, liveOf(desired.objects), next.model);
    expect(plan.prune.map(objectKey)).toEqual([
      'Job/task',
      'Deployment/first',
      'Deployment/last',
      'Service/first',
      'Service/first-published',
      'Service/last',
      'Service/task',
      'ServiceAccount/first',
      'ServiceAccount/last',
      'ServiceAccount/task',
    ]);
  });

  it('keeps an undesired claim that a desired module still mounts', () => {
    const claim = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, labels: {} }, spec: {} });
    const workload: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'w' },
      spec: { template: { spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] } } },
    };
    expect([...claimsInUse([workload])]).toEqual(['data']);
    const live = liveOf([claim('data'), claim('old')]);
    const plan = planReconcile([workload], live, desired.model);
    expect(plan.prune.map(objectKey)).toEqual(['PersistentVolumeClaim/old']);
    expect(plan.keptClaims).toEqual(['data']);
  });
});

describe('desiredProblems', () => {
  it('accepts translated objects', () => {
    expect(desiredProblems(desiredOf(manifestOf({ a: { image: 'runs' } }), 1, NS, DEVICE).objects, NS, DEVICE)).toEqual([]);
  });

  it('names objects of another device, namespace or kind, and duplicates', () => {
    const objects = desiredOf(manifestOf({ a: { image: 'runs' } }), 1, NS, 'other-device').objects;
    const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'elsewhere' } };
    const problems = desiredProblems([...objects.slice(0, 1), objects[0]!, configMap], NS, DEVICE).map((p) => p.message);
    expect(problems).toEqual([
      `${objectKey(objects[0]!)}: does not carry the ownership labels of device 'dev-1'`,
      `${objectKey(objects[0]!)}: does not carry the ownership labels of device 'dev-1'`,
      `${objectKey(objects[0]!)}: desired twice`,
      'ConfigMap/c: v1 ConfigMap is not a kind the bridge manages',
      "ConfigMap/c: namespace 'elsewhere' is not the device namespace 'ns1'",
      "ConfigMap/c: does not carry the ownership labels of device 'dev-1'",
    ]);
  });
});

describe('apply order within a group', () => {
  it('follows the kinds order whatever the input order', () => {
    const desired = desiredOf(manifestOf({ a: { image: 'runs', port: 80 }, b: { image: 'runs' } }), 1, NS, DEVICE);
    const plan = planReconcile([...desired.objects].reverse(), new Map(), desired.model);
    const last = plan.groups[plan.groups.length - 1]!;
    expect(last.writes.map((w) => w.object.kind)).toEqual(['ServiceAccount', 'ServiceAccount', 'Service', 'Service', 'Service', 'Deployment', 'Deployment']);
  });
});
