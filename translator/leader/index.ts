/**
 * translator/leader: leader election among bridge replicas through the Lease `iotedge-k8s`
 * (client-go's semantics), the write fence that keeps a bridge that does not lead from writing
 * to the cluster, and, without election, the heartbeat that keeps the same Lease renewed (what a
 * local `list` reads for a bridge outside the cluster). See docs/install.md, "High availability".
 */
export { LeaderElector, ElectionConfigError, DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS, type ElectionLog, type ElectionState, type LeaderElectorOptions } from './elector.js';
export { SYSTEM_CLOCK, type ElectionClock } from './clock.js';
export type { LeaseRecord, LeaseStore, StoredLease } from './lease.js';
export { KubeLeaseStore, LEASE_NAME, STARTED_AT_ANNOTATION } from './kube-lease-store.js';
export { fenceWrites, NotLeaderError } from './fence.js';
export { holderIdentity, POD_NAME_ENV } from './identity.js';
export { Heartbeat, DEFAULT_HEARTBEAT_DURATION_MS, DEFAULT_HEARTBEAT_RENEW_MS, type HeartbeatOptions } from './heartbeat.js';
export { leaseLiveness, type BridgeLiveness } from './liveness.js';
