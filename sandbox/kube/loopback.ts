/**
 * The sandbox's addresses, all on the loopback network so that they answer on this machine and
 * nowhere else, outside the emulators' own 127.0.0.x. Each running emulator claims a network
 * slot s (0-31; the first free one) and uses three /16 blocks of it:
 *
 *     127.<100+3s>.0.0/16   pod IPs (127.<100+3s>.0.2 onwards)
 *     127.<101+3s>.a.b      the proxy address of the Service whose cluster IP is 10.96.a.b
 *     127.<102+3s>.0.1-250  the default LoadBalancer pool
 *
 * so several sandboxes run side by side without their modules' ports colliding. A slot is claimed
 * by listening on 127.<102+3s>.255.254:65535 for the emulator's lifetime (the kernel releases it
 * even when the process is killed).
 */
import { createServer, type Server } from 'node:net';

const SLOTS = 32;
const CLAIM_PORT = 65535;

/** The second octet of each block of slot `s`. */
const octets = (s: number) => ({ pods: 100 + 3 * s, services: 101 + 3 * s, pool: 102 + 3 * s });

/** The default LoadBalancer pool of slot `s`. Pure. */
export function loadBalancerPoolOf(slot: number): string[] {
  const o = octets(slot).pool;
  return [`127.${o}.0.1-127.${o}.0.250`];
}

/** The default pool of the first sandbox (slot 0). */
export const DEFAULT_LOAD_BALANCER_POOL = loadBalancerPoolOf(0);

/** Hands out the pod IPs of a slot (the lowest free one), reused once released. */
export class PodAddresses {
  private readonly used = new Set<number>();
  private readonly octet: number;

  constructor(slot: number) {
    this.octet = octets(slot).pods;
  }

  /** A free address; throws when all 64,000 are in use. */
  allocate(): string {
    for (let n = 0; n < 250 * 256; n++) {
      if (this.used.has(n)) continue;
      this.used.add(n);
      return `127.${this.octet}.${Math.floor(n / 250)}.${(n % 250) + 2}`;
    }
    throw new Error(`no free pod IP in 127.${this.octet}.0.0/16`);
  }

  /** Returns an address to the pool. */
  release(ip: string): void {
    const parts = ip.split('.').map(Number);
    if (parts.length === 4 && parts[0] === 127 && parts[1] === this.octet) this.used.delete(parts[2]! * 250 + parts[3]! - 2);
  }
}

/** Maps a Service's cluster IP to its proxy address in a slot (`10.96.a.b` -> `127.<101+3s>.a.b`). */
export type ProxyAddressOf = (clusterIP: unknown) => string | undefined;

/** The proxy address mapping of slot `s`. Pure. */
export function proxyAddressOf(slot: number): ProxyAddressOf {
  const o = octets(slot).services;
  return (clusterIP) => {
    if (typeof clusterIP !== 'string') return undefined;
    const m = /^10\.96\.(\d{1,3})\.(\d{1,3})$/.exec(clusterIP);
    return m ? `127.${o}.${m[1]}.${m[2]}` : undefined;
  };
}

/** A claimed slot. */
export interface LoopbackNetwork {
  slot: number;
  /** Releases the slot. */
  release(): void;
}

/** Claims the first free slot (or `slot` when given); rejects when none is free. */
export async function claimLoopbackNetwork(slot?: number): Promise<LoopbackNetwork> {
  const candidates = slot === undefined ? [...Array(SLOTS).keys()] : [slot];
  for (const s of candidates) {
    if (!Number.isInteger(s) || s < 0 || s >= SLOTS) throw new RangeError(`network slot must be 0-${SLOTS - 1}, got ${s}`);
    const server: Server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(CLAIM_PORT, `127.${octets(s).pool}.255.254`, () => resolve(true));
    });
    if (ok) {
      server.unref();
      return { slot: s, release: () => server.close() };
    }
  }
  throw new Error(slot === undefined ? `every sandbox network slot (0-${SLOTS - 1}) is taken` : `sandbox network slot ${slot} is taken by another sandbox`);
}
