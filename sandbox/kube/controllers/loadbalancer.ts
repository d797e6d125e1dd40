/**
 * Load-balancer allocator: gives each LoadBalancer Service one IP from a pool
 * (status.loadBalancer.ingress); when the pool is exhausted the Service stays
 * pending until an address is released.
 */
import { badRequest } from '../errors.js';
import { findType } from '../resources.js';
import type { StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';
import { keyOf, splitKey, WorkQueue, type ControllerContext } from './runtime.js';

const SERVICES = findType('', 'services')!;
const COMPONENT = 'service-controller';

function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw badRequest(`invalid IPv4 address "${ip}"`);
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function numberToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Expands a pool given as IPs, `a.b.c.d-e.f.g.h` ranges or CIDRs (network and broadcast
 * addresses excluded for prefixes shorter than /31). Throws on malformed entries.
 */
export function expandPool(pool: string[]): string[] {
  const out: string[] = [];
  for (const entry of pool) {
    const text = entry.trim();
    if (text.includes('/')) {
      const [base, bitsText] = text.split('/');
      const bits = Number(bitsText);
      if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw badRequest(`invalid CIDR "${text}"`);
      const size = 2 ** (32 - bits);
      if (size > 65536) throw badRequest(`CIDR "${text}" is too large for a load-balancer pool`);
      const start = ipToNumber(base!) & (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);
      const first = size > 2 ? 1 : 0;
      const last = size > 2 ? size - 2 : size - 1;
      for (let i = first; i <= last; i++) out.push(numberToIp((start >>> 0) + i));
    } else if (text.includes('-')) {
      const [from, to] = text.split('-').map((s) => ipToNumber(s.trim()));
      if (to! < from! || to! - from! > 65536) throw badRequest(`invalid IP range "${text}"`);
      for (let n = from!; n <= to!; n++) out.push(numberToIp(n));
    } else {
      ipToNumber(text);
      out.push(text);
    }
  }
  return [...new Set(out)];
}

/** Starts the allocator; returns its stop function. */
export function startLoadBalancerAllocator(ctx: ControllerContext, pool: string[]): () => void {
  const { api } = ctx;
  const addresses = expandPool(pool);
  const assigned = new Map<string, string>();
  const pending = new Set<string>();

  function ingressIP(svc: KubeObject): string | undefined {
    const lb = svc.status?.loadBalancer as { ingress?: Array<{ ip?: string }> } | undefined;
    return lb?.ingress?.[0]?.ip;
  }

  function setIngress(svc: KubeObject, ip: string | undefined): void {
    const latest = api.get(SERVICES, svc.metadata.namespace, svc.metadata.name ?? '');
    latest.status = { ...(latest.status ?? {}), loadBalancer: ip ? { ingress: [{ ip, ipMode: 'VIP' }] } : {} };
    api.update(SERVICES, svc.metadata.namespace, svc.metadata.name ?? '', latest, { subresource: 'status', fieldManager: 'service-controller' });
  }

  function release(key: string): void {
    if (!assigned.delete(key)) return;
    for (const waiting of pending) queue.add(waiting);
  }

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const svc = api.tryGet(SERVICES, namespace, name);
    if (!svc || svc.metadata.deletionTimestamp) {
      pending.delete(key);
      release(key);
      return;
    }
    if (svc.spec?.type !== 'LoadBalancer') {
      pending.delete(key);
      if (assigned.has(key)) {
        release(key);
        if (ingressIP(svc)) setIngress(svc, undefined);
      }
      return;
    }
    const current = assigned.get(key);
    if (current) {
      if (ingressIP(svc) !== current) setIngress(svc, current);
      return;
    }
    const used = new Set(assigned.values());
    const wanted = typeof svc.spec.loadBalancerIP === 'string' && svc.spec.loadBalancerIP !== '' ? svc.spec.loadBalancerIP : undefined;
    const free = wanted ? (addresses.includes(wanted) && !used.has(wanted) ? wanted : undefined) : addresses.find((ip) => !used.has(ip));
    if (!free) {
      if (!pending.has(key)) {
        ctx.recorder.record(SERVICES, svc, 'Warning', 'AllocationFailed', 'Failed to allocate IP for load balancer: no available IPs in the pool', COMPONENT);
      }
      pending.add(key);
      return;
    }
    pending.delete(key);
    assigned.set(key, free);
    ctx.recorder.record(SERVICES, svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', COMPONENT);
    setIngress(svc, free);
    ctx.recorder.record(SERVICES, svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', COMPONENT);
  }

  const queue = new WorkQueue(reconcile, ctx.timers);
  const unsubscribe = api.store.subscribe((event: StoreEvent) => {
    if (event.resource !== SERVICES) return;
    if (event.type === 'DELETED') {
      pending.delete(keyOf(event.object));
      release(keyOf(event.object));
    } else queue.add(keyOf(event.object));
  });
  return () => {
    unsubscribe();
    queue.stop();
  };
}
