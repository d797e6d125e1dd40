/**
 * translator/kube: the Kubernetes API client the bridge talks through (@kubernetes/client-node
 * with the kind registry's resources). Kept apart from translator/kinds, so that the registry
 * (which translate reads) loads no client: `validate` and `translate` never load client-node.
 */
export { RegistryObjectApi } from './object-api.js';
