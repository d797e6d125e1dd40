/**
 * translator/kube: the bridge's Kubernetes API client: the configuration (kubeconfig, in-cluster),
 * requests and watches over node:http(s), and the few typed calls the bridge makes. It loads no
 * @kubernetes/client-node module beyond its kubeconfig parser (client-node's index loads every
 * generated API class and model: about 60 MiB and a second of start-up; docs/benchmarks.md), and
 * it is kept apart from translator/kinds, so that the registry, which translate reads, loads no
 * client at all.
 */
export { KubeConfigLoader, type KubeConfig } from './config.js';
export { ApiException, IDLE_TIMEOUT_MS, Watch, closeConnections, kubeJson, kubeRequest, type KubeRequest, type Query } from './http.js';
export { RegistryObjectApi, PatchStrategy } from './object-api.js';
export { AuthorizationV1Api, CoordinationV1Api, CoreV1Api, V1MicroTime } from './apis.js';
