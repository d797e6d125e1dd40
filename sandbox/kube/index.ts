/**
 * `sandbox/kube`: a Kubernetes API server emulator with simulated controllers,
 * kubelet and load balancer, that @kubernetes/client-node and kubectl accept.
 * Test and demo infrastructure; the bridge never imports it at run time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ImageCatalog } from './catalog.js';
import { startCluster } from './cluster.js';
import { makeDirectory } from './dirs.js';
import { FaultInjector } from './faults.js';
import { buildKubeconfig } from './kubeconfig.js';
import { OpenApiDocuments } from './openapi.js';
import { handleRequest, type ServerContext } from './server.js';
import { generateTls } from './tls.js';
import { claimLoopbackNetwork, loadBalancerPoolOf } from './loopback.js';
import { moduleProcessImages, REPOSITORY_ROOT } from './modules.js';
import type { ServiceAddress } from './service-proxy.js';

export { CatalogError, ImageCatalog, type ImageBehaviour } from './catalog.js';
export { FaultInjector, type FaultStatus, type RequestMatch } from './faults.js';
export { type ProcessImage } from './catalog.js';
export { DEFAULT_LOAD_BALANCER_POOL, loadBalancerPoolOf } from './loopback.js';
export { findModuleImages, REPOSITORY_ROOT, type ModuleImage } from './modules.js';
export type { ServiceAddress } from './service-proxy.js';
export { KubeApiError } from './errors.js';
export type { RequestAttributes, Verb } from './server.js';

/** Options of {@link startKubeEmulator}. */
export interface KubeEmulatorOptions {
  /** TCP port; 0 or unset picks a free one. */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /**
   * Serve HTTPS with a CA generated at start (the kubeconfig carries the CA). With
   * `false` the API is plain HTTP and the kubeconfig sets insecure-skip-tls-verify,
   * which @kubernetes/client-node requires for http URLs. @default true
   */
  tls?: boolean;
  /** When set, `<stateDir>/kubeconfig` is written once the API serves requests. */
  stateDir?: string;
  /** What each image does. @default an empty catalog: every image runs and logs a line */
  catalog?: ImageCatalog;
  /**
   * External IPs for LoadBalancer Services: IPs, `a-b` ranges or a CIDR. The proxy really
   * forwards from the ones this machine has (loopback). `[]`: Services stay pending.
   * @default the network slot's pool, 127.<102+3s>.0.1-250 (127.102.0.1-250 for the first sandbox)
   */
  loadBalancerPool?: string[];
  /**
   * Loopback network slot (0-31) for pod IPs, Service proxy addresses and the default pool
   * (docs/sandbox-kube.md, "Pod network"). @default the first slot no other running sandbox holds
   */
  networkSlot?: number;
  /**
   * Repository whose `modules/*\/module.json` images run as real processes; `false`: none
   * (every image not in the catalog is simulated). @default this repository
   */
  modules?: string | false;
  /**
   * Multiplies every simulated duration (image pulls, restart back-off, exit delays,
   * progress deadlines, bookmarks). 0.01 makes the cluster 100 times faster. @default 1
   */
  timeFactor?: number;
  /** Who sent a request (throw a 401 KubeApiError to refuse it). @default everyone is `system:anonymous` */
  authenticate?: ServerContext['authenticate'];
  /** Called for every routed request before its handler (throw a 403 KubeApiError to deny). @default allow all */
  authorize?: ServerContext['authorize'];
}

/** A running emulator. */
export interface KubeEmulator {
  /** Base URL of the API server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Path of the kubeconfig file, when `stateDir` was given. */
  kubeconfigPath?: string;
  /** Kubeconfig YAML pointing at this emulator. */
  kubeconfig: string;
  /** Stops the server, the watches and every simulated controller. */
  stop(): Promise<void>;
  /** Fault injection for tests. */
  faults: FaultInjector;
  /** The image catalog in use (mutable while running). */
  catalog: ImageCatalog;
  /** The loopback network slot this emulator holds. */
  networkSlot: number;
  /**
   * Where a Service really answers: its load-balancer addresses (external) first, then its proxy
   * address (what module processes reach by its name). Empty until the proxy listens.
   */
  serviceAddresses(namespace: string, service: string): ServiceAddress[];
  /**
   * Resolves with {@link serviceAddresses} once the Service has an external TCP address with a
   * ready endpoint (what a person can open); rejects after `timeoutMs`.
   */
  whenServing(namespace: string, service: string, timeoutMs?: number): Promise<ServiceAddress[]>;
}

/** Starts the emulator and resolves once it serves requests. */
export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const timeFactor = options.timeFactor ?? 1;
  if (!(timeFactor > 0) || !Number.isFinite(timeFactor)) throw new RangeError(`timeFactor must be a positive number, got ${String(options.timeFactor)}`);
  const catalog = options.catalog ?? new ImageCatalog();
  if (options.modules !== false) catalog.addModuleImages(moduleProcessImages(options.modules ?? REPOSITORY_ROOT));
  const faults = new FaultInjector();
  const network = await claimLoopbackNetwork(options.networkSlot);
  const kubeletDir = options.stateDir ? join(options.stateDir, 'kubelet') : mkdtempSync(join(tmpdir(), 'iotedge-k8s-kubelet-'));
  const cluster = startCluster({ catalog, loadBalancerPool: options.loadBalancerPool ?? loadBalancerPoolOf(network.slot), timeFactor, kubeletDir, networkSlot: network.slot });
  const tls = options.tls !== false ? generateTls([host, 'localhost', '127.0.0.1']) : undefined;
  let address = '';
  const ctx: ServerContext = {
    api: cluster.api,
    kubelet: cluster.kubelet,
    load: cluster.load,
    flushEvents: () => cluster.flushEvents(),
    faults,
    openapi: new OpenApiDocuments(),
    address: () => address,
    bookmarkMs: Math.max(50, Math.round(60_000 * timeFactor)),
    authenticate: options.authenticate,
    authorize: options.authorize,
  };
  const handler = (req: Parameters<typeof handleRequest>[1], res: Parameters<typeof handleRequest>[2]) => void handleRequest(ctx, req, res);
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    cluster.stop();
    network.release();
    if (!options.stateDir) rmSync(kubeletDir, { recursive: true, force: true });
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `${tls ? 'https' : 'http'}://${address}`;
  const kubeconfig = buildKubeconfig(url, tls?.caCert);
  let kubeconfigPath: string | undefined;
  if (options.stateDir) {
    await makeDirectory(options.stateDir).catch(async (error: unknown) => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      cluster.stop();
      throw new Error(`Kubernetes API emulator: cannot create the state directory ${options.stateDir}: ${(error as Error).message}`, { cause: error });
    });
    kubeconfigPath = join(options.stateDir, 'kubeconfig');
    // Whole or absent for anyone waiting for it: written aside, then renamed into place.
    await writeFile(`${kubeconfigPath}.${process.pid}.tmp`, kubeconfig, { mode: 0o600 });
    await rename(`${kubeconfigPath}.${process.pid}.tmp`, kubeconfigPath);
  }
  let stopped = false;
  return {
    url,
    kubeconfig,
    kubeconfigPath,
    faults,
    catalog,
    networkSlot: network.slot,
    serviceAddresses: (namespace, service) => cluster.proxy.addresses(namespace, service),
    whenServing: (namespace, service, timeoutMs = 30_000) => whenServing(() => cluster.proxy.addresses(namespace, service), `${namespace}/${service}`, timeoutMs),
    async stop() {
      if (stopped) return;
      stopped = true;
      cluster.stop();
      network.release();
      if (!options.stateDir) rmSync(kubeletDir, { recursive: true, force: true });
      faults.dropWatches();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Polls `addresses` until one is external, TCP and has an endpoint. */
async function whenServing(addresses: () => ServiceAddress[], what: string, timeoutMs: number): Promise<ServiceAddress[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = addresses();
    if (current.some((a) => a.external && a.protocol === 'TCP' && a.endpoints > 0)) return current;
    if (Date.now() > deadline) throw new Error(`Service ${what} has no load-balancer address with a ready pod after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
