/**
 * The sandbox's addresses, all on the loopback network so that they answer on this machine and
 * nowhere else: pod IPs from 127.244.0.0/16, one Service proxy address per cluster IP
 * (10.96.a.b -> 127.96.a.b), LoadBalancer external IPs from 127.200.0.0/24 by default. The
 * emulators' own listeners use 127.0.0.1 and 127.0.0.2, outside every one of these ranges.
 */

/** External IPs handed to LoadBalancer Services when no pool is given. */
export const DEFAULT_LOAD_BALANCER_POOL = ['127.200.0.1-127.200.0.250'];

/** Hands out pod IPs from 127.244.0.0/16 (the lowest free one), reused once released. */
export class PodAddresses {
  private readonly used = new Set<number>();

  /** A free address; throws when all 65,000 are in use. */
  allocate(): string {
    for (let n = 0; n < 250 * 256; n++) {
      if (this.used.has(n)) continue;
      this.used.add(n);
      return `127.244.${Math.floor(n / 250)}.${(n % 250) + 2}`;
    }
    throw new Error('no free pod IP in 127.244.0.0/16');
  }

  /** Returns an address to the pool. */
  release(ip: string): void {
    const m = /^127\.244\.(\d+)\.(\d+)$/.exec(ip);
    if (m) this.used.delete(Number(m[1]) * 250 + Number(m[2]) - 2);
  }
}

/** The loopback address that stands for a Service's cluster IP (`10.x.y.z` -> `127.x.y.z`), or undefined. */
export function serviceProxyAddress(clusterIP: unknown): string | undefined {
  if (typeof clusterIP !== 'string') return undefined;
  const m = /^10\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(clusterIP);
  return m ? `127.${m[1]}.${m[2]}.${m[3]}` : undefined;
}
