/**
 * KubernetesObjectApi that knows the registry's kinds: their resource (plural, scope) comes
 * from the kind registry instead of a discovery request (`GET /api/v1`, `/apis/apps/v1`, ...)
 * per client and API group. Other kinds still go through discovery.
 */
import { KubernetesObjectApi, type Configuration, type KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import { kindSpec } from '../kinds/index.js';

export class RegistryObjectApi extends KubernetesObjectApi {
  /** A client for `kc`, with its default namespace, as KubernetesObjectApi.makeApiClient makes one. */
  static forConfig(kc: KubeConfig): RegistryObjectApi {
    const client = kc.makeApiClient(RegistryObjectApi);
    client.setDefaultNamespace(kc);
    return client;
  }

  protected override resource(apiVersion: string, kind: string, options?: Configuration): Promise<V1APIResource | undefined> {
    const spec = kindSpec(kind);
    if (spec && spec.apiVersion === apiVersion) return Promise.resolve({ kind: spec.kind, name: spec.plural, namespaced: spec.namespaced, singularName: '', verbs: [] });
    return super.resource(apiVersion, kind, options);
  }
}
