/**
 * The namespaced kinds the bridge writes and prunes, and the label selector of owned objects.
 * Ownership = `app.kubernetes.io/managed-by: iotedge-k8s` + the device label, in the namespace.
 */
import { MANAGED_BY, MANAGED_BY_LABEL, MODULE_LABEL, ORIGINAL_MODULE_ID_ANNOTATION, isOwnedBy, ownedSelector, type KubeObject } from '../translate/index.js';

export { MANAGED_BY, MANAGED_BY_LABEL, MODULE_LABEL, ORIGINAL_MODULE_ID_ANNOTATION, isOwnedBy, ownedSelector };

/** A kind the bridge manages. */
export interface ManagedKind {
  apiVersion: string;
  kind: string;
  /** URL path segment, for list and watch paths. */
  plural: string;
}

/** Kinds the bridge applies and prunes, in apply order (prune runs in reverse). */
export const MANAGED_KINDS: readonly ManagedKind[] = [
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' },
];

/** Kinds the watcher follows: the managed kinds plus the modules' Pods. */
export const WATCHED_KINDS: readonly ManagedKind[] = [...MANAGED_KINDS, { apiVersion: 'v1', kind: 'Pod', plural: 'pods' }];

/** `/api/v1/namespaces/NS/pods` or `/apis/apps/v1/namespaces/NS/deployments`. */
export function collectionPath(kind: ManagedKind, namespace: string): string {
  const root = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return `${root}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`;
}

/** "Deployment/web": how objects are named in outcomes and logs. */
export function objectKey(object: Pick<KubeObject, 'kind'> & { metadata?: { name?: string } }): string {
  return `${object.kind}/${object.metadata?.name ?? ''}`;
}
