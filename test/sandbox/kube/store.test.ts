/**
 * The object store's owner index (ownedBy): dependents found without a scan, kept up to date
 * as ownerReferences change and objects go.
 */
import { describe, expect, test } from '@jest/globals';
import { findType } from '../../../sandbox/kube/resources.js';
import { ObjectStore } from '../../../sandbox/kube/store.js';
import type { KubeObject } from '../../../sandbox/kube/types.js';

const PODS = findType('', 'pods')!;
const CONFIGMAPS = findType('', 'configmaps')!;

const ref = (uid: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: true });
const pod = (namespace: string, name: string, ...owners: string[]): KubeObject => ({
  metadata: { namespace, name, ...(owners.length > 0 ? { ownerReferences: owners.map(ref) } : {}) },
});
const names = (objects: KubeObject[]) => objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

describe('ObjectStore.ownedBy', () => {
  test('lists the objects of one type that name the owner, sorted like list, in one namespace or all', () => {
    const store = new ObjectStore();
    store.put(PODS, pod('b', 'z', 'rs-1'));
    store.put(PODS, pod('a', 'y', 'rs-1', 'rs-2'));
    store.put(PODS, pod('a', 'x', 'rs-1'));
    store.put(PODS, pod('a', 'w'));
    store.put(CONFIGMAPS, pod('a', 'cm', 'rs-1'));
    expect(names(store.ownedBy(PODS, 'rs-1'))).toEqual(['a/x', 'a/y', 'b/z']);
    expect(names(store.ownedBy(PODS, 'rs-1', 'a'))).toEqual(['a/x', 'a/y']);
    expect(names(store.ownedBy(PODS, 'rs-2'))).toEqual(['a/y']);
    expect(names(store.ownedBy(CONFIGMAPS, 'rs-1'))).toEqual(['a/cm']);
    expect(store.ownedBy(PODS, 'nobody')).toEqual([]);
    expect(store.ownedBy(PODS, undefined)).toEqual([]);
  });

  test('follows changed ownerReferences and removals, and returns the latest version', () => {
    const store = new ObjectStore();
    store.put(PODS, pod('a', 'x', 'rs-1'));
    store.put(PODS, pod('a', 'y', 'rs-1'));
    store.put(PODS, pod('a', 'x', 'rs-2'));
    expect(names(store.ownedBy(PODS, 'rs-1'))).toEqual(['a/y']);
    expect(names(store.ownedBy(PODS, 'rs-2'))).toEqual(['a/x']);
    const relabelled = { ...pod('a', 'y', 'rs-1'), spec: { nodeName: 'n' } };
    store.put(PODS, relabelled);
    expect(store.ownedBy(PODS, 'rs-1')).toEqual([relabelled]);
    store.put(PODS, pod('a', 'y'));
    expect(store.ownedBy(PODS, 'rs-1')).toEqual([]);
    store.remove(PODS, pod('a', 'x'));
    expect(store.ownedBy(PODS, 'rs-2')).toEqual([]);
    expect(names(store.list(PODS))).toEqual(['a/y']);
  });
});
