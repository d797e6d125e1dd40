/** translator/kinds: the one registry of the Kubernetes kinds the bridge writes and reads. */
export {
  KINDS,
  MANAGED_KINDS,
  WORKLOAD_KINDS,
  POD_KIND,
  kindSpec,
  workloadRules,
  applyRank,
  collectionPath,
  objectKey,
  podStarted,
  deploymentStarted,
  deploymentRollout,
  type KindSpec,
  type WorkloadRules,
  type RestartRule,
  type RolloutState,
  type KubeJson,
  type ObjectReader,
} from './registry.js';
export { RegistryObjectApi } from './object-api.js';
