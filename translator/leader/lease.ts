/**
 * The leader-election record and where it is kept. The record is the spec of a
 * `coordination.k8s.io/v1` Lease; a {@link LeaseStore} reads it and writes it with optimistic
 * concurrency: an update names the resourceVersion it was computed from and fails with
 * `'conflict'` (the API server's 409) when someone wrote in between, so of two candidates that
 * race for an expired Lease exactly one wins.
 */

/** The spec of the Lease, as the elector reads and writes it. */
export interface LeaseRecord {
  /** Who holds the Lease; `''` when nobody does (released). */
  holderIdentity: string;
  /** How long a candidate waits, from when it saw the last change, before it may take the Lease over. */
  leaseDurationSeconds: number;
  /** When the current holder acquired it (RFC 3339). */
  acquireTime?: string;
  /** When the current holder last renewed it (RFC 3339). */
  renewTime?: string;
  /** How many times the Lease changed hands. */
  leaseTransitions: number;
}

/** A record as read from the store, with the version it was read at. */
export interface StoredLease {
  record: LeaseRecord;
  /** Changes on every write (the object's resourceVersion). */
  resourceVersion: string;
  /** The start time of the bridge that wrote it last, when it said (KubeLeaseStore's annotation). */
  startedAt?: string;
}

/** The Lease the elector competes for. */
export interface LeaseStore {
  /** What the Lease `Namespace/Name` the store names, for log lines. */
  readonly description: string;
  /** The record, or undefined when the Lease does not exist. */
  get(): Promise<StoredLease | undefined>;
  /** Creates the Lease; `'conflict'` when it already exists. */
  create(record: LeaseRecord): Promise<StoredLease | 'conflict'>;
  /** Replaces the record read as `basis`; `'conflict'` when the Lease changed since. */
  update(record: LeaseRecord, basis: StoredLease): Promise<StoredLease | 'conflict'>;
}

/**
 * The record `identity` writes to create the Lease (no `basis`), or to renew or take over the one
 * read as `basis`, at `time`: the acquire time kept while it stays the holder, a transition
 * counted when the holder changes.
 */
export function holderRecord(basis: LeaseRecord | undefined, identity: string, leaseDurationSeconds: number, time: string): LeaseRecord {
  const mine = basis?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: mine ? (basis.acquireTime ?? time) : time,
    renewTime: time,
    leaseTransitions: !basis ? 0 : mine ? basis.leaseTransitions : basis.leaseTransitions + 1,
  };
}

/**
 * Gives the Lease up (empty holder, 1 s duration) if `identity` still holds it. True when it was
 * released; false when someone else holds it or wrote in between. Throws what the store throws.
 */
export async function releaseLease(store: LeaseStore, identity: string, time: () => string): Promise<boolean> {
  const current = await store.get();
  if (!current || current.record.holderIdentity !== identity) return false;
  return (await store.update({ ...current.record, holderIdentity: '', leaseDurationSeconds: 1, renewTime: time() }, current)) !== 'conflict';
}
