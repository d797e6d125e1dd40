/**
 * Garbage collector and namespace controller: deletes objects whose owners are
 * all gone, finishes Foreground deletions once dependents are gone, and empties
 * then removes namespaces being deleted. Also creates each namespace's `default`
 * ServiceAccount, as the service account controller does.
 */
import { KubeApiError } from '../errors.js';
import { findType, findTypeByApiVersion, RESOURCE_TYPES, type ResourceType } from '../resources.js';
import type { StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';
import { WorkQueue, type ControllerContext } from './runtime.js';

const NAMESPACES = findType('', 'namespaces')!;
const SERVICE_ACCOUNTS = findType('', 'serviceaccounts')!;

/** Starts the garbage collector and namespace controller; returns the stop function. */
export function startGarbageCollector(ctx: ControllerContext): () => void {
  const { api } = ctx;
  const tombstones = new Map<string, KubeObject>();

  function ownerExists(namespace: string | undefined, ref: { apiVersion: string; kind: string; name: string; uid: string }): boolean {
    const type = findTypeByApiVersion(ref.apiVersion, ref.kind);
    if (!type) return true;
    const owner = api.store.get(type, namespace, ref.name);
    return owner !== undefined && owner.metadata.uid === ref.uid;
  }

  /** Key `uid` -> collect the dependents of a gone or foreground-deleting owner. */
  function collect(uid: string): void {
    const owner = tombstones.get(uid);
    if (!owner) return;
    const ownerType = findTypeByApiVersion(owner.apiVersion ?? '', owner.kind ?? '');
    const live = ownerType ? api.store.get(ownerType, owner.metadata.namespace, owner.metadata.name ?? '') : undefined;
    const foreground = live !== undefined && live.metadata.uid === uid && (live.metadata.finalizers ?? []).includes('foregroundDeletion');
    const dependents = api.dependentsOf(owner);
    for (const { type, object } of dependents) {
      const others = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (!foreground && others.some((r) => ownerExists(object.metadata.namespace, r))) continue;
      if (object.metadata.deletionTimestamp) continue;
      try {
        api.delete(type, object.metadata.namespace, object.metadata.name ?? '', { propagationPolicy: foreground ? 'Foreground' : 'Background' });
      } catch (error) {
        if (!(error instanceof KubeApiError && error.code === 404)) throw error;
      }
    }
    if (foreground) {
      if (api.dependentsOf(owner).length === 0) {
        api.removeFinalizer(ownerType!, live, 'foregroundDeletion');
        tombstones.delete(uid);
      }
      return;
    }
    tombstones.delete(uid);
  }

  function finalizeNamespace(name: string): void {
    const ns = api.store.get(NAMESPACES, undefined, name);
    if (!ns || !ns.metadata.deletionTimestamp) return;
    for (const type of RESOURCE_TYPES) {
      if (!type.namespaced) continue;
      for (const obj of api.store.list(type, name)) api.forceRemove(type, obj);
    }
    if ((ns.metadata.finalizers ?? []).length === 0) api.forceRemove(NAMESPACES, ns);
  }

  function ensureServiceAccount(namespace: string): void {
    const ns = api.store.get(NAMESPACES, undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp || api.store.get(SERVICE_ACCOUNTS, namespace, 'default')) return;
    api.create(SERVICE_ACCOUNTS, namespace, { metadata: { name: 'default' } }, { fieldManager: 'kube-controller-manager' });
  }

  const queue = new WorkQueue((key) => {
    const [kind, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    if (kind === 'owner') collect(value);
    else if (kind === 'ns') finalizeNamespace(value);
    else if (kind === 'sa') ensureServiceAccount(value);
  }, ctx.timers);

  const watchOwner = (type: ResourceType, obj: KubeObject) => {
    tombstones.set(obj.metadata.uid ?? '', { ...obj, apiVersion: obj.apiVersion, kind: type.kind });
    queue.add(`owner:${obj.metadata.uid}`);
  };

  const unsubscribe = api.store.subscribe((event: StoreEvent) => {
    const obj = event.object;
    if (event.resource === NAMESPACES) {
      if (obj.metadata.deletionTimestamp) queue.add(`ns:${obj.metadata.name}`);
      else if (event.type === 'ADDED') queue.add(`sa:${obj.metadata.name}`);
      return;
    }
    if (event.type === 'DELETED') {
      watchOwner(event.resource, obj);
      for (const ref of obj.metadata.ownerReferences ?? []) {
        if (tombstones.has(ref.uid)) queue.add(`owner:${ref.uid}`);
      }
      if (event.resource === SERVICE_ACCOUNTS && obj.metadata.name === 'default') queue.add(`sa:${obj.metadata.namespace}`);
    } else if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).includes('foregroundDeletion')) {
      watchOwner(event.resource, obj);
    }
  });
  return () => {
    unsubscribe();
    queue.stop();
  };
}
