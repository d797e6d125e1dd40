/**
 * Objects of the kind registry's kinds by apiVersion and kind, with the call shapes of
 * @kubernetes/client-node's KubernetesObjectApi that the bridge uses (list, patch, delete). The
 * resource (plural, scope) comes from the kind registry, so no discovery request is made; a kind
 * outside the registry is refused.
 */
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { collectionPath, kindSpec, type KindSpec } from '../kinds/index.js';
import type { KubeConfig } from './config.js';
import { kubeJson } from './http.js';

/** Content types of PATCH (client-node's PatchStrategy). */
export const PatchStrategy = {
  JsonPatch: 'application/json-patch+json',
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
  ServerSideApply: 'application/apply-patch+yaml',
} as const;
export type PatchStrategy = (typeof PatchStrategy)[keyof typeof PatchStrategy];

function spec(apiVersion: string | undefined, kind: string | undefined): KindSpec {
  const found = kind === undefined ? undefined : kindSpec(kind);
  if (!found || found.apiVersion !== apiVersion) throw new Error(`${apiVersion ?? '?'} ${kind ?? '?'} is not a kind of the kind registry (translator/kinds)`);
  return found;
}

export class RegistryObjectApi {
  constructor(
    private readonly kc: KubeConfig,
    /** Namespace of namespaced objects that name none. */
    private readonly defaultNamespace = 'default',
  ) {}

  /** A client for `kc` (the name client-node's subclass had). */
  static forConfig(kc: KubeConfig): RegistryObjectApi {
    return new RegistryObjectApi(kc);
  }

  private objectPath(object: KubernetesObject): string {
    const kind = spec(object.apiVersion, object.kind);
    return `${collectionPath(kind, object.metadata?.namespace ?? this.defaultNamespace)}/${encodeURIComponent(object.metadata?.name ?? '')}`;
  }

  /** The kind's objects in `namespace` (all namespaces' for a cluster-scoped kind). */
  list<T extends KubernetesObject = KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    _pretty?: string,
    _exact?: boolean,
    _export?: boolean,
    fieldSelector?: string,
    labelSelector?: string,
  ): Promise<KubernetesListObject<T>> {
    return kubeJson(this.kc, { method: 'GET', path: collectionPath(spec(apiVersion, kind), namespace ?? this.defaultNamespace), query: { fieldSelector, labelSelector } });
  }

  /** PATCH of `object` (server-side apply, merge patch, ...); the object as the API answered. */
  patch<T extends KubernetesObject = KubernetesObject>(object: T, _pretty?: string, dryRun?: string, fieldManager?: string, force?: boolean, strategy: PatchStrategy = PatchStrategy.StrategicMergePatch): Promise<T> {
    return kubeJson(this.kc, { method: 'PATCH', path: this.objectPath(object), query: { dryRun, fieldManager, force }, body: object, contentType: strategy });
  }

  /** DELETE of the object `object` names. */
  delete(object: KubernetesObject, _pretty?: string, dryRun?: string, gracePeriodSeconds?: number, orphanDependents?: boolean, propagationPolicy?: string): Promise<unknown> {
    return kubeJson(this.kc, { method: 'DELETE', path: this.objectPath(object), query: { dryRun, gracePeriodSeconds, orphanDependents, propagationPolicy } });
  }
}
