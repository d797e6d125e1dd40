/**
 * The sandbox's kube-proxy and ServiceLB: every Service with a selector gets real listeners that
 * forward TCP connections and UDP datagrams to a ready pod of the Service (round robin), on
 *
 * - its proxy address, the loopback stand-in of its cluster IP (loopback.ts), at each Service
 *   port: what module processes reach by Service name (see preload.mjs);
 * - each `status.loadBalancer.ingress` IP of a LoadBalancer Service, at each Service port, as
 *   k3s's ServiceLB does.
 *
 * Endpoints are chosen per connection from the pods as they are then: selected by the Service,
 * Ready, not terminating, with a pod IP; a named targetPort is looked up in the pod's container
 * ports. A connection that finds no endpoint, or is refused, is retried for a few seconds (a
 * replacement pod is starting), then closed. An address that cannot be listened on (outside the
 * loopback network, or taken) gets one Warning event on the Service. Service names and proxy
 * addresses are written to the hosts file the module processes read.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { renameSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ProxyAddressOf } from './loopback.js';
import { findType } from './resources.js';
import type { StoreEvent } from './store.js';
import { isObject, type JsonObject, type KubeObject } from './types.js';
import type { ControllerContext } from './controllers/runtime.js';

const SERVICES = findType('', 'services')!;
const PODS = findType('', 'pods')!;
const COMPONENT = 'service-proxy';
/** How long a connection waits for an endpoint that accepts it. */
const CONNECT_PATIENCE_MS = 5_000;
const RETRY_MS = 100;
const UDP_IDLE_MS = 60_000;

type Protocol = 'TCP' | 'UDP';

interface Binding {
  key: string;
  namespace: string;
  service: string;
  protocol: Protocol;
  ip: string;
  port: number;
  external: boolean;
}

interface Listener {
  binding: Binding;
  listening: boolean;
  close(): void;
}

/** One endpoint address. */
export interface Endpoint {
  ip: string;
  port: number;
}

/** An address the proxy listens on for a Service. */
export interface ServiceAddress {
  protocol: Protocol;
  ip: string;
  port: number;
  /** A load-balancer (external) address, as opposed to the Service's proxy address. */
  external: boolean;
  /** How many ready endpoints the Service's port has right now. */
  endpoints: number;
}

/** The running proxy. */
export interface ServiceProxy {
  /** The addresses listening for a Service, external (load-balancer) ones first. */
  addresses(namespace: string, service: string): ServiceAddress[];
  stop(): void;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function isReady(pod: KubeObject): boolean {
  const conditions = Array.isArray(pod.status?.conditions) ? (pod.status.conditions as JsonObject[]) : [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The target port of `servicePort` in `pod`, or undefined when a named port is not there. Pure. */
export function targetPortOf(pod: KubeObject, servicePort: JsonObject): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = str(servicePort.protocol) ?? 'TCP';
  for (const c of Array.isArray(pod.spec?.containers) ? (pod.spec.containers as unknown[]).filter(isObject) : []) {
    for (const p of Array.isArray(c.ports) ? c.ports.filter(isObject) : []) {
      if (p.name === target && (str(p.protocol) ?? 'TCP') === protocol && typeof p.containerPort === 'number') return p.containerPort;
    }
  }
  return undefined;
}

/** The ready endpoints of a Service's port among `pods`. Pure. */
export function endpointsOf(service: KubeObject, port: number, protocol: Protocol, pods: readonly KubeObject[]): Endpoint[] {
  const selector = isObject(service.spec?.selector) ? (service.spec.selector as Record<string, string>) : {};
  if (Object.keys(selector).length === 0) return [];
  const ports = Array.isArray(service.spec?.ports) ? (service.spec.ports as unknown[]).filter(isObject) : [];
  const servicePort = ports.find((p) => p.port === port && (str(p.protocol) ?? 'TCP') === protocol);
  if (!servicePort) return [];
  const out: Endpoint[] = [];
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    if (pod.metadata.deletionTimestamp || !isReady(pod) || typeof pod.status?.podIP !== 'string') continue;
    const target = targetPortOf(pod, servicePort);
    if (target !== undefined) out.push({ ip: pod.status.podIP, port: target });
  }
  return out;
}

/** The addresses a Service should be served on. Pure. */
export function bindingsOf(service: KubeObject, proxyAddressOf: ProxyAddressOf): Binding[] {
  const spec = service.spec ?? {};
  if (!isObject(spec.selector) || Object.keys(spec.selector).length === 0) return [];
  const namespace = service.metadata.namespace ?? '';
  const name = service.metadata.name ?? '';
  const ips: Array<{ ip: string; external: boolean }> = [];
  if (spec.type === 'LoadBalancer' && isObject(service.status?.loadBalancer)) {
    const ingress = service.status.loadBalancer.ingress;
    for (const i of Array.isArray(ingress) ? ingress.filter(isObject) : []) if (typeof i.ip === 'string') ips.push({ ip: i.ip, external: true });
  }
  const proxy = proxyAddressOf(spec.clusterIP);
  if (proxy) ips.push({ ip: proxy, external: false });
  const out: Binding[] = [];
  for (const p of Array.isArray(spec.ports) ? spec.ports.filter(isObject) : []) {
    const protocol = str(p.protocol) ?? 'TCP';
    if ((protocol !== 'TCP' && protocol !== 'UDP') || typeof p.port !== 'number') continue;
    for (const { ip, external } of ips) {
      out.push({ key: `${protocol}/${ip}:${p.port}`, namespace, service: name, protocol, ip, port: p.port, external });
    }
  }
  return out;
}

/** Starts the proxy; `hostsFile` receives the Service names. */
export function startServiceProxy(ctx: ControllerContext, proxyAddressOf: ProxyAddressOf, hostsFile?: string): ServiceProxy {
  const { api } = ctx;
  const listeners = new Map<string, Listener>();
  const failed = new Map<string, string>();
  const roundRobin = new Map<string, number>();
  let scheduled = false;
  let stopped = false;

  const endpoints = (b: Binding): Endpoint[] => {
    const service = api.tryGet(SERVICES, b.namespace, b.service);
    if (!service) return [];
    return endpointsOf(service, b.port, b.protocol, api.list(PODS, b.namespace).items);
  };
  const pick = (b: Binding, skip = 0): Endpoint | undefined => {
    const eps = endpoints(b);
    if (eps.length === 0) return undefined;
    const n = (roundRobin.get(b.key) ?? 0) + skip;
    roundRobin.set(b.key, n + 1);
    return eps[n % eps.length];
  };

  function tcp(b: Binding): Listener {
    const sockets = new Set<Socket>();
    const server: Server = createServer({ pauseOnConnect: true }, (client) => {
      sockets.add(client);
      client.once('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      const deadline = Date.now() + CONNECT_PATIENCE_MS;
      let attempt = 0;
      const tryConnect = (): void => {
        if (client.destroyed || stopped) return;
        const ep = pick(b, attempt++);
        const retry = () => (Date.now() < deadline ? setTimeout(tryConnect, RETRY_MS).unref() : client.destroy());
        if (!ep) return void retry();
        const upstream = connect(ep.port, ep.ip);
        sockets.add(upstream);
        upstream.once('close', () => sockets.delete(upstream));
        let connected = false;
        upstream.once('connect', () => {
          connected = true;
          client.pipe(upstream);
          upstream.pipe(client);
          client.resume();
          client.once('close', () => upstream.destroy());
          upstream.once('close', () => client.destroy());
        });
        upstream.on('error', () => {
          upstream.destroy();
          if (!connected) retry();
          else client.destroy();
        });
      };
      tryConnect();
    });
    const listener: Listener = {
      binding: b,
      listening: false,
      close: () => {
        server.close();
        for (const s of sockets) s.destroy();
      },
    };
    server.once('listening', () => (listener.listening = true));
    listen(b, (onError) => {
      server.once('error', onError);
      server.listen(b.port, b.ip);
    });
    return listener;
  }

  function udp(b: Binding): Listener {
    const socket = createSocket('udp4');
    const sessions = new Map<string, { upstream: UdpSocket; timer: NodeJS.Timeout }>();
    const end = (key: string) => {
      const s = sessions.get(key);
      if (!s) return;
      clearTimeout(s.timer);
      s.upstream.close();
      sessions.delete(key);
    };
    socket.on('message', (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      let session = sessions.get(key);
      if (!session) {
        const ep = pick(b);
        if (!ep) return;
        const upstream = createSocket('udp4');
        upstream.on('error', () => end(key));
        upstream.on('message', (reply) => socket.send(reply, rinfo.port, rinfo.address));
        upstream.connect(ep.port, ep.ip);
        session = { upstream, timer: setTimeout(() => end(key), UDP_IDLE_MS).unref() };
        sessions.set(key, session);
      }
      session.timer.refresh();
      const { upstream } = session;
      const send = () => upstream.send(msg, (e) => e && end(key));
      try {
        upstream.remoteAddress();
        send();
      } catch {
        upstream.once('connect', send);
      }
    });
    const listener: Listener = {
      binding: b,
      listening: false,
      close: () => {
        for (const key of [...sessions.keys()]) end(key);
        try {
          socket.close();
        } catch {
          // Never bound.
        }
      },
    };
    socket.once('listening', () => (listener.listening = true));
    listen(b, (onError) => {
      socket.once('error', onError);
      socket.on('error', () => undefined);
      socket.bind(b.port, b.ip);
    });
    return listener;
  }

  function listen(b: Binding, start: (onError: (e: NodeJS.ErrnoException) => void) => void): void {
    start((e) => {
      const current = listeners.get(b.key);
      if (current?.binding === b) listeners.delete(b.key);
      if (failed.get(b.key) === e.code || stopped) return;
      failed.set(b.key, e.code ?? 'error');
      const service = api.tryGet(SERVICES, b.namespace, b.service);
      if (service) ctx.recorder.record(SERVICES, service, 'Warning', 'ProxyFailed', `sandbox proxy cannot listen on ${b.protocol} ${b.ip}:${b.port}: ${e.code ?? e.message}`, COMPONENT);
    });
  }

  let writtenHosts: string | undefined;

  function writeHosts(): void {
    if (!hostsFile) return;
    const table: Record<string, string> = {};
    for (const svc of api.list(SERVICES, undefined).items) {
      const proxy = proxyAddressOf(svc.spec?.clusterIP);
      if (proxy) table[`${svc.metadata.name ?? ''}.${svc.metadata.namespace ?? ''}`] = proxy;
    }
    const text = JSON.stringify(table, null, 2) + '\n';
    // Most Service writes (status, no-op applies of other fields) leave the table as it is.
    if (text === writtenHosts) return;
    try {
      writeFileSync(`${hostsFile}.tmp`, text);
      renameSync(`${hostsFile}.tmp`, hostsFile);
      writtenHosts = text;
    } catch {
      // The state directory went away; the next change writes again.
    }
  }

  function reconcile(): void {
    scheduled = false;
    if (stopped) return;
    const desired = new Map<string, Binding>();
    for (const svc of api.list(SERVICES, undefined).items) if (!svc.metadata.deletionTimestamp) for (const b of bindingsOf(svc, proxyAddressOf)) desired.set(b.key, b);
    for (const [key, l] of listeners) {
      const want = desired.get(key);
      if (!want || want.namespace !== l.binding.namespace || want.service !== l.binding.service) {
        l.close();
        listeners.delete(key);
      }
    }
    for (const key of failed.keys()) if (!desired.has(key)) failed.delete(key);
    for (const [key, b] of desired) {
      if (listeners.has(key) || failed.has(key)) continue;
      listeners.set(key, b.protocol === 'TCP' ? tcp(b) : udp(b));
    }
    writeHosts();
  }

  const unsubscribe = api.store.subscribe((event: StoreEvent) => {
    if (event.resource !== SERVICES || scheduled) return;
    scheduled = true;
    setImmediate(reconcile);
  });
  scheduled = true;
  setImmediate(reconcile);

  return {
    addresses(namespace, service) {
      return [...listeners.values()]
        .filter((l) => l.listening)
        .map((l) => l.binding)
        .filter((b) => b.namespace === namespace && b.service === service)
        .sort((a, b) => Number(b.external) - Number(a.external))
        .map((b) => ({ protocol: b.protocol, ip: b.ip, port: b.port, external: b.external, endpoints: endpoints(b).length }));
    },
    stop() {
      stopped = true;
      unsubscribe();
      for (const l of listeners.values()) l.close();
      listeners.clear();
    },
  };
}
