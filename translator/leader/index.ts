/**
 * translator/leader: leader election among bridge replicas through the Lease `iotedge-k8s`
 * (client-go's semantics), and the write fence that keeps a bridge that does not lead from
 * writing to the cluster. See docs/install.md, "High availability".
 */
export { LeaderElector, ElectionConfigError, DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS, type ElectionLog, type ElectionState, type LeaderElectorOptions } from './elector.js';
export { SYSTEM_CLOCK, type ElectionClock } from './clock.js';
export type { LeaseRecord, LeaseStore, StoredLease } from './lease.js';
export { KubeLeaseStore, LEASE_NAME } from './kube-lease-store.js';
export { fenceWrites, NotLeaderError } from './fence.js';
export { holderIdentity, POD_NAME_ENV } from './identity.js';
