/**
 * What the Lease `iotedge-k8s` says about the bridge, for a reader that is not a candidate (a
 * local `list`): pure. The Lease is fresh while its `renewTime` plus `leaseDurationSeconds` lies
 * after the moment it was read, measured on the reader's clock (unlike the elector, a one-shot
 * reader cannot watch it change: a clock skew between the bridge's machine and the reader's
 * larger than the duration minus the renew interval, 30 s by default, misjudges it). An empty
 * holder is a bridge that stopped and released it. The start time is the annotation the bridge
 * writes (its edgeAgent `lastStartTimeUtc`), else `acquireTime`.
 */
import type { StoredLease } from './lease.js';

export type BridgeLiveness =
  /** Renewed within its duration: the holder runs, since `startedAt`. */
  | { state: 'alive'; holder: string; startedAt?: string; renewedAt: string; expiresAt: string }
  /** Not renewed within its duration: the holder died, or cannot reach the cluster. */
  | { state: 'expired'; holder: string; startedAt?: string; renewedAt?: string; expiresAt?: string }
  /** Released (empty holder): the bridge stopped at `releasedAt`. */
  | { state: 'released'; startedAt?: string; releasedAt?: string };

const parse = (t: string | undefined): number | undefined => {
  const ms = t === undefined ? NaN : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};

/** RFC 3339 with seconds, as the API shows times (`2026-12-01T12:00:00Z`). */
const utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function leaseLiveness(lease: StoredLease, readAt: Date): BridgeLiveness {
  const { holderIdentity: holder, renewTime, acquireTime, leaseDurationSeconds } = lease.record;
  const startedAt = lease.startedAt ?? acquireTime;
  const start = startedAt ? { startedAt } : {};
  if (holder === '') {
    const released = parse(renewTime);
    return { state: 'released', ...start, ...(released !== undefined ? { releasedAt: utc(released) } : {}) };
  }
  const renewed = parse(renewTime ?? acquireTime);
  if (renewed === undefined) return { state: 'expired', holder, ...start };
  const expires = renewed + leaseDurationSeconds * 1000;
  const times = { renewedAt: utc(renewed), expiresAt: utc(expires) };
  return expires > readAt.getTime() ? { state: 'alive', holder, ...start, ...times } : { state: 'expired', holder, ...start, ...times };
}
