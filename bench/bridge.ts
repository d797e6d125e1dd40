/**
 * bench/bridge: the bridge (`iotedge-k8s run`) end to end on the sandbox emulators.
 *
 * Starts the Kubernetes API emulator in a process of its own (plain HTTP, or HTTPS with --tls;
 * timeFactor 0.01) and the IoT Hub emulator in another (bench/hub-emulator-process.ts), so that
 * neither shares an event loop with the bench's watches and polls; puts a counting proxy between
 * every Kubernetes client and the emulator (it counts requests and TCP connections), pushes
 * deployments with azure-iothub and reads the `$edgeAgent` reported twin with
 * `Registry.getModuleTwin` (polled every 10 ms). Prints:
 *   1. for 10 and 50 modules, every module's env changed per round, p50/p95 with the floor beside
 *      each: push -> last write answered, last write -> reported 200, push -> reported 200; and the
 *      reconcile passes per round (/metrics), which must be 1: the rollout's pods trigger none;
 *   2. API writes for a no-op resync and for a one-module change among 50 (proxy and /metrics);
 *   3. pod status change to reported runtimeStatus visible at the hub (p50/p95);
 *   4. the bridge vs `iotedge-k8s translate | kubectl apply --server-side` for 50 modules, first
 *      applies into fresh namespaces, `--sbs-samples N` times (7), the side going first alternating;
 *   5. resident memory of a bridge running as its own process with 50 modules.
 *
 *   npx tsx bench/bridge.ts [--rounds N] [--sbs-samples N] [--only latency,writes,status,sbs,memory] [--tls]
 *
 * Then the goals of issue 8, each MET or NOT MET. Exits 1 when a check fails (a no-op that
 * writes, a push the hub gave no new $version) or a goal is not met.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage, type RequestOptions, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
// azure-iot-device, its MQTT transport and azure-iothub are CommonJS: Node's ESM loader (and tsx) only give them as default exports.
import deviceSdk, { type Client as DeviceClient, type Twin } from 'azure-iot-device';
import mqttTransport from 'azure-iot-device-mqtt';
import iothub, { type Registry } from 'azure-iothub';
import { parse, stringify } from 'yaml';
import { trustHubCa } from '../sandbox/hub/index.js';
import { generateTls } from '../sandbox/kube/tls.js';
import { deploymentRollout } from '../translator/kinds/index.js';
import { runsVersion, spawnBridge, stopProcess } from './bridge-process.js';
import { spawnHubEmulator, type HubEmulatorProcess } from './hub-emulator-process.js';
import { spawnKubeEmulator, type KubeEmulatorProcess } from './kube-emulator-process.js';
import { deploymentContent, imageOf } from './manifests.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and twins are free-form JSON here
type Json = any;

const TIME_FACTOR = 0.01;
const SERVICE_HOST = '127.0.0.71';
const POLL_MS = 10;
/** The ops port of the bridge process (the bench runs in its own network namespace). */
const OPS_PORT = 18_321;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A failure that ends the benchmark with a clear message. */
class BenchError extends Error {
  override readonly name = 'BenchError';
}

/** The positive integer after `flag` in `argv`, or `fallback` without the flag. */
function positiveInt(argv: string[], flag: string, fallback: number): number {
  const at = argv.indexOf(flag);
  if (at < 0) return fallback;
  const n = Number(argv[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`${flag} must be a positive integer, got '${argv[at + 1] ?? ''}'`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Counting proxy

/** One request that went through the proxy; times are performance.now() milliseconds. */
interface ApiRequest {
  method: string;
  path: string;
  start: number;
  /** When the upstream response ended (unset for watches still open). */
  end?: number;
  /** The body and content type of a write, for the floor's replay. */
  body?: Buffer;
  contentType?: string;
}

/**
 * A proxy in front of the emulator that records every request and when each client connection
 * was opened. Plain HTTP; with `upstreamCa` (the emulator's CA), HTTPS on both sides, with a
 * certificate of its own whose CA is {@link ca}.
 */
class CountingProxy {
  readonly requests: ApiRequest[] = [];
  /** When each client connection was accepted (performance.now()). */
  readonly connections: number[] = [];
  private readonly agent: Agent;
  private readonly tls?: { cert: string; key: string; caCert: string };
  private server?: Server;
  url = '';

  constructor(
    private readonly target: string,
    upstreamCa?: string,
  ) {
    this.agent = upstreamCa ? new HttpsAgent({ keepAlive: true, maxSockets: 256, ca: upstreamCa }) : new Agent({ keepAlive: true, maxSockets: 256 });
    if (upstreamCa) this.tls = generateTls(['127.0.0.1', 'localhost']);
  }

  /** The CA of the proxy's certificate (with TLS). */
  get ca(): string | undefined {
    return this.tls?.caCert;
  }

  /** A request to the proxy (node:http or node:https with its CA). */
  request(options: RequestOptions, callback: (res: IncomingMessage) => void) {
    return this.tls ? httpsRequest({ ...options, ca: this.tls.caCert }, callback) : request(options, callback);
  }

  /** An agent for requests to the proxy. */
  clientAgent(options: { keepAlive: boolean; maxSockets: number }): Agent {
    return this.tls ? new HttpsAgent({ ...options, ca: this.tls.caCert }) : new Agent(options);
  }

  /** Client connections accepted from `from` to `to`. */
  connectionsBetween(from: number, to: number): number {
    return this.connections.filter((t) => t >= from && t <= to).length;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const record: ApiRequest = { method: req.method ?? 'GET', path: req.url ?? '/', start: performance.now() };
      this.requests.push(record);
      if (WRITE_METHODS.has(record.method)) {
        const chunks: Buffer[] = [];
        record.contentType = req.headers['content-type'];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => (record.body = Buffer.concat(chunks)));
      }
      const upstream = (this.tls ? httpsRequest : request)(`${this.target}${record.path}`, { method: record.method, headers: req.headers, agent: this.agent }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.on('end', () => (record.end = performance.now()));
        up.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    };
    const server: Server = this.tls ? createHttpsServer({ cert: this.tls.cert, key: this.tls.key }, handler) : createServer(handler);
    server.on('connection', () => this.connections.push(performance.now()));
    // Idle client connections are kept as long as the emulator behind keeps them (Node's default is
    // 5 s; kube-apiserver's 90 s), so that the proxy does not close what the API server would keep.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /**
   * Requests that started at or after `since`, optionally only those under namespace `ns`, but
   * for the heartbeat's renewals of the Lease `iotedge-k8s` (see {@link isHeartbeatWrite}).
   */
  since(since: number, ns?: string): ApiRequest[] {
    return this.all(since, ns).filter((r) => !isHeartbeatWrite(r));
  }

  /** The heartbeat's writes of the Lease that {@link since} leaves out. */
  heartbeatWrites(since: number, ns?: string): ApiRequest[] {
    return this.all(since, ns).filter(isHeartbeatWrite);
  }

  private all(since: number, ns?: string): ApiRequest[] {
    return this.requests.filter((r) => r.start >= since && (ns === undefined || r.path.includes(`/namespaces/${ns}/`)));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.agent.destroy();
  }
}

/**
 * A write of the Lease `iotedge-k8s` (create, renewal, release): the bridge's heartbeat, one
 * every 10 s whatever the deployment (translator/leader/heartbeat.ts). It is not a write of the
 * deployment, and a window of a few seconds holds one or none depending on the phase of its
 * timer, so the write and request counts leave it out (and say how many they left out).
 */
/** One side of a step-4 sample: when it started, its wall time and the requests at the proxy. */
interface KubectlApply {
  t0: number;
  wall: number;
  requests: ApiRequest[];
  connections: number;
}

/** The bridge's side of a step-4 sample: push -> last write answered, and push -> reported 200. */
interface BridgeFirstApply extends KubectlApply {
  reported: number;
  startRequests: ApiRequest[];
  startConnections: number;
}

interface SideBySide {
  bridgeFirst: boolean;
  bridge: BridgeFirstApply;
  pipeline: KubectlApply;
  alone: KubectlApply;
}

function isHeartbeatWrite(r: ApiRequest): boolean {
  return WRITE_METHODS.has(r.method) && /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases(\/iotedge-k8s)?(\?|$)/.test(r.path);
}

function writesOf(requests: ApiRequest[]): ApiRequest[] {
  return requests.filter((r) => WRITE_METHODS.has(r.method));
}

/** "PATCH deployments: 3, GET pods: 1" style summary. */
/** "PATCH deployments", "GET pods (watch)": what a request did to which resource. */
function requestKey(r: ApiRequest): string {
  const path = r.path.split('?')[0]!;
  const parts = path.split('/').filter(Boolean);
  const nsAt = parts.indexOf('namespaces');
  const resource = nsAt >= 0 && parts.length > nsAt + 2 ? parts[nsAt + 2]! : nsAt >= 0 ? 'namespaces' : parts.slice(0, 3).join('/') || '/';
  return `${r.method} ${resource}${r.path.includes('watch=') ? ' (watch)' : ''}`;
}

function describeRequests(requests: ApiRequest[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(requestKey(r), (counts.get(requestKey(r)) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
}

/**
 * "PATCH serviceaccounts x50 0-210 ms (answered in p50 12 ms)": per kind of request, in order of
 * the first, when the first started and the last was answered (from `t0`), and the p50 of their
 * answer times.
 */
function describeTimeline(requests: ApiRequest[], t0: number): string {
  const groups = new Map<string, ApiRequest[]>();
  for (const r of [...requests].sort((a, b) => a.start - b.start)) groups.set(requestKey(r), [...(groups.get(requestKey(r)) ?? []), r]);
  return [...groups]
    .map(([key, rs]) => {
      const first = Math.min(...rs.map((r) => r.start)) - t0;
      const last = Math.max(...rs.map((r) => r.end ?? r.start)) - t0;
      const answered = rs.filter((r) => r.end !== undefined).map((r) => r.end! - r.start);
      return `${key} x${rs.length} ${ms(first)}-${ms(last)} (answered in p50 ${ms(percentile(answered, 50))})`;
    })
    .join('; ');
}

/** The p50 time the API took to answer the writes among `requests`. */
function writeAnswerP50(requests: ApiRequest[]): number {
  return percentile(writesOf(requests).flatMap((r) => (r.end === undefined ? [] : [r.end - r.start])), 50);
}

function byMethod(requests: ApiRequest[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(r.method, (counts.get(r.method) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
}

// ---------------------------------------------------------------------------------------------
// Floors of the hub side and of the cluster side

/**
 * A minimal IoT Hub device client (azure-iot-device over MQTT, the edge device's own twin, no
 * bridge): the floor of the hub's part of the latencies, measured the same way as the bridge's.
 */
class HubFloor {
  private twin?: Twin;
  private client?: DeviceClient;
  private count = 0;

  constructor(
    private readonly registry: Registry,
    private readonly deviceId: string,
  ) {}

  async start(connectionString: string, ca: string): Promise<void> {
    // The device's own identity, on the emulator's MQTT endpoint (its GatewayHostName), as the bridge's $edgeAgent.
    const client = deviceSdk.Client.fromConnectionString(connectionString, mqttTransport.Mqtt);
    this.client = client;
    await client.setOptions({ ca });
    await client.open();
    this.twin = await new Promise<Twin>((resolve, reject) => client.getTwin((err, twin) => (err || !twin ? reject(err ?? new Error('no twin')) : resolve(twin))));
    // The SDK subscribes to desired patches when the first listener is added, without telling
    // when the subscription holds: a patch set before it does never arrives (seen with the hub in
    // its own process, under load). Set patches until one arrives, before anything is timed.
    const value = ++this.count;
    const arrived = new Promise<void>((resolve) => {
      const listener = (patch: Json) => {
        if (patch?.benchFloor !== value) return;
        this.twin!.removeListener('properties.desired', listener);
        resolve();
      };
      this.twin!.on('properties.desired', listener);
    });
    let done = false;
    void arrived.then(() => (done = true));
    for (const t0 = performance.now(); !done; ) {
      if (performance.now() - t0 > 30_000) throw new BenchError('the floor client never received a desired patch after it subscribed');
      await this.registry.updateTwin(this.deviceId, { properties: { desired: { benchFloor: value } } }, '*');
      await Promise.race([arrived, sleep(1000)]);
    }
  }

  /** A reported patch sent by the device until `getTwin` (polled every POLL_MS) shows it. */
  async reported(): Promise<number> {
    const value = ++this.count;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => this.twin!.properties.reported.update({ benchFloor: value }, (err?: Error) => (err ? reject(err) : resolve())));
    for (;;) {
      const twin = (await this.registry.getTwin(this.deviceId)).responseBody as Json;
      if (twin.properties.reported.benchFloor === value) return performance.now() - t0;
      if (performance.now() - t0 > 30_000) throw new BenchError('the floor client\'s reported patch never showed at the hub');
      await sleep(POLL_MS);
    }
  }

  /** A desired patch set with the service SDK until the device receives it. */
  async desired(): Promise<number> {
    const value = ++this.count;
    const received = new Promise<number>((resolve) => {
      const listener = (patch: Json) => {
        if (patch?.benchFloor !== value) return;
        this.twin!.removeListener('properties.desired', listener);
        resolve(performance.now());
      };
      this.twin!.on('properties.desired', listener);
    });
    const t0 = performance.now();
    await this.registry.updateTwin(this.deviceId, { properties: { desired: { benchFloor: value } } }, '*');
    const at = await Promise.race([received, sleep(30_000).then(() => undefined)]);
    if (at === undefined) throw new BenchError('the floor client never received its desired patch');
    return at - t0;
  }

  async stop(): Promise<void> {
    await this.client?.close().catch(() => undefined);
  }
}

/**
 * The Deployments and Pods of a namespace, watched straight at the emulator (not through the
 * proxy): when the cluster first shows every module created by a round, by the rule the bridge
 * reports 200 with (translator/status/version-status.ts): its Deployment's rollout is neither
 * pending nor failed (`deploymentRollout` of the kind registry: the controller observed its
 * generation and has an updated replica), and the module has a running, undeleted pod of the
 * round's template. The bridge cannot report 200 before that.
 */
class ClusterWatch {
  private readonly objects = { Pod: new Map<string, Json>(), Deployment: new Map<string, Json>() };
  private waiters: { check: () => boolean; resolve: (at: number) => void }[] = [];
  private readonly aborts: AbortController[] = [];

  async start(kc: KubeConfig, namespace: string): Promise<void> {
    for (const [kind, path] of [
      ['Pod', `/api/v1/namespaces/${namespace}/pods`],
      ['Deployment', `/apis/apps/v1/namespaces/${namespace}/deployments`],
    ] as const) {
      const store = this.objects[kind];
      const abort = await new Watch(kc).watch(
        path,
        {},
        (type, object: Json) => {
          const at = performance.now();
          if (type === 'DELETED') store.delete(object.metadata.name);
          else store.set(object.metadata.name, object);
          this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(at), false) : true));
        },
        () => undefined,
      );
      this.aborts.push(abort);
    }
  }

  /** When modules 0..n-1 were first all created with BENCH_ROUND `round` (see the class comment). */
  settled(round: number, n: number): Promise<number> {
    const check = () => {
      const running = new Set<string>();
      for (const pod of this.objects.Pod.values()) {
        if (pod.metadata?.deletionTimestamp) continue;
        const env = (pod.spec?.containers?.[0]?.env ?? []) as { name: string; value?: string }[];
        if (!env.some((e) => e.name === 'BENCH_ROUND' && e.value === String(round))) continue;
        if (!(pod.status?.containerStatuses ?? []).some((c: Json) => c.state?.running)) continue;
        running.add(pod.metadata?.labels?.['net.azure-devices.edge.module'] ?? '');
      }
      for (let i = 0; i < n; i++) {
        const d = this.objects.Deployment.get(`module${i}`);
        if (!d || deploymentRollout(d) !== undefined) return false;
        if (!running.has(`module${i}`)) return false;
      }
      return true;
    };
    if (check()) return Promise.resolve(performance.now());
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  stop(): void {
    for (const abort of this.aborts) abort.abort();
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and output

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}

function p50p95(values: number[]): string {
  return `p50 ${ms(percentile(values, 50))}, p95 ${ms(percentile(values, 95))} (n=${values.length}, min ${ms(Math.min(...values))}, max ${ms(Math.max(...values))})`;
}

const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis));

// ---------------------------------------------------------------------------------------------
// The bench

class Bench {
  readonly dir = mkdtempSync(join(tmpdir(), 'iotedge-k8s-bench-'));
  kube!: KubeEmulatorProcess;
  /** Kubeconfig YAML of the emulator (straight to it, not through the proxy). */
  kubeconfig = '';
  hub!: HubEmulatorProcess;
  proxy!: CountingProxy;
  registry!: Registry;
  apps!: AppsV1Api;
  core!: CoreV1Api;
  kubeconfigPath = '';
  child?: ChildProcess;
  /** Checks that did not hold; the bench exits 1 when there is any. */
  readonly failures: string[] = [];
  /** The goals of issue 8 this run measured, each met or not (one not met is a failure). */
  readonly goals: { goal: string; met: boolean; measured: string }[] = [];
  hubFloor?: HubFloor;
  private bridgeLog = '';

  constructor(
    readonly rounds: number,
    /** The emulator and the proxy speak HTTPS (a TLS handshake per new connection, as on a real cluster). */
    readonly tls = false,
  ) {}

  async start(): Promise<void> {
    this.kube = await spawnKubeEmulator('kube', { tls: this.tls, timeFactor: TIME_FACTOR });
    this.kubeconfig = this.kube.kubeconfig!;
    this.hub = await spawnHubEmulator(this.dir, SERVICE_HOST);
    const kubeCaData = this.tls ? String((parse(this.kubeconfig) as Json).clusters[0].cluster['certificate-authority-data']) : undefined;
    this.proxy = new CountingProxy(this.kube.url, kubeCaData && Buffer.from(kubeCaData, 'base64').toString('utf8'));
    await this.proxy.start();
    this.kubeconfigPath = join(this.dir, 'kubeconfig-via-proxy');
    const viaProxy = parse(this.kubeconfig) as Json;
    viaProxy.clusters[0].cluster.server = this.proxy.url;
    // The proxy presents a certificate of its own CA.
    if (this.proxy.ca) viaProxy.clusters[0].cluster['certificate-authority-data'] = Buffer.from(this.proxy.ca).toString('base64');
    writeFileSync(this.kubeconfigPath, stringify(viaProxy), { mode: 0o600 });
    this.registry = trustHubCa(iothub.Registry.fromConnectionString(this.hub.serviceConnectionString), this.hub.caPem);
    // The bench's own client-node reads go straight to the emulator, so they never show in the proxy counts.
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfig);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async stop(): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      () => this.hubFloor?.stop() ?? Promise.resolve(),
      () => this.stopBridge(),
      () => this.proxy?.stop() ?? Promise.resolve(),
      () => this.hub?.stop() ?? Promise.resolve(),
      () => this.kube?.stop() ?? Promise.resolve(),
    ];
    for (const step of steps) await step().catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Starts the bridge as its own process (`node bin/iotedge-k8s.js run`, the compiled dist/), so
   * its work never shares the emulators' event loop; its ops server on OPS_PORT (each bench runs
   * in its own network namespace). Its stderr tail goes into timeout messages.
   */
  async startBridge(namespace: string): Promise<void> {
    if (this.child) throw new BenchError('a bridge process is already running');
    // BENCH_BRIDGE_LOG=FILE: the bridge logs at debug level into FILE (its timeline, for profiling).
    const logFile = process.env.BENCH_BRIDGE_LOG;
    // BENCH_BRIDGE_CPU_PROF=DIR: the bridge writes a V8 CPU profile into DIR when it stops.
    const profDir = process.env.BENCH_BRIDGE_CPU_PROF;
    const { child } = spawnBridge({
      ...this.bridgeOptions(namespace),
      opsPort: OPS_PORT,
      logLevel: logFile ? 'debug' : 'warn',
      nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
      onStderr: (d) => {
        this.bridgeLog = (this.bridgeLog + d.toString()).slice(-4000);
        if (logFile) appendFileSync(logFile, d);
      },
    });
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.child === child) this.bridgeLog += `\n(the bridge process exited: ${code ?? signal})`;
    });
  }

  /** How the bench runs the bridge: the compiled bin against the emulators through the proxy. */
  private bridgeOptions(namespace: string) {
    return { entry: ['bin/iotedge-k8s.js'], kubeconfig: this.kubeconfigPath, connectionString: this.hub.edgeAgentConnectionString, ca: this.hub.caFile!, namespace, cwd: repoRoot };
  }

  async stopBridge(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await stopProcess(child);
  }

  /** Pushes `content`; the push start time and the new desired $version. */
  async push(content: Json): Promise<{ t0: number; version: number }> {
    const t0 = performance.now();
    await this.registry.applyConfigurationContentOnDevice(this.hub.deviceId, content);
    const twin = (await this.registry.getModuleTwin(this.hub.deviceId, '$edgeAgent')).responseBody as Json;
    return { t0, version: twin.properties.desired.$version };
  }

  /** Polls the reported twin every POLL_MS until `check` returns a value; that value and when it was seen. */
  async pollReported<T>(what: string, check: (reported: Json) => T | undefined, timeoutMs = 90_000): Promise<{ value: T; at: number }> {
    const deadline = performance.now() + timeoutMs;
    let last: Json;
    for (;;) {
      const twin = (await this.registry.getModuleTwin(this.hub.deviceId, '$edgeAgent')).responseBody as Json;
      last = twin.properties.reported;
      const value = check(last);
      if (value !== undefined) return { value, at: performance.now() };
      if (performance.now() > deadline) {
        const status = last?.lastDesiredStatus ? ` (reported lastDesiredVersion ${last.lastDesiredVersion}, status ${JSON.stringify(last.lastDesiredStatus)})` : '';
        throw new BenchError(`timed out after ${timeoutMs} ms waiting for ${what}${status}${this.bridgeLog ? `; bridge log tail: ${this.bridgeLog.slice(-600)}` : ''}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** Waits until `version` is reported applied with status 200. */
  applied(version: number): Promise<{ value: true; at: number }> {
    return this.pollReported(`lastDesiredVersion ${version} with status 200`, (r) => {
      if (r?.lastDesiredVersion !== version) return undefined;
      if (r.lastDesiredStatus?.code !== 200) throw new BenchError(`version ${version} was reported with ${JSON.stringify(r.lastDesiredStatus)}`);
      return true;
    });
  }

  /** A counter of the bridge process's /metrics summed over its labels (iotedge_k8s_api_writes_total: kinds and verbs; iotedge_k8s_reconciles_total: outcomes). */
  async metricSum(name: 'iotedge_k8s_api_writes_total' | 'iotedge_k8s_reconciles_total'): Promise<number> {
    if (!this.child) throw new BenchError('no bridge process is running');
    const text = await (await fetch(`http://127.0.0.1:${OPS_PORT}/metrics`)).text();
    let total = 0;
    for (const [, n] of text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'gm'))) total += Number(n);
    return total;
  }

  /** Records a goal's verdict; one not met fails the bench. */
  goal(goal: string, met: boolean, measured: string): void {
    this.goals.push({ goal, met, measured });
    if (!met) this.failures.push(`goal not met: ${goal} (${measured})`);
  }

  // -------------------------------------------------------------------------------------------
  // 1. push-to-applied latency

  async latency(namespace: string, n: number): Promise<void> {
    // Warm-up: the first apply of this size (creates the objects), not measured.
    const w0 = performance.now();
    const first = await this.push(deploymentContent(n, 0));
    await this.applied(first.version);
    await this.quiet(namespace);
    // The floor's namespace starts where the bridge's is: the warm-up's writes, replayed.
    const floorNs = `${namespace}-floor-${n}`;
    await this.core.createNamespace({ body: { metadata: { name: floorNs } } });
    await this.replay(writesOf(this.proxy.since(w0, namespace)), namespace, floorNs, 8);
    const pods = new ClusterWatch();
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfig);
    await pods.start(kc, namespace);
    // The same watches on the floor's namespace, so the emulator sends both sides the bench's watch events alike.
    const floorPods = new ClusterWatch();
    await floorPods.start(kc, floorNs);
    const hubFloor = this.hubFloor!;
    const s = {
      firstWrite: [] as number[],
      kube: [] as number[],
      hub: [] as number[],
      afterWrite: [] as number[],
      settle: [] as number[],
      up: [] as number[],
      down: [] as number[],
      floor: [] as number[],
      floor8: [] as number[],
      floorAfterWrite: [] as number[],
      floorHub: [] as number[],
    };
    const writes: number[] = [];
    /** TCP connections the bridge opened per round, from the push to the last write answered. */
    const connections: number[] = [];
    /** Reconcile passes per round, from the push until the next round starts (the rollout's pods come and go meanwhile). */
    const reconciles: number[] = [];
    let reconcilesAtPush: number | undefined;
    let lastRound: ApiRequest[] = [];
    try {
      for (let round = 1; round <= this.rounds + 1; round++) {
        await this.rest(namespace); // and the link is idle: no reported patch in the last second
        const reconcilesNow = await this.metricSum('iotedge_k8s_reconciles_total');
        if (reconcilesAtPush !== undefined) reconciles.push(reconcilesNow - reconcilesAtPush);
        if (round > this.rounds) break; // only the last round's reconciles to count
        reconcilesAtPush = reconcilesNow;
        const settled = pods.settled(round, n);
        const { t0, version } = await this.push(deploymentContent(n, round));
        const { at } = await this.applied(version);
        await this.quiet(namespace, 300);
        const roundWrites = writesOf(this.proxy.since(t0, namespace));
        const deploymentWrites = roundWrites.filter((w) => w.path.includes('/deployments/')).length;
        if (deploymentWrites < n) throw new BenchError(`round ${round}: ${n} modules changed but only ${deploymentWrites} Deployment writes reached the API before the version was reported`);
        lastRound = roundWrites;
        const lastWrite = Math.max(...roundWrites.map((w) => w.end ?? at));
        const settledAt = await Promise.race([settled, sleep(30_000).then(() => Number.NaN)]);
        if (Number.isNaN(settledAt)) throw new BenchError(`round ${round}: the cluster never showed every module of the round created`);
        s.firstWrite.push(Math.min(...roundWrites.map((w) => w.start)) - t0);
        s.kube.push(lastWrite - t0);
        s.hub.push(at - t0);
        s.afterWrite.push(at - lastWrite);
        writes.push(roundWrites.length);
        connections.push(this.proxy.connectionsBetween(t0, lastWrite));
        // The floors: the same writes (same objects, same change) sent by a minimal client to a
        // twin namespace holding the previous round's state, back to back and 8 in flight; the
        // cluster's own time from the last write until the round's pods run; the hub's time for a
        // minimal device client's reported patch (and desired patch) measured the same way.
        // Each replay starts from rest, as the bridge's round did: the rollouts of the round (or of
        // the replay before) finished, so the floor does not carry their work.
        await this.rest(namespace, floorNs);
        s.floor.push(await this.replay(roundWrites, namespace, floorNs, 1));
        await this.rest(namespace, floorNs);
        s.floor8.push(await this.replayFresh(round, namespace, floorNs, roundWrites));
        const settle = Math.max(0, settledAt - lastWrite);
        const up = await hubFloor.reported();
        const down = await hubFloor.desired();
        s.settle.push(settle);
        s.up.push(up);
        s.down.push(down);
        s.floorAfterWrite.push(settle + up);
        s.floorHub.push(down + s.floor[s.floor.length - 1]! + settle + up);
      }
    } finally {
      pods.stop();
      floorPods.stop();
    }
    const p50 = (v: number[]) => percentile(v, 50);
    const ratio = (a: number[], b: number[]) => p50(a) / p50(b);
    const label = `${String(n).padStart(2)} modules`;
    const pair = (v: number[]) => `p50 ${ms(p50(v))}, p95 ${ms(percentile(v, 95))}`;
    console.log(`  ${label}, push -> first write sent:                 ${p50p95(s.firstWrite)}; floor (hub -> device desired patch, minimal device client) ${pair(s.down)}`);
    console.log(`  ${label}, push -> last write answered by the API:   ${p50p95(s.kube)}`);
    console.log(`  ${label},   floor: the same ${writes[0]} writes back to back:  ${p50p95(s.floor)}`);
    console.log(`  ${label},   floor: the same writes, 8 in flight:     ${p50p95(s.floor8)}`);
    console.log(`  ${label},   ratio to the floor (p50): ${ratio(s.kube, s.floor).toFixed(2)}x back to back, ${ratio(s.kube, s.floor8).toFixed(2)}x 8 in flight`);
    console.log(`  ${label}, last write answered -> reported 200:      ${p50p95(s.afterWrite)}`);
    console.log(`  ${label},   floor: the cluster shows every module created, after the last write ${pair(s.settle)} + a reported patch at the hub ${pair(s.up)} = ${pair(s.floorAfterWrite)}`);
    console.log(`  ${label},   the bridge's share (p50 over the floor's p50): ${ms(p50(s.afterWrite) - p50(s.floorAfterWrite))}`);
    console.log(`  ${label}, push -> reported lastDesiredVersion + 200: ${p50p95(s.hub)}`);
    console.log(`  ${label},   floor: desired patch + writes back to back + modules created + reported patch: ${pair(s.floorHub)}; ratio (p50) ${ratio(s.hub, s.floorHub).toFixed(2)}x`);
    console.log(`  ${label}, API writes per round: ${[...new Set(writes)].join('/')}; last round: ${describeRequests(lastRound)}`);
    console.log(`  ${label}, reconcile passes per round (iotedge_k8s_reconciles_total, push to the next round's start): ${reconciles.join(', ')}`);
    console.log(`  ${label}, TCP connections the bridge opened per round (at the proxy, push -> last write answered): ${connections.join(', ')}`);
    // Its writes go out at most 8 at a time over reused connections, so a round opens at most 8 (before connection reuse: one per write).
    if (connections.some((c) => c > 8)) this.failures.push(`${label}: TCP connections opened per round ${connections.join(', ')} (expected at most 8: the bridge reuses connections)`);
    // The push's own pass; the rollout's pods coming and going must not add passes with nothing to write.
    if (reconciles.some((r) => r !== 1)) this.failures.push(`${label}: reconcile passes per round ${reconciles.join(', ')} (expected 1 each: the push's)`);
    this.goal(`push -> applied, ${n} modules: push -> last write answered <= 1.3x the floor (the same writes back to back), p50`, ratio(s.kube, s.floor) <= 1.3, `${ratio(s.kube, s.floor).toFixed(2)}x: ${ms(p50(s.kube))} vs ${ms(p50(s.floor))}`);
    const share = p50(s.afterWrite) - p50(s.floorAfterWrite);
    this.goal(
      `push -> reported, ${n} modules: the bridge's share of last write -> reported 200 (p50 minus its floor's p50) <= 100 ms`,
      share <= 100,
      `${ms(share)}: ${ms(p50(s.afterWrite))} - ${ms(p50(s.floorAfterWrite))}`,
    );
    this.goal(`push -> reported, ${n} modules: reported 200 <= 100 ms after the last write answered (idle link), p50`, p50(s.afterWrite) <= 100, `${ms(p50(s.afterWrite))} (floor ${ms(p50(s.floorAfterWrite))}: the cluster shows the modules created ${ms(p50(s.settle))} after the last write, a reported patch takes ${ms(p50(s.up))})`);
  }

  /**
   * The floor with 8 in flight: the round's writes with the env value of a further round, so
   * they change the objects as the bridge's did (identical bodies would be no-ops).
   */
  private async replayFresh(round: number, from: string, to: string, roundWrites: ApiRequest[]): Promise<number> {
    const next = `${round}.5`;
    const changed = roundWrites.map((w) => ({ ...w, body: w.body && Buffer.from(w.body.toString('utf8').replaceAll(`"BENCH_ROUND","value":"${round}"`, `"BENCH_ROUND","value":"${next}"`)) }));
    return this.replay(changed, from, to, 8);
  }

  /**
   * Sends `writes` (recorded at the proxy) again through the same proxy to the emulator, with
   * namespace `from` replaced by `to`, `concurrency` at a time, while the hub is polled as during
   * the bridge's rounds (so both sides carry the same bench load); the wall time from the first
   * send to the last answer. A minimal client: node:http(s) with keep-alive, nothing else.
   */
  async replay(writes: ApiRequest[], from: string, to: string, concurrency: number): Promise<number> {
    const agent = this.proxy.clientAgent({ keepAlive: true, maxSockets: concurrency });
    const target = new URL(this.proxy.url);
    const stopPolling = this.hubLoad();
    const send = (w: ApiRequest) =>
      new Promise<void>((resolve, reject) => {
        const body = Buffer.from((w.body ?? Buffer.alloc(0)).toString('utf8').replaceAll(`"namespace":"${from}"`, `"namespace":"${to}"`));
        const req = this.proxy.request(
          { host: target.hostname, port: target.port, method: w.method, path: w.path.replace(`/namespaces/${from}/`, `/namespaces/${to}/`), agent, headers: { 'content-type': w.contentType ?? 'application/json', 'content-length': body.length } },
          (res) => {
            res.resume();
            res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new BenchError(`floor ${w.method} ${w.path}: ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, writes.length) }, async () => {
        while (next < writes.length) await send(writes[next++]!);
      }),
    );
    const wall = performance.now() - started;
    await stopPolling();
    agent.destroy();
    return wall;
  }

  /**
   * The wall time of `step` (a kubectl run) under {@link hubLoad}, as the bridge's first apply is
   * timed while the bench polls for its reported 200.
   */
  async timedUnderHubLoad(step: () => Promise<unknown>): Promise<number> {
    const stopPolling = this.hubLoad();
    const started = performance.now();
    try {
      await step();
      return performance.now() - started;
    } finally {
      await stopPolling();
    }
  }

  /**
   * The bench load a bridge's timed step carries: the reported twin polled every POLL_MS (the
   * hub emulator's process answers the polls while the cluster works on the same cores). A
   * floor or a kubectl run measured beside the bridge carries it too; the returned function stops it.
   */
  hubLoad(): () => Promise<void> {
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await this.registry.getModuleTwin(this.hub.deviceId, '$edgeAgent');
        await sleep(POLL_MS);
      }
    })();
    return () => {
      polling = false;
      return poller;
    };
  }

  // -------------------------------------------------------------------------------------------
  // 2. writes for a no-op resync and a one-module change

  async writes(namespace: string): Promise<void> {
    const base = deploymentContent(50, this.rounds);
    const cases: { label: string; content: Json; expected: number }[] = [
      // Different bytes, same deployment: IoT Hub gives it a new $version, so the bridge runs.
      { label: 'no-op (same content, new $version: module0 createOptions re-spaced)', content: deploymentContent(50, this.rounds, undefined, 1), expected: 0 },
      { label: 'no-op again (re-spaced back, another $version)', content: base, expected: 0 },
      // The module's Deployment, and the last-good Secret that a changed deployment rewrites.
      { label: 'one-module change among 50 (env of module7)', content: deploymentContent(50, this.rounds, { module: 7, value: 'changed' }), expected: 2 },
    ];
    const twin = (await this.registry.getModuleTwin(this.hub.deviceId, '$edgeAgent')).responseBody as Json;
    let previousVersion = twin.properties.desired.$version as number;
    for (const c of cases) {
      await this.rest(namespace);
      const metricBefore = await this.metricSum('iotedge_k8s_api_writes_total');
      const { t0, version } = await this.push(c.content);
      if (version <= previousVersion) {
        this.failures.push(`${c.label}: the hub kept $version ${previousVersion}, so the bridge never ran`);
        console.log(`  ${c.label}: the hub kept $version ${previousVersion}: the bridge does not run, nothing is measured (FAILED)`);
        continue;
      }
      previousVersion = version;
      // The bridge ran: it reports the new version (applied, 200).
      await this.applied(version);
      await sleep(1000); // anything a reconcile still writes after reporting would show here
      const seen = writesOf(this.proxy.since(t0, namespace));
      const all = this.proxy.since(t0, namespace);
      const metric = (await this.metricSum('iotedge_k8s_api_writes_total')) - metricBefore;
      const ok = seen.length === c.expected && metric === c.expected;
      if (!ok) this.failures.push(`${c.label}: ${seen.length} writes (expected ${c.expected})`);
      const verdict = ok ? 'as expected' : `differs from the expected ${c.expected} (FAILED)`;
      const heartbeats = this.proxy.heartbeatWrites(t0, namespace).length;
      console.log(`  ${c.label}: reported lastDesiredVersion ${version}; ${seen.length} writes at the proxy (${describeRequests(seen)}), ${all.length} requests in all (${heartbeats} heartbeat Lease writes left out), ${metric} writes in /metrics: ${verdict}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // 3. pod status change -> reported at the hub

  async statusLatency(namespace: string): Promise<void> {
    const moduleName = 'module3';
    const image = imageOf(3);
    const deployment = await this.apps.readNamespacedDeployment({ name: moduleName, namespace });
    const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    if (!selector) throw new BenchError(`Deployment ${moduleName} has no selector`);
    const samples: Record<string, number[]> = { 'running -> crashing': [], 'crashing -> running': [] };
    const seen: Record<string, Set<string>> = { 'running -> crashing': new Set(), 'crashing -> running': new Set() };
    await this.pollReported(`${moduleName} running`, (r) => (r?.modules?.[moduleName]?.runtimeStatus === 'running' ? true : undefined));
    for (let round = 0; round < this.rounds; round++) {
      for (const [label, behaviour] of [
        ['running -> crashing', { kind: 'crash', code: 2, afterMs: 0 }],
        ['crashing -> running', { kind: 'run' }],
      ] as const) {
        await sleep(1100); // the reported-patch rate limit (1/s) starts each sample from rest
        const before = (await this.pollReported(`${moduleName} reported`, (r) => r?.modules?.[moduleName]?.runtimeStatus as string | undefined)).value;
        await this.kube.setImage(image, behaviour);
        const pods = await this.core.listNamespacedPod({ namespace, labelSelector: selector });
        const t0 = performance.now();
        for (const pod of pods.items) await this.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace });
        const wanted = label === 'crashing -> running' ? (s: string) => s === 'running' : (s: string) => s !== before && s !== 'running';
        const { value, at } = await this.pollReported(`${moduleName} ${label}`, (r) => {
          const s = r?.modules?.[moduleName]?.runtimeStatus as string | undefined;
          return s !== undefined && wanted(s) ? s : undefined;
        });
        samples[label]!.push(at - t0);
        seen[label]!.add(`${before} -> ${value}`);
      }
    }
    for (const [label, values] of Object.entries(samples)) {
      console.log(`  ${label.padEnd(20)} (pod deleted -> runtimeStatus at the hub): ${p50p95(values)}; reported ${[...seen[label]!].join(', ')}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // 4. the bridge vs translate | kubectl apply --server-side

  /**
   * `samples` first applies of 50 modules by each side, each into fresh namespaces. The side that
   * goes first alternates (the bridge in odd samples, kubectl in even ones): whichever meets the
   * emulator process first meets its code cold, and a lone sample favoured kubectl. The goals are
   * judged on the median over the samples of each sample's ratio.
   */
  async sideBySide(samples: number): Promise<void> {
    const emptyFile = join(this.dir, 'empty.json');
    const fullFile = join(this.dir, 'full.json');
    writeFileSync(emptyFile, JSON.stringify(deploymentContent(0, 0)));
    writeFileSync(fullFile, JSON.stringify(deploymentContent(50, 1)));
    const objects = (JSON.parse(await this.shell(`node bin/iotedge-k8s.js translate ${fullFile} --namespace x -o json`)) as Json).items.length as number;
    const emptyObjects = (JSON.parse(await this.shell(`node bin/iotedge-k8s.js translate ${emptyFile} --namespace x -o json`)) as Json).items.length as number;
    console.log(`  translate gives ${objects} objects for 50 modules, ${emptyObjects} for the empty deployment already in place; ${samples} samples, the side that goes first alternating`);

    const results: SideBySide[] = [];
    for (let sample = 1; sample <= samples; sample++) {
      const bridgeFirst = sample % 2 === 1;
      const bridgeSide = () => this.bridgeFirstApply(`bench-sbs-bridge-${sample}`);
      const early = bridgeFirst ? await bridgeSide() : undefined;
      const pipeline = await this.kubectlFirstApply(`bench-sbs-kubectl-${sample}`, emptyFile, fullFile, true);
      const alone = await this.kubectlFirstApply(`bench-sbs-kubectl-only-${sample}`, emptyFile, fullFile, false);
      const r: SideBySide = { bridgeFirst, bridge: early ?? (await bridgeSide()), pipeline, alone };
      results.push(r);
      // The namespaces go before the next sample, so every sample meets a cluster of the same size.
      if (sample < samples) await this.dropNamespaces([`bench-sbs-bridge-${sample}`, `bench-sbs-kubectl-${sample}`, `bench-sbs-kubectl-only-${sample}`]);
      console.log(
        `  sample ${sample} (${bridgeFirst ? 'bridge' : 'kubectl'} first): bridge push -> last write ${ms(r.bridge.wall)} (reported 200 ${ms(r.bridge.reported)}), ${r.bridge.requests.length} requests, writes answered in p50 ${ms(writeAnswerP50(r.bridge.requests))} (8 in flight); translate | kubectl ${ms(pipeline.wall)}, ${pipeline.requests.length} requests, p50 ${ms(writeAnswerP50(pipeline.requests))} (one at a time); kubectl alone ${ms(alone.wall)}; ratio pipeline / bridge ${(pipeline.wall / r.bridge.wall).toFixed(2)}x`,
      );
    }

    // The last sample in detail.
    const last = results[results.length - 1]!;
    const { bridge, pipeline, alone } = last;
    console.log(`  last sample in detail:`);
    console.log(`  bridge:  push -> last write answered ${ms(bridge.wall)}; push -> reported 200 ${ms(bridge.reported)}; ${bridge.requests.length} API requests (${byMethod(bridge.requests)}); ${bridge.connections} new TCP connections (${bridge.startConnections} during its start-up)`);
    console.log(`  translate | kubectl apply --server-side -f -: ${ms(pipeline.wall)} wall; ${pipeline.requests.length} API requests (${byMethod(pipeline.requests)}); ${pipeline.connections} TCP connections`);
    console.log(`  kubectl apply --server-side -f FILE alone: ${ms(alone.wall)} wall; ${alone.requests.length} API requests (${byMethod(alone.requests)})`);
    console.log(`  bridge requests by resource: ${describeRequests(bridge.requests)}`);
    console.log(`  bridge timeline from the push: ${describeTimeline(bridge.requests, bridge.t0)}`);
    console.log(`  kubectl timeline: ${describeTimeline(pipeline.requests, pipeline.t0)}`);
    console.log(
      `  bridge start-up, once per process (lists and watches of the informer cache, namespace, last good, the empty deployment): ${bridge.startRequests.length} requests (${describeRequests(bridge.startRequests)})`,
    );
    console.log(`  bridge start-up + first apply of 50 modules: ${bridge.startRequests.length + bridge.requests.length} requests vs ${pipeline.requests.length} for translate | kubectl`);

    const median = (values: number[]) => percentile(values, 50);
    const pipelineRatios = results.map((r) => r.pipeline.wall / r.bridge.wall);
    const aloneRatios = results.map((r) => r.alone.wall / r.bridge.wall);
    const reportedRatios = results.map((r) => r.pipeline.wall / r.bridge.reported);
    const list = (values: number[]) => values.map((v) => `${v.toFixed(2)}x`).join(', ');
    console.log(`  ratio kubectl pipeline / bridge (push -> last write), per sample: ${list(pipelineRatios)}; median ${median(pipelineRatios).toFixed(2)}x`);
    console.log(`  ratio kubectl pipeline / bridge (push -> reported 200), per sample: ${list(reportedRatios)}; median ${median(reportedRatios).toFixed(2)}x`);
    console.log(`  ratio kubectl alone / bridge (push -> last write), per sample: ${list(aloneRatios)}; median ${median(aloneRatios).toFixed(2)}x`);
    const most = Math.max(...results.map((r) => r.bridge.requests.length));
    const fewest = Math.min(...results.map((r) => r.pipeline.requests.length));
    this.goal(
      `first apply of 50 modules: translate | kubectl apply --server-side takes >= 5x the bridge (push -> last write answered), median of ${samples} samples`,
      median(pipelineRatios) >= 5,
      `${median(pipelineRatios).toFixed(2)}x: ${ms(median(results.map((r) => r.pipeline.wall)))} vs ${ms(median(results.map((r) => r.bridge.wall)))} (medians; per sample ${list(pipelineRatios)})`,
    );
    this.goal(
      'first apply of 50 modules: no more API requests than kubectl, in every sample',
      most <= fewest,
      `at most ${most} vs at least ${fewest} (with the bridge's once-per-process start-up: ${bridge.startRequests.length + bridge.requests.length})`,
    );
  }

  /** Deletes the namespaces, waits until the API no longer has them, then for a quiet proxy. */
  async dropNamespaces(names: string[]): Promise<void> {
    for (const name of names) await this.core.deleteNamespace({ name });
    const deadline = performance.now() + 60_000;
    for (const name of names) {
      for (;;) {
        try {
          await this.core.readNamespace({ name });
        } catch (e) {
          if ((e as { code?: number }).code === 404) break;
          throw e;
        }
        if (performance.now() > deadline) throw new BenchError(`namespace ${name} still there 60 s after its deletion`);
        await sleep(50);
      }
    }
    await sleep(1100);
  }

  /**
   * The bridge's first apply of 50 modules: a fresh bridge process in a fresh namespace that first
   * runs an empty deployment (edgeHub only, pushed before the bridge starts, so the namespace never
   * holds the 50 modules before t0); then the 50 modules are pushed. The bridge is stopped after,
   * so nothing else talks to the API while kubectl runs.
   */
  async bridgeFirstApply(namespace: string): Promise<BridgeFirstApply> {
    const e = await this.push(deploymentContent(0, 0));
    const s0 = performance.now();
    await this.startBridge(namespace);
    await this.applied(e.version);
    await this.quiet(namespace);
    const { t0, version } = await this.push(deploymentContent(50, 1));
    const { at } = await this.applied(version);
    await sleep(1000);
    const requests = this.proxy.since(t0).filter((r) => r.start <= at + 1000);
    const writes = writesOf(requests);
    const result: BridgeFirstApply = {
      t0,
      wall: Math.max(...writes.map((w) => w.end ?? at)) - t0,
      reported: at - t0,
      requests,
      startRequests: this.proxy.since(s0).filter((r) => r.start < t0),
      connections: this.proxy.connectionsBetween(t0, at + 1000),
      startConnections: this.proxy.connectionsBetween(s0, t0),
    };
    await this.stopBridge();
    return result;
  }

  /**
   * kubectl's first apply of the same 50 modules into a fresh namespace that first holds the
   * empty deployment's objects: `translate | kubectl apply --server-side -f -` as one timed shell
   * command (pipefail: either side failing fails it), or (`pipeline` false) kubectl alone on YAML
   * translated beforehand, which takes the translate step's Node start-up out. Both run under the
   * bench's hub polling, as the bridge's side does.
   */
  async kubectlFirstApply(namespace: string, emptyFile: string, fullFile: string, pipeline: boolean): Promise<KubectlApply> {
    const translate = (file: string) => `node bin/iotedge-k8s.js translate ${file} --namespace ${namespace} --device-id ${this.hub.deviceId} --hub ${this.hub.hostName}`;
    const kubectl = `/usr/bin/kubectl --kubeconfig ${this.kubeconfigPath} apply --server-side`;
    await this.core.createNamespace({ body: { metadata: { name: namespace } } });
    await this.shell(`set -o pipefail; ${translate(emptyFile)} | ${kubectl} -f -`);
    let command = `set -o pipefail; ${translate(fullFile)} | ${kubectl} -f -`;
    if (!pipeline) {
      const yamlFile = join(this.dir, `${namespace}.yaml`);
      writeFileSync(yamlFile, await this.shell(translate(fullFile)));
      command = `${kubectl} -f ${yamlFile}`;
    }
    const t0 = performance.now();
    const wall = await this.timedUnderHubLoad(() => this.shell(command));
    return { t0, wall, requests: this.proxy.since(t0), connections: this.proxy.connectionsBetween(t0, performance.now()) };
  }

  /**
   * Rest before a timed sample: 1.1 s (the emulator's controllers finish a rollout's remaining
   * work, such as old pods' termination, well within it at timeFactor 0.01), then no write under
   * any of `namespaces` at the proxy for 1.1 s.
   */
  async rest(...namespaces: string[]): Promise<void> {
    await sleep(1100);
    for (const ns of namespaces) await this.quiet(ns);
  }

  /** Waits until no write under namespace `ns` has reached the proxy for `millis`. */
  async quiet(ns: string, millis = 1100): Promise<void> {
    for (;;) {
      const last = Math.max(0, ...writesOf(this.proxy.since(0, ns)).map((r) => r.end ?? r.start));
      const idle = performance.now() - last;
      if (idle >= millis) return;
      await sleep(millis - idle);
    }
  }

  /** Runs `command` with sh in the repo root; its stdout, or a BenchError with its stderr. */
  shell(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', command], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new BenchError(`'${command.slice(0, 80)}...' exited with ${code}: ${err.trim()}`))));
    });
  }

  // -------------------------------------------------------------------------------------------
  // 5. resident memory of the bridge as its own process

  async memory(): Promise<void> {
    const namespace = 'bench-rss';
    const empty = await this.push(deploymentContent(0, 0));
    const bridge = spawnBridge(this.bridgeOptions(namespace));
    this.child = bridge.child;
    const { child, pid } = bridge;
    /** Waits until `version` is reported with `modules` modules, all running, by the child. */
    const running = async (version: number, modules: number) => {
      try {
        await this.pollReported(`${modules} modules running from the bridge process`, (r) => {
          if (child.exitCode !== null) throw new BenchError(`the bridge process exited with ${child.exitCode}`);
          return runsVersion(r, version, modules) ? true : undefined;
        });
      } catch (e) {
        const log = bridge.stderrTail();
        throw new BenchError(`${(e as Error).message}${log ? `; bridge process stderr: ${log}` : ''}`);
      }
    };
    /** VmRSS sampled once a second for 5 s, in KiB. */
    const sampleRss = () => bridge.rssSamples();
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

    await running(empty.version, 0);
    const idle = await sampleRss();
    const full = await this.push(deploymentContent(50, 3));
    await running(full.version, 50);
    const loaded = await sampleRss();
    const hwm = bridge.statusKiB('VmHWM');
    console.log(`  bridge process (pid ${pid}, node bin/iotedge-k8s.js run: the compiled JavaScript in dist/)`);
    console.log(`  VmRSS, empty deployment (edgeHub only):  median ${mib(percentile(idle, 50))} over 5 s`);
    console.log(`  VmRSS, 50 modules reported running:      median ${mib(percentile(loaded, 50))} over 5 s (max ${mib(Math.max(...loaded))}); VmHWM (peak) ${mib(hwm)}`);
    console.log(`  50 modules add ${mib(percentile(loaded, 50) - percentile(idle, 50))}`);
    console.log('  (read from /proc/<pid>/status of the separate process; the in-process bridges of 1-4 share the bench process and are not used for this)');
    await this.stopBridge();
  }
}

/** The sections to run (`--only a,b`); all by default. */
function parseOnly(argv: string[]): (section: string) => boolean {
  const at = argv.indexOf('--only');
  if (at < 0) return () => true;
  const wanted = new Set((argv[at + 1] ?? '').split(','));
  return (section) => wanted.has(section);
}

async function main(): Promise<number> {
  const rounds = positiveInt(process.argv, '--rounds', 10);
  const only = parseOnly(process.argv);
  const bench = new Bench(rounds, process.argv.includes('--tls'));
  const started = performance.now();
  try {
    await bench.start();
    console.log(`bench/bridge: node ${process.version}, ${rounds} rounds, kube and hub emulators in processes of their own, timeFactor ${TIME_FACTOR} (${bench.tls ? 'HTTPS' : 'plain HTTP'}, behind a counting proxy), hub service host ${SERVICE_HOST}`);
    console.log(`reported twin polled with Registry.getModuleTwin every ${POLL_MS} ms; the bridge runs as its own process (node bin/iotedge-k8s.js run: the compiled dist/)`);
    console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start`);

    const ns = 'bench-device';
    if (only('latency') || only('writes') || only('status')) {
      await bench.startBridge(ns);
      if (only('latency')) {
        bench.hubFloor = new HubFloor(bench.registry, bench.hub.deviceId);
        await bench.hubFloor.start(bench.hub.deviceConnectionString, bench.hub.caPem);
        console.log('\n1. push-to-applied latency, every module\'s env changed each round (first apply not measured); floor beside it');
        await bench.latency(ns, 10);
        await bench.latency(ns, 50);
      }
      if (only('writes')) {
        console.log('\n2. API writes (counted at the proxy by method, cross-checked with iotedge_k8s_api_writes_total)');
        if (!only('latency')) await bench.applied((await bench.push(deploymentContent(50, rounds))).version);
        await bench.writes(ns);
      }
      if (only('status')) {
        console.log('\n3. pod status change -> reported runtimeStatus visible at the hub (image made to crash / run again in the catalog, pod deleted)');
        if (!only('latency') && !only('writes')) await bench.applied((await bench.push(deploymentContent(50, rounds))).version);
        await bench.statusLatency(ns);
      }
      await bench.stopBridge();
    }

    if (only('sbs')) {
      console.log('\n4. 50-module deployment, side by side on the same emulator, fresh namespaces (each first holds an empty deployment)');
      // How many first applies step 4 measures on each side.
      await bench.sideBySide(positiveInt(process.argv, '--sbs-samples', 7));
    }

    if (only('memory')) {
      console.log('\n5. resident memory of the bridge as a separate process with 50 modules');
      await bench.memory();
    }
    printGoals(bench);
    console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
    if (bench.failures.length > 0) {
      console.log(`FAILED checks:\n  ${bench.failures.join('\n  ')}`);
      return 1;
    }
    return 0;
  } catch (error) {
    printGoals(bench); // what was measured before the step that failed
    throw error;
  } finally {
    await bench.stop();
  }
}

function printGoals(bench: Bench): void {
  if (bench.goals.length === 0) return;
  console.log('\nGoals (issue 8):');
  for (const g of bench.goals) console.log(`  ${g.met ? 'MET    ' : 'NOT MET'} ${g.goal}: ${g.measured}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench/bridge failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
