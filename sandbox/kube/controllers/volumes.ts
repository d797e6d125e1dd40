/**
 * Volume binder: binds every pending PersistentVolumeClaim to a PersistentVolume it
 * provisions (`pvc-<uid>`, hostPath-backed, reclaim policy Delete), as a cluster with
 * a default dynamic provisioner does; deleting the claim deletes the volume.
 */
import { findType } from '../resources.js';
import type { StoreEvent } from '../store.js';
import { isObject, type JsonObject, type KubeObject } from '../types.js';
import { keyOf, splitKey, WorkQueue, type ControllerContext } from './runtime.js';

const PVCS = findType('', 'persistentvolumeclaims')!;
const PVS = findType('', 'persistentvolumes')!;
const COMPONENT = 'persistentvolume-controller';

/** Starts the binder; returns its stop function. */
export function startVolumeBinder(ctx: ControllerContext): () => void {
  const { api } = ctx;

  function bind(key: string): void {
    const { namespace, name } = splitKey(key);
    const claim = api.tryGet(PVCS, namespace, name);
    if (!claim || claim.metadata.deletionTimestamp || claim.status?.phase === 'Bound') return;
    const spec = claim.spec ?? {};
    const resources = isObject(spec.resources) ? spec.resources : {};
    const requests = isObject(resources.requests) ? resources.requests : {};
    const storage = typeof requests.storage === 'string' ? requests.storage : '1Gi';
    const accessModes = Array.isArray(spec.accessModes) && spec.accessModes.length > 0 ? spec.accessModes : ['ReadWriteOnce'];
    const volumeName = typeof spec.volumeName === 'string' && spec.volumeName !== '' ? spec.volumeName : `pvc-${claim.metadata.uid}`;
    if (!api.tryGet(PVS, undefined, volumeName)) {
      const pvSpec: JsonObject = {
        capacity: { storage },
        accessModes,
        persistentVolumeReclaimPolicy: 'Delete',
        hostPath: { path: `/var/lib/sandbox/volumes/${volumeName}`, type: 'DirectoryOrCreate' },
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace, name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion },
        volumeMode: spec.volumeMode ?? 'Filesystem',
      };
      if (typeof spec.storageClassName === 'string') pvSpec.storageClassName = spec.storageClassName;
      const pv = api.create(PVS, undefined, { metadata: { name: volumeName, annotations: { 'pv.kubernetes.io/provisioned-by': 'sandbox' } }, spec: pvSpec }, { fieldManager: COMPONENT });
      pv.status = { phase: 'Bound' };
      api.update(PVS, undefined, volumeName, pv, { subresource: 'status', fieldManager: COMPONENT });
      ctx.recorder.record(PVCS, claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volumeName}`, COMPONENT);
    }
    const bound = api.get(PVCS, namespace, name);
    bound.spec = { ...(bound.spec ?? {}), volumeName };
    bound.metadata.annotations = { ...(bound.metadata.annotations ?? {}), 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
    const updated = api.update(PVCS, namespace, name, bound, { fieldManager: COMPONENT });
    updated.status = { phase: 'Bound', accessModes, capacity: { storage } };
    api.update(PVCS, namespace, name, updated, { subresource: 'status', fieldManager: COMPONENT });
  }

  function release(claim: KubeObject): void {
    const volumeName = claim.spec?.volumeName;
    if (typeof volumeName !== 'string') return;
    const pv = api.tryGet(PVS, undefined, volumeName);
    const ref = pv && isObject(pv.spec?.claimRef) ? pv.spec.claimRef : undefined;
    if (pv && ref?.uid === claim.metadata.uid && pv.spec?.persistentVolumeReclaimPolicy === 'Delete') api.delete(PVS, undefined, volumeName);
  }

  const released = new Map<string, KubeObject>();
  const queue = new WorkQueue((key) => {
    const claim = released.get(key);
    released.delete(key);
    if (claim) release(claim);
    else bind(key);
  }, ctx.timers);
  const unsubscribe = api.store.subscribe((event: StoreEvent) => {
    if (event.resource !== PVCS) return;
    if (event.type === 'DELETED') {
      released.set(`release:${event.object.metadata.uid}`, event.object);
      queue.add(`release:${event.object.metadata.uid}`);
    } else if (event.object.status?.phase !== 'Bound') queue.add(keyOf(event.object));
  });
  return () => {
    unsubscribe();
    queue.stop();
  };
}
