/**
 * The simulated cluster: store, API semantics, allocators, seed objects and
 * controllers, without any HTTP.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApi } from './api.js';
import type { ImageCatalog } from './catalog.js';
import { startDeploymentController } from './controllers/deployment.js';
import { startGarbageCollector } from './controllers/gc.js';
import { startJobController } from './controllers/job.js';
import { Kubelet, NODE_NAME, nodeObject } from './controllers/kubelet.js';
import { startLoadBalancerAllocator } from './controllers/loadbalancer.js';
import { startReplicaSetController } from './controllers/replicaset.js';
import { startVolumeBinder } from './controllers/volumes.js';
import { Backlog, ClientLoad, EventRecorder, TimerSet, type ControllerContext } from './controllers/runtime.js';
import { startServiceProxy, type ServiceProxy } from './service-proxy.js';
import { proxyAddressOf } from './loopback.js';
import type { ServiceAllocator } from './defaults.js';
import { KubeApiError } from './errors.js';
import { findType } from './resources.js';
import { ObjectStore } from './store.js';

/** Namespaces every cluster starts with. */
export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Cluster IPs from 10.96.0.0/12 and node ports from 30000-32767, never reused while in use. */
export class SimpleAllocator implements ServiceAllocator {
  private nextIP = 10;
  private readonly usedPorts = new Set<number>();

  clusterIP(): string {
    const n = this.nextIP++;
    if (n >= 2 ** 20 - 1) throw new KubeApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
    return `10.${96 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  }

  nodePort(): number {
    for (let i = 0; i < 2768; i++) {
      const port = 30000 + Math.floor(Math.random() * 2768);
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
    throw new KubeApiError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
  }

  reserveNodePort(port: number): void {
    this.usedPorts.add(port);
  }
}

/** Options of the simulated cluster. */
export interface ClusterOptions {
  catalog: ImageCatalog;
  loadBalancerPool: string[];
  timeFactor: number;
  retainedEvents?: number;
  /** Kubelet directory (pod volumes, container roots); a temporary one when unset. */
  kubeletDir?: string;
  /** The loopback network slot (pod IPs, Service proxy addresses; loopback.ts). @default 0 */
  networkSlot?: number;
}

/** A running simulated cluster. */
export interface Cluster {
  api: KubeApi;
  kubelet: Kubelet;
  /** The Service proxy / load balancer that really forwards. */
  proxy: ServiceProxy;
  /** Where the API server notes its clients' requests. */
  load: ClientLoad;
  /** Writes the Events recorded and not written yet (before a request on Events is served). */
  flushEvents(): void;
  stop(): void;
}

/** Creates the store, seeds it and starts every controller. */
export function startCluster(options: ClusterOptions): Cluster {
  const store = new ObjectStore(options.retainedEvents ?? 10_000);
  const api = new KubeApi(store, new SimpleAllocator());
  const timers = new TimerSet(options.timeFactor);
  const load = new ClientLoad();
  const backlog = new Backlog();
  const recorder = new EventRecorder(api, NODE_NAME, backlog);
  const ctx: ControllerContext = { api, timeFactor: options.timeFactor, recorder, timers, load, backlog };
  const stops = [
    startGarbageCollector(ctx),
    startReplicaSetController(ctx),
    startDeploymentController(ctx),
    startJobController(ctx),
    startLoadBalancerAllocator(ctx, options.loadBalancerPool),
    startVolumeBinder(ctx),
  ];
  const hostsFile = options.kubeletDir ? join(options.kubeletDir, 'hosts.json') : undefined;
  if (options.kubeletDir) mkdirSync(options.kubeletDir, { recursive: true });
  const proxy = startServiceProxy(ctx, proxyAddressOf(options.networkSlot ?? 0), hostsFile);
  const kubelet = new Kubelet(ctx, options.catalog, { dir: options.kubeletDir, hostsFile, networkSlot: options.networkSlot });
  const manager = { fieldManager: 'kube-apiserver' };
  for (const name of INITIAL_NAMESPACES) api.create(findType('', 'namespaces')!, undefined, { metadata: { name } }, manager);
  const nodes = findType('', 'nodes')!;
  const node = api.create(nodes, undefined, nodeObject(), { fieldManager: 'kubelet' });
  api.update(nodes, undefined, NODE_NAME, { ...node, status: nodeObject().status }, { fieldManager: 'kubelet', subresource: 'status' });
  api.create(
    findType('', 'services')!,
    'default',
    {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    },
    manager,
  );
  store.startWindow();
  return {
    api,
    kubelet,
    proxy,
    load,
    flushEvents: () => recorder.flush(),
    stop() {
      proxy.stop();
      kubelet.stop();
      for (const stop of stops) stop();
      timers.stop();
      recorder.stop();
    },
  };
}
