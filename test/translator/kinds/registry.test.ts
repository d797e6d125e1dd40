/** The kind registry: one entry per kind, and the rules every stage reads from it. */
import { describe, expect, test } from '@jest/globals';
import { KINDS, MANAGED_KINDS, WORKLOAD_KINDS, applyRank, collectionPath, deploymentStarted, kindSpec, objectKey, podStarted, workloadRules } from '../../../translator/kinds/index.js';
import { translate } from '../../../translator/translate/index.js';
import { parseManifest } from '../../../translator/manifest/index.js';
import { manifestOf } from '../reconcile/harness.js';

describe('registry', () => {
  test('each kind appears once; managed kinds are in apply order, pods are only read', () => {
    expect(new Set(KINDS.map((k) => k.kind)).size).toBe(KINDS.length);
    expect(MANAGED_KINDS.map((k) => k.kind)).toEqual(['Secret', 'ServiceAccount', 'PersistentVolumeClaim', 'Service', 'Deployment', 'Job']);
    expect(kindSpec('Pod')?.prune).toBe('read');
    expect(kindSpec('Pod')?.applyOrder).toBeUndefined();
    expect(applyRank('Secret')).toBeLessThan(applyRank('Deployment'));
    expect(applyRank('ConfigMap')).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('workload kinds: Job before Deployment for status, only Job is replaced on change', () => {
    expect(WORKLOAD_KINDS.map((k) => k.kind)).toEqual(['Job', 'Deployment']);
    expect(workloadRules('Job')?.replaceOnChange).toBe(true);
    expect(workloadRules('Deployment')?.replaceOnChange).toBe(false);
    expect(workloadRules('Service')).toBeUndefined();
  });

  test('paths and keys', () => {
    expect(collectionPath(kindSpec('Pod')!, 'ns a')).toBe('/api/v1/namespaces/ns%20a/pods');
    expect(collectionPath(kindSpec('Deployment')!, 'edge')).toBe('/apis/apps/v1/namespaces/edge/deployments');
    expect(collectionPath({ apiVersion: 'v1', plural: 'nodes', namespaced: false }, 'edge')).toBe('/api/v1/nodes');
    expect(objectKey({ kind: 'Job', metadata: { name: 'x' } })).toBe('Job/x');
  });

  test('every kind the translator emits is a managed kind, in the registry apiVersion', () => {
    const doc = manifestOf({ web: { image: 'runs', port: 8080, volume: 'data' }, once: { image: 'finishes', restartPolicy: 'never' } });
    const { model } = parseManifest(doc);
    const { objects } = translate(model!, { namespace: 'edge', deviceId: 'dev' });
    for (const o of objects) expect(kindSpec(o.kind)).toMatchObject({ apiVersion: o.apiVersion, prune: 'owned' });
    const ranks = objects.map((o) => applyRank(o.kind));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});

describe('workload rules', () => {
  const running = { status: { phase: 'Running', containerStatuses: [{ started: true }] } };
  test('a pod has started when every container runs, or when it ended', () => {
    expect(podStarted(running)).toBe(true);
    expect(podStarted({ status: { phase: 'Running', containerStatuses: [{ started: true }, { started: false }] } })).toBe(false);
    expect(podStarted({ status: { phase: 'Running', containerStatuses: [] } })).toBe(false);
    expect(podStarted({ status: { phase: 'Pending' } })).toBe(false);
    expect(podStarted({ status: { phase: 'Failed' } })).toBe(true);
  });

  test('a Deployment has started once its applied generation is available; 0 replicas counts', () => {
    const rolled = { spec: { replicas: 1 }, status: { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 } };
    expect(deploymentStarted(rolled, 2)).toBe(true);
    expect(deploymentStarted(rolled, 3)).toBe(false);
    expect(deploymentStarted({ ...rolled, status: { ...rolled.status, unavailableReplicas: 1 } }, 2)).toBe(false);
    expect(deploymentStarted({ spec: { replicas: 0 } }, 5)).toBe(true);
    expect(workloadRules('Deployment')!.started(rolled, 3, [])).toBe(false);
    expect(workloadRules('Deployment')!.stopped({ spec: { replicas: 0 } })).toBe(true);
  });

  test('a Job has started when one of its own pods has; pods of a replaced Job do not count', () => {
    const job = { metadata: { uid: 'new' } };
    const pod = (uid: string) => ({ metadata: { ownerReferences: [{ uid }] }, ...running });
    const rules = workloadRules('Job')!;
    expect(rules.started(job, undefined, [pod('old')])).toBe(false);
    expect(rules.started(job, undefined, [pod('old'), pod('new')])).toBe(true);
    expect(rules.ownsPod(job, pod('old'))).toBe(false);
  });

  test('a Job reports its completion from its conditions', () => {
    const rules = workloadRules('Job')!;
    expect(rules.completion?.({ status: { conditions: [{ type: 'Complete', status: 'True' }] } })).toBe('complete');
    expect(rules.completion?.({ status: { conditions: [{ type: 'Failed', status: 'True' }] } })).toBe('failed');
    expect(rules.completion?.({ status: { active: 1 } })).toBeUndefined();
    expect(workloadRules('Deployment')!.completion).toBeUndefined();
  });
});

describe('rollout rule (deployment status)', () => {
  test("a Deployment's rollout: failed on ReplicaFailure, pending until the applied generation has a pod of its template, else for its pods to tell", () => {
    const rollout = workloadRules('Deployment')!.rollout!;
    expect(rollout({ status: { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota' }] } } as never)).toEqual({ kind: 'failed', reason: 'pods cannot be created (FailedCreate: quota)' });
    expect(rollout({ metadata: { generation: 2 }, status: { observedGeneration: 1, updatedReplicas: 1 } })).toEqual({ kind: 'pending', reason: 'Deployment not rolled out yet' });
    expect(rollout({ metadata: { generation: 2 }, status: { observedGeneration: 2, updatedReplicas: 0 } })).toEqual({ kind: 'pending', reason: 'no pod of the current template yet' });
    expect(rollout({ metadata: { generation: 2 }, status: { observedGeneration: 2, updatedReplicas: 1 } })).toBeUndefined();
    // A Job's pods always tell (its end is its completion rule).
    expect(workloadRules('Job')!.rollout).toBeUndefined();
  });
});
