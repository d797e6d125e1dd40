/** What the Lease says about the bridge to a reader (pure): alive, expired at renewTime + duration, released. */
import { leaseLiveness, type StoredLease } from '../../../translator/leader/index.js';

const lease = (holderIdentity: string, renewTime: string | undefined, startedAt?: string): StoredLease => ({
  resourceVersion: '7',
  record: { holderIdentity, leaseDurationSeconds: 40, acquireTime: '2026-12-01T11:00:00.000000Z', renewTime, leaseTransitions: 0 },
  ...(startedAt ? { startedAt } : {}),
});

test('fresh until renewTime + leaseDurationSeconds, then expired; the start time is the annotation, else acquireTime', () => {
  const l = lease('bridge-a', '2026-12-01T11:59:30.500000Z', '2026-12-01T10:59:59.123Z');
  expect(leaseLiveness(l, new Date('2026-12-01T12:00:10.499Z'))).toEqual({ state: 'alive', holder: 'bridge-a', startedAt: '2026-12-01T10:59:59.123Z', renewedAt: '2026-12-01T11:59:30Z', expiresAt: '2026-12-01T12:00:10Z' });
  expect(leaseLiveness(l, new Date('2026-12-01T12:00:10.500Z'))).toMatchObject({ state: 'expired', holder: 'bridge-a', renewedAt: '2026-12-01T11:59:30Z' });
  expect(leaseLiveness(lease('bridge-a', '2026-12-01T11:59:30Z'), new Date('2026-12-01T12:00:00Z'))).toMatchObject({ state: 'alive', startedAt: '2026-12-01T11:00:00.000000Z' });
});

test('an empty holder is a released Lease: stopped at its renewTime; no renew time at all is expired', () => {
  expect(leaseLiveness(lease('', '2026-12-01T11:59:00.250000Z', '2026-12-01T10:00:00Z'), new Date('2026-12-01T11:59:00.500Z'))).toEqual({ state: 'released', startedAt: '2026-12-01T10:00:00Z', releasedAt: '2026-12-01T11:59:00Z' });
  const never: StoredLease = { resourceVersion: '1', record: { holderIdentity: 'x', leaseDurationSeconds: 40, leaseTransitions: 0 } };
  expect(leaseLiveness(never, new Date('2026-12-01T12:00:00Z'))).toEqual({ state: 'expired', holder: 'x' });
});
