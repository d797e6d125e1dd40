/**
 * The few typed calls of the core, coordination and authorization APIs the bridge makes, with
 * the call shapes of @kubernetes/client-node's generated clients (one object of parameters).
 * Answers are the API's JSON as sent: times are strings, not Dates (callers accept both).
 */
import type { CoreV1EventList, V1Lease, V1Namespace, V1Pod, V1PodList, V1Secret, V1SelfSubjectAccessReview } from '@kubernetes/client-node';
import type { KubeConfig } from './config.js';
import { kubeJson, kubeRequest } from './http.js';

const ns = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
const name = (n: string) => encodeURIComponent(n);

export class CoreV1Api {
  constructor(private readonly kc: KubeConfig) {}

  readNamespace(p: { name: string }): Promise<V1Namespace> {
    return kubeJson(this.kc, { method: 'GET', path: ns(p.name) });
  }

  createNamespace(p: { body: V1Namespace }): Promise<V1Namespace> {
    return kubeJson(this.kc, { method: 'POST', path: '/api/v1/namespaces', body: p.body });
  }

  readNamespacedSecret(p: { name: string; namespace: string }): Promise<V1Secret> {
    return kubeJson(this.kc, { method: 'GET', path: `${ns(p.namespace)}/secrets/${name(p.name)}` });
  }

  listNamespacedPod(p: { namespace: string; labelSelector?: string }): Promise<V1PodList> {
    return kubeJson(this.kc, { method: 'GET', path: `${ns(p.namespace)}/pods`, query: { labelSelector: p.labelSelector } });
  }

  deleteNamespacedPod(p: { name: string; namespace: string }): Promise<V1Pod> {
    return kubeJson(this.kc, { method: 'DELETE', path: `${ns(p.namespace)}/pods/${name(p.name)}` });
  }

  /** The log as text. */
  async readNamespacedPodLog(p: { name: string; namespace: string; container?: string; timestamps?: boolean; tailLines?: number; sinceSeconds?: number }): Promise<string> {
    const { name: pod, namespace, ...query } = p;
    return (await kubeRequest(this.kc, { method: 'GET', path: `${ns(namespace)}/pods/${name(pod)}/log`, query })).text;
  }

  listNamespacedEvent(p: { namespace: string }): Promise<CoreV1EventList> {
    return kubeJson(this.kc, { method: 'GET', path: `${ns(p.namespace)}/events` });
  }
}

export class CoordinationV1Api {
  constructor(private readonly kc: KubeConfig) {}

  private path(namespace: string, lease?: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases${lease === undefined ? '' : `/${name(lease)}`}`;
  }

  readNamespacedLease(p: { name: string; namespace: string }): Promise<V1Lease> {
    return kubeJson(this.kc, { method: 'GET', path: this.path(p.namespace, p.name) });
  }

  createNamespacedLease(p: { namespace: string; body: V1Lease }): Promise<V1Lease> {
    return kubeJson(this.kc, { method: 'POST', path: this.path(p.namespace), body: p.body });
  }

  replaceNamespacedLease(p: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease> {
    return kubeJson(this.kc, { method: 'PUT', path: this.path(p.namespace, p.name), body: p.body });
  }
}

export class AuthorizationV1Api {
  constructor(private readonly kc: KubeConfig) {}

  createSelfSubjectAccessReview(p: { body: V1SelfSubjectAccessReview }): Promise<V1SelfSubjectAccessReview> {
    return kubeJson(this.kc, { method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: p.body });
  }
}

/** The API's MicroTime: a Date written with six fractional digits, as Lease times must be. */
export class V1MicroTime extends Date {
  override toISOString(): string {
    return `${super.toISOString().slice(0, -1)}000Z`;
  }
}

