/** Loopback network slots: claimed one per running sandbox, addresses per slot. */
import { expect, test } from '@jest/globals';
import { claimLoopbackNetwork, loadBalancerPoolOf, PodAddresses, proxyAddressOf } from '../../../sandbox/kube/loopback.js';

test('each claim gets a free slot; a taken slot is refused until released', async () => {
  const a = await claimLoopbackNetwork();
  const b = await claimLoopbackNetwork();
  try {
    expect(b.slot).not.toBe(a.slot);
    await expect(claimLoopbackNetwork(a.slot)).rejects.toThrow(`sandbox network slot ${a.slot} is taken by another sandbox`);
  } finally {
    a.release();
    b.release();
  }
  await new Promise((r) => setTimeout(r, 50));
  const again = await claimLoopbackNetwork(a.slot);
  again.release();
  await expect(claimLoopbackNetwork(32)).rejects.toThrow('network slot must be 0-31, got 32');
});

test('addresses of a slot: pods, Service proxies, load-balancer pool', () => {
  const pods = new PodAddresses(1);
  expect([pods.allocate(), pods.allocate()]).toEqual(['127.103.0.2', '127.103.0.3']);
  pods.release('127.103.0.2');
  expect(pods.allocate()).toBe('127.103.0.2');
  expect(proxyAddressOf(1)('10.96.3.4')).toBe('127.104.3.4');
  expect(proxyAddressOf(1)('None')).toBeUndefined();
  expect(loadBalancerPoolOf(1)).toEqual(['127.105.0.1-127.105.0.250']);
});
