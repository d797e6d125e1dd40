/**
 * `iotedge-k8s run`: the composition root of the bridge. It picks the cluster, the desired
 * source (the device's `$edgeAgent` twin or local files) and the sinks of the reports (the
 * source, metrics, the terminal table), wires them to one {@link Bridge} and starts the
 * operations server. `--sandbox` first starts both emulators (loaded lazily) and, with
 * `--manifest`, pushes the manifest through the sandbox IoT Hub as a real deployment would.
 * With the device connection string, module identities and credentials are wired in through
 * `./identities.ts` (the bridge's preparePass hook). The Lease `iotedge-k8s` says the bridge is
 * alive: the elector's with --leader-elect, else a heartbeat (translator/leader/heartbeat.ts).
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Bridge } from '../bridge/index.js';
import { KubeConfigLoader, closeConnections, type KubeConfig } from '../kube/index.js';
import type { DeviceIdentities } from '../identities/index.js';
import type { ObjectReader } from '../kinds/index.js';
import { loadManifest, ManifestLoadError, type DeploymentContent } from '../manifest/index.js';
import { Heartbeat, KubeLeaseStore, LEASE_NAME, LeaderElector, fenceWrites, holderIdentity } from '../leader/index.js';
import { Methods } from '../methods/index.js';
import { BridgeMetrics, LogRing, allReady, createLogger, levelLog, startOpsServer, type KeptLogLine, type LogLevel, type OpsServer, type ReadinessCheck } from '../ops/index.js';
import { CONNECTION_STRING_ENV, FilesSource, TwinSource, connectionStringDevice, manifestFiles, type DesiredSource, type ManifestFiles, type SourceDevice } from '../sources/index.js';
import { RUNTIME_STATUSES, type ReportedDocument } from '../status/index.js';
import type { TranslateOptions } from '../translate/index.js';
import type { HubEmulator } from '../../sandbox/hub/index.js';
import type { KubeEmulator } from '../../sandbox/kube/index.js';
import { RunError } from './errors.js';
import { DEVICE_CONNECTION_STRING_ENV, NO_MODULE_CREDENTIALS, identityPass, openIdentities } from './identities.js';
import type { Io } from './main.js';
import type { Sandbox } from './sandbox.js';
import { followManifestThroughHub, ModuleUrls, printTelemetry, putCredentialSecret, type Say } from './sandbox-session.js';
import { LiveTable, moduleRows } from './table.js';

export { CONNECTION_STRING_ENV, DEVICE_CONNECTION_STRING_ENV, RunError };


export interface RunFlags {
  kubeconfig?: string;
  namespace: string;
  connectionString?: string;
  /** The edge device's connection string: module identities and credentials (docs/identities.md). */
  deviceConnectionString?: string;
  /** GatewayHostName of the modules. @default the edgeHub Service name */
  gatewayHost?: string;
  ca?: string;
  manifest?: string;
  layer: string[];
  sandbox?: boolean;
  stateDir: string;
  /** `--sandbox`: loopback address of the sandbox IoT Hub's service API (default: the sandbox's). */
  serviceHost?: string;
  /** `--sandbox`: port of the Kubernetes API emulator (default: a free one). */
  kubePort?: number;
  /** `--sandbox`: also run Azurite as the sandbox hub's blob endpoint (hub.json `blobContainerSasUrl`). */
  blobStorage?: boolean;
  statusFile?: string;
  deviceId?: string;
  hub?: string;
  opsPort: number;
  opsHost: string;
  logLevel: LogLevel;
  translate: Partial<TranslateOptions>;
  /** Deadline of every IoT Hub call. @default 30000 */
  hubTimeoutMs?: number;
  /** Compete for the Lease `iotedge-k8s`; only the leader reconciles, reports and answers methods. */
  leaderElect?: boolean;
  /** Without --leader-elect: the heartbeat's timing on the Lease `iotedge-k8s` (tests shorten it). @default 40 s, renewed every 10 s */
  heartbeat?: { leaseDurationMs?: number; renewMs?: number };
}

export interface RunningBridge {
  bridge: Bridge;
  /** URL of /metrics, /healthz and /readyz. */
  opsUrl: string;
  kube?: KubeEmulator;
  hub?: HubEmulator;
  /** Resolves once the bridge works: at once without --leader-elect, else once it leads and started. */
  leading: Promise<void>;
  /** With --leader-elect: resolves (with the reason) when this bridge lost leadership; it writes no more. */
  leadershipLost: Promise<string>;
  stop(): Promise<void>;
}

type Logger = ReturnType<typeof createLogger>;

/**
 * How long the whole shutdown may take: a link that does not answer (the cluster API, IoT Hub)
 * cannot hold the process. Well inside a pod's termination grace period (30 s by default).
 */
export const SHUTDOWN_BUDGET_MS = 5_000;

/** `promise`, or 'timeout' after `ms`; the timer never keeps the process alive. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Shutdown steps, run in reverse order of registration, all within one time budget; a step that
 * fails or runs out of time does not stop the others (each is logged).
 */
class Cleanups {
  private readonly steps: { step: () => Promise<unknown>; name: string }[] = [];
  constructor(private readonly logger: Logger) {}
  add(step: () => Promise<unknown>, name = 'shutdown step'): void {
    this.steps.push({ step, name });
  }
  /** True when every step finished in time. */
  async run(budgetMs = SHUTDOWN_BUDGET_MS): Promise<boolean> {
    const deadline = Date.now() + budgetMs;
    let complete = true;
    for (const { step, name } of this.steps.splice(0).reverse()) {
      const left = deadline - Date.now();
      const result = await within(
        Promise.resolve()
          .then(step)
          .catch((e: unknown) => this.logger.warn({ step: name, error: (e as Error).message }, 'shutdown step failed')),
        left,
      );
      if (result === 'timeout') {
        complete = false;
        this.logger.warn({ step: name, budgetMs }, 'shutdown step did not finish in time; left behind');
      }
    }
    return complete;
  }
}

/** Starts everything `run` needs and returns once the bridge is running. */
export async function startRun(flags: RunFlags, terminal: Io, isTTY = false): Promise<RunningBridge> {
  const table = new LiveTable({ write: (t: string) => terminal.stdout(t), columns: process.stdout.columns }, isTTY);
  const io = besideTable(terminal, table);
  // The bridge's own log lines are also kept for GetModuleLogs of `edgeAgent`.
  const ownLog = new LogRing();
  const logger = createLogger({ level: flags.logLevel, destination: ownLog.tee((line) => io.stderr(line)) });
  const cleanups = new Cleanups(logger);
  try {
    refuseSandboxConflicts(flags);
    const metrics = new BridgeMetrics({ runtimeStatuses: RUNTIME_STATUSES });
    // Direct methods read the bridge's informer cache; they are answered only once the hub link is
    // up, which is after the bridge (and its cache) started.
    const started: { bridge?: Bridge; source?: DesiredSource; election?: Election } = {};
    // A standby is healthy but not ready (its twin link does not run); the leader, or a bridge
    // without election, once its deployment is applied and its twin is current.
    const working = allReady(() => started.bridge?.ready() ?? 'starting', () => started.source?.readiness?.() ?? true);
    const ready = (): true | string => {
      const election = started.election;
      if (election && !election.elector.isLeader) return `standby: ${election.elector.state.holder ?? 'nobody'} holds the Lease`;
      const state = working();
      return state === true ? true : String(state);
    };
    // First, so that a taken port is found before anything is started or applied.
    const ops = await startOps(flags, metrics, ready);
    cleanups.add(() => ops.stop(), 'operations server');
    const sandbox = flags.sandbox ? await startSandbox(flags, io, cleanups) : undefined;
    const cluster = await clusterConfig(flags, sandbox);
    // Registered before everything that sends, so it runs after all of them (the Lease's release included).
    cleanups.add(async () => closeConnections(cluster), 'Kubernetes API connections');
    // The sandbox is a device: its namespace holds the credential Secret an installed one has (for a local `check`).
    if (sandbox) await putCredentialSecret(cluster, flags.namespace, sandbox.hub);
    // edgeAgent's lastStartTimeUtc, also written into the Lease, so a local `list` shows the same uptime.
    const startedAt = new Date().toISOString();
    const election = flags.leaderElect ? leaderElection(cluster, flags.namespace, logger, metrics, startedAt) : undefined;
    started.election = election;
    // Everything but the elector goes through the write fence: no write leaves a bridge that does not lead.
    const kubeConfig = election ? fenceWrites(cluster, () => election.elector.isLeader) : cluster;
    const files = flags.manifest ? await manifestFiles(flags.manifest, flags.layer) : undefined;
    // Fenced like every other write: the device CA Secret is read and written by the reconcile
    // passes, which run only on the leader; opening reaches neither IoT Hub nor the cluster.
    const identities = await deviceIdentities(flags, sandbox, kubeConfig);
    const objects: ObjectReader = { list: (kind) => started.bridge?.cache.list(kind) ?? [] };
    const source = await desiredSource(flags, io, { sandbox, files, kubeConfig, logger, metrics, objects, identities, agentLogs: () => ownLog.lines() });
    started.source = source;
    const agentNote = !identities && source instanceof TwinSource ? NO_MODULE_CREDENTIALS : undefined;
    if (agentNote) logger.warn(agentNote);
    cleanups.add(() => source.stop(), 'desired source (IoT Hub link or file watch)');
    const session = sandbox ? await startSandboxSession(flags, sandbox, files, { objects, say: (t) => table.print(t) }, cleanups) : undefined;
    let watchRestartsSeen = 0;
    const bridge = new Bridge({
      kubeConfig,
      namespace: flags.namespace,
      deviceId: source.device.deviceId,
      translate: { ...flags.translate, hubHostname: source.device.hubHostname },
      desired$: source.desired$,
      report: (doc: ReportedDocument) => {
        source.report(doc);
        metrics.setLastDesiredVersion(doc.lastDesiredVersion);
        metrics.setModuleStatuses(moduleRuntimeStatuses(doc));
        table.update(moduleRows(doc));
        session?.report(doc);
        for (; watchRestartsSeen < bridge.watchRestarts; watchRestartsSeen++) metrics.recordWatchRestart();
      },
      log: levelLog(logger),
      onRun: (run) => metrics.recordReconcile(run.outcome.kind, run.durationMs / 1000),
      onApiWrite: (kind, verb) => metrics.recordApiWrite(kind, verb),
      ...(identities ? { preparePass: identityPass(identities, objects) } : {}),
      ...(agentNote ? { agentNote } : {}),
      startedAt,
    });
    started.bridge = bridge;
    let markLeading: () => void = () => undefined;
    const leading = new Promise<void>((resolve) => (markLeading = resolve));
    // Without election the bridge says it is alive through the Lease; with it, the elector's renewals do.
    const heartbeat = election ? undefined : bridgeHeartbeat(kubeConfig, flags, logger, startedAt);
    if (heartbeat) cleanups.add(() => heartbeat.stop(), 'heartbeat (releases the Lease)');
    const lead = async () => {
      cleanups.add(() => bridge.stop(), 'bridge (watches of the cluster)');
      await bridge.start();
      // Once the namespace exists (the bridge creates it when missing).
      heartbeat?.start();
      // The bridge already runs (the last good deployment included); IoT Hub connects in the background.
      await source.start();
      markLeading();
    };
    if (!election) await lead();
    else {
      // Registered before the bridge's stop, so it runs after it: the Lease is released once nothing writes.
      cleanups.add(() => election.elector.stop(), 'leader election (releases the Lease)');
      election.start(lead);
    }
    logger.info({ namespace: flags.namespace, deviceId: source.device.deviceId, ops: ops.url, leaderElect: election !== undefined }, election ? 'bridge standing by for leadership' : 'bridge running');
    io.stdout(`Metrics and health: ${ops.url}/metrics, /healthz, /readyz\n`);
    const leadershipLost = election?.lost ?? new Promise<string>(() => undefined);
    return { bridge, opsUrl: ops.url, kube: sandbox?.kube, hub: sandbox?.hub, leading, leadershipLost, stop: () => cleanups.run().then(() => undefined) };
  } catch (e) {
    await cleanups.run();
    throw e;
  }
}

/**
 * Runs until `stopSignal` resolves; the exit code. A signal during the start stops waiting for
 * it (a cluster that does not answer cannot hold the process); the shutdown is bounded by
 * {@link SHUTDOWN_BUDGET_MS}.
 */
export async function runBridge(flags: RunFlags, io: Io, stopSignal: Promise<unknown>, isTTY = false): Promise<number> {
  const starting = startRun(flags, io, isTTY);
  const first = await Promise.race([starting, stopSignal.then(() => 'stopped' as const)]);
  if (first === 'stopped') {
    io.stdout('Stopping the bridge while it starts.\n');
    // What started is left to the process's exit; a late failure is of no interest any more.
    void starting.then((running) => running.stop()).catch(() => undefined);
    return 0;
  }
  const lost = await Promise.race([stopSignal.then(() => undefined), first.leadershipLost]);
  if (lost !== undefined) {
    // Its writes are already fenced off; exit so that the pod restarts as a standby.
    io.stderr(`iotedge-k8s: lost leadership (${lost}); exiting.\n`);
    await first.stop();
    return 1;
  }
  io.stdout('Stopping the bridge.\n');
  await first.stop();
  return 0;
}

/**
 * The terminal shared by the live table and everything else: every other write (log lines on
 * stderr, messages on stdout) tells the table, whose next drawing then starts below it, so the
 * in-place redraw never overwrites a log line or the line with the operations URL.
 */
function besideTable(io: Io, table: LiveTable): Io {
  return {
    stdout: (text) => {
      table.interrupted();
      io.stdout(text);
    },
    stderr: (text) => {
      table.interrupted();
      io.stderr(text);
    },
  };
}

interface Election {
  elector: LeaderElector;
  /** Starts competing; `lead` runs once this bridge leads (a failure of it gives leadership up). */
  start(lead: () => Promise<void>): void;
  /** Resolves with the reason when leadership is lost. */
  lost: Promise<string>;
}

/**
 * Without --leader-elect: the heartbeat on the Lease `iotedge-k8s` (the elector's Lease, see
 * translator/leader/heartbeat.ts for why the same one), with the holder identity from POD_NAME
 * and the bridge's start time, so that a local `list` sees a bridge that runs outside the cluster.
 * A heartbeat that cannot write (no RBAC for leases) is logged; the bridge runs on.
 */
function bridgeHeartbeat(kubeConfig: KubeConfig, flags: RunFlags, logger: Logger, startedAt: string): Heartbeat {
  return new Heartbeat({
    store: new KubeLeaseStore(kubeConfig, flags.namespace, LEASE_NAME, { startedAt }),
    identity: holderIdentity(),
    log: levelLog(logger),
    ...flags.heartbeat,
  });
}

/**
 * --leader-elect: the elector on the Lease `iotedge-k8s` of the namespace (client-go's default
 * durations), with the holder identity from POD_NAME. It writes the Lease with the cluster's own
 * configuration, unfenced, and the bridge's start time with it (the heartbeat a local `list`
 * reads); its state goes to the logs and metrics.
 */
function leaderElection(cluster: KubeConfig, namespace: string, logger: Logger, metrics: BridgeMetrics, startedAt: string): Election {
  let resolveLost: (reason: string) => void = () => undefined;
  const lost = new Promise<string>((resolve) => (resolveLost = resolve));
  const identity = holderIdentity();
  let lead: () => Promise<void> = async () => undefined;
  const elector: LeaderElector = new LeaderElector({
    store: new KubeLeaseStore(cluster, namespace, LEASE_NAME, { startedAt }),
    identity,
    log: levelLog(logger),
    onChange: (state) => metrics.setLeadership(identity, state.leading, state.holder),
    onStartedLeading: () =>
      void lead().catch((e: unknown) => {
        logger.error({ error: (e as Error).message }, 'the bridge could not start as the leader');
        resolveLost(`the bridge could not start: ${(e as Error).message}`);
      }),
    onStoppedLeading: (reason) => resolveLost(reason),
  });
  metrics.setLeadership(identity, false, undefined);
  return {
    elector,
    lost,
    start: (run) => {
      lead = run;
      elector.start();
    },
  };
}

/** The runtime status of each module the table shows (edgeHub included), for the metrics. */
function moduleRuntimeStatuses(doc: ReportedDocument): string[] {
  return moduleRows(doc).map((row) => row.runtimeStatus);
}

/** `--sandbox` brings its own cluster and IoT Hub: flags naming others would be silently ignored, so they are refused. */
function refuseSandboxConflicts(flags: RunFlags): void {
  if (!flags.sandbox) return;
  const given = [flags.connectionString && '--connection-string', flags.kubeconfig && '--kubeconfig', flags.ca && '--ca'].filter(Boolean);
  if (given.length > 0) {
    throw new RunError(`${given.join(', ')} cannot be used with --sandbox, which runs on its own cluster and IoT Hub: leave ${given.length > 1 ? 'them' : 'it'} out, or leave out --sandbox`);
  }
}

/** The operations server, or a one-line error naming the flag to change. */
async function startOps(flags: RunFlags, metrics: BridgeMetrics, ready: ReadinessCheck): Promise<OpsServer> {
  if (isIP(flags.opsHost) === 0 && flags.opsHost !== 'localhost') {
    throw new RunError(`--ops-host '${flags.opsHost}' is not an IP address: pass one such as 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or ::`);
  }
  try {
    return await startOpsServer({ port: flags.opsPort, host: flags.opsHost, metrics, ready });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new RunError(`--ops-port ${flags.opsPort} is already in use on ${flags.opsHost}: pass another --ops-port (0 picks a free one) or stop what listens there`);
    if (code === 'EACCES') throw new RunError(`--ops-port ${flags.opsPort} needs privileges on ${flags.opsHost}: pass a port above 1023 (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new RunError(`--ops-host ${flags.opsHost} is not an address of this machine: pass one of its addresses, 127.0.0.1 or 0.0.0.0`);
    }
    throw e;
  }
}

/** Both emulators, loaded only now (`import()`) so that no other verb loads sandbox/. */
async function startSandbox(flags: RunFlags, io: Io, cleanups: Cleanups): Promise<Sandbox> {
  const { startSandbox: start } = await import('./sandbox.js');
  const sandbox = await start({ stateDir: flags.stateDir, serviceHost: flags.serviceHost, kubePort: flags.kubePort, ...(flags.blobStorage ? { blobStorage: true } : {}) });
  cleanups.add(() => sandbox.stop(), 'sandbox emulators');
  for (const note of sandbox.notes) io.stdout(`Sandbox: ${note}\n`);
  io.stdout(`Sandbox: kubectl --kubeconfig ${sandbox.kubeconfigPath} get pods -A; IoT Hub details in ${sandbox.hubJsonPath}\n`);
  const blob = sandbox.hub.blob;
  if (blob) io.stdout(`Sandbox: blob storage ${blob.serviceUrl} (Azurite), container '${blob.container}': its SAS URL is blobContainerSasUrl in ${sandbox.hubJsonPath}\n`);
  return sandbox;
}

/** The sandbox cluster, else --kubeconfig, else KUBECONFIG, else the in-cluster configuration. */
async function clusterConfig(flags: RunFlags, sandbox: Sandbox | undefined): Promise<KubeConfig> {
  const kubeConfig = new KubeConfigLoader();
  if (sandbox) kubeConfig.loadFromString(sandbox.kube.kubeconfig);
  else if (flags.kubeconfig) await loadKubeconfig(kubeConfig, flags.kubeconfig, '--kubeconfig');
  else if (process.env.KUBECONFIG) await loadKubeconfig(kubeConfig, process.env.KUBECONFIG, 'KUBECONFIG');
  else {
    kubeConfig.loadFromCluster();
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new RunError('no cluster given: pass --kubeconfig FILE, set KUBECONFIG, run in a cluster, or use --sandbox');
  }
  return kubeConfig;
}

/**
 * With the device connection string (the sandbox hub's with --sandbox, whose gateway and CA stand
 * in for edgeHub), the device's identities; else undefined (modules get no credentials).
 */
async function deviceIdentities(flags: RunFlags, sandbox: Sandbox | undefined, kubeConfig: KubeConfig): Promise<DeviceIdentities | undefined> {
  const deviceConnectionString = sandbox?.hub.deviceConnectionString ?? flags.deviceConnectionString ?? process.env[DEVICE_CONNECTION_STRING_ENV];
  if (!deviceConnectionString) return undefined;
  const { namespace } = flags;
  if (sandbox) {
    const { caPem, gatewayHostName } = sandbox.hub;
    return openIdentities({ deviceConnectionString, namespace, gatewayHost: flags.gatewayHost ?? gatewayHostName, hubCa: caPem, moduleTrustBundlePem: caPem }, kubeConfig);
  }
  const hubCa = flags.ca ? await readCa(flags.ca) : undefined;
  return openIdentities({ deviceConnectionString, namespace, ...(flags.gatewayHost ? { gatewayHost: flags.gatewayHost } : {}), ...(hubCa ? { hubCa } : {}) }, kubeConfig);
}

/** Loads a kubeconfig file; a missing, unreadable or unusable one is a one-line error naming it and where it came from. */
async function loadKubeconfig(kubeConfig: KubeConfigLoader, path: string, origin: '--kubeconfig' | 'KUBECONFIG'): Promise<void> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new RunError(`cannot read the kubeconfig ${path} (${origin}): ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)}; pass an existing kubeconfig file, or --sandbox`);
  });
  if (!info.isFile()) throw new RunError(`the kubeconfig ${path} (${origin}) is a directory, not a file; pass the kubeconfig file itself (e.g. ~/.kube/config)`);
  try {
    kubeConfig.loadFromFile(path);
  } catch (e) {
    throw new RunError(`the kubeconfig ${path} (${origin}) cannot be read: ${(e as Error).message.split('\n')[0]}; pass a kubeconfig file (kubectl config view --raw writes one)`);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new RunError(`the kubeconfig ${path} (${origin}) names no current cluster (current-context is missing or unknown); set it with kubectl config use-context, or pass another kubeconfig`);
  }
}

interface SourceContext {
  sandbox: Sandbox | undefined;
  files: ManifestFiles | undefined;
  kubeConfig: KubeConfig;
  logger: Logger;
  metrics: BridgeMetrics;
  objects: ObjectReader;
  /** The bridge's own log lines, for GetModuleLogs of `edgeAgent`. */
  agentLogs: () => readonly KeptLogLine[];
  identities: DeviceIdentities | undefined;
}

/**
 * The twin when a connection string is given (the sandbox hub's in the sandbox, where a
 * --manifest is pushed through IoT Hub first); else the local files, watched.
 */
async function desiredSource(flags: RunFlags, io: Io, { sandbox, files, kubeConfig, logger, metrics, objects, identities, agentLogs }: SourceContext): Promise<DesiredSource> {
  // With the device's identities, the $edgeAgent connection string comes from IoT Hub, obtained in
  // the background (the bridge starts without IoT Hub); the device is known from the device string.
  const given = sandbox?.hub.edgeAgentConnectionString ?? flags.connectionString ?? process.env[CONNECTION_STRING_ENV];
  const twin = identities
    ? { connectionString: () => identities.edgeAgentConnectionString(), device: { deviceId: identities.deviceId, hubHostname: identities.hubHostName } }
    : given
      ? { connectionString: given, device: moduleDevice(given) }
      : undefined;
  if (twin) {
    const { device } = twin;
    const ca = sandbox ? sandbox.hub.caPem : flags.ca ? await readCa(flags.ca) : undefined;
    const methods = new Methods({ kubeConfig, namespace: flags.namespace, deviceId: device.deviceId, iotHub: device.hubHostname, logger, objects, agentLogs, support: { bridgeLogs: () => agentLogs().map((l) => `${l.raw.trimEnd()}\n`).join('') } });
    return new TwinSource({
      ...(typeof twin.connectionString === 'string' ? { connectionString: twin.connectionString } : { connectionString: twin.connectionString, device }),
      ca,
      logger,
      ...(flags.hubTimeoutMs !== undefined ? { timeoutMs: flags.hubTimeoutMs } : {}),
      onPatch: (result) => metrics.recordTwinPatch(result),
      onConnected: (link) => methods.attach(link.client),
    });
  }
  if (files) {
    const statusFile = await statusFilePath(flags);
    io.stdout(`Watching ${files.base}${files.layers.length ? ` and ${files.layers.length} layer(s)` : ''}; reported properties go to ${statusFile}\n`);
    const device = { deviceId: flags.deviceId ?? 'edge-device', hubHostname: flags.hub ?? 'localhost' };
    return new FilesSource({ files, device, statusFile, logger });
  }
  throw new RunError(`nothing to run: pass --device-connection-string (or set ${DEVICE_CONNECTION_STRING_ENV}), --connection-string (or set ${CONNECTION_STRING_ENV}), --manifest FILE|DIR, or --sandbox`);
}

/** The device of a `$edgeAgent` connection string; a one-line RunError (naming no key) for another string. */
function moduleDevice(connectionString: string): SourceDevice {
  try {
    return connectionStringDevice(connectionString);
  } catch (e) {
    throw new RunError((e as Error).message);
  }
}

/**
 * In the sandbox: a --manifest goes through IoT Hub, as a real deployment would, at start and
 * after each save; published modules are announced with their URL; messages reaching the hub
 * are printed (./sandbox-session.ts).
 */
async function startSandboxSession(flags: RunFlags, sandbox: Sandbox, files: ManifestFiles | undefined, out: { objects: ObjectReader; say: Say }, cleanups: Cleanups): Promise<{ report(doc: ReportedDocument): void }> {
  const { hub, kube } = sandbox;
  if (files) {
    // The IoT Hub service SDK (azure-iothub) is loaded only here: a bridge outside the sandbox never pushes.
    const { pushContent } = await import('./push.js');
    const first = await loadManifest(files.base, { layers: files.layers });
    if (!first.content) throw new RunError(`${files.base} is not a valid deployment; run 'iotedge-k8s validate ${files.base}'`);
    const push = (content: DeploymentContent) => pushContent({ hubConnectionString: hub.serviceConnectionString, deviceId: hub.deviceId, content, caPem: hub.caPem });
    const stopWatching = await followManifestThroughHub(files, push, out.say);
    cleanups.add(async () => stopWatching());
  }
  const urls = new ModuleUrls({ namespace: flags.namespace, objects: out.objects, whenServing: (ns, name, ms) => kube.whenServing(ns, name, ms), say: out.say });
  cleanups.add(async () => urls.stop());
  const quietHint = `No message has reached the sandbox IoT Hub yet; see why in the modules' logs: kubectl --kubeconfig ${kube.kubeconfigPath} logs -n ${flags.namespace} deploy/<module>\n`;
  try {
    const stopTelemetry = await printTelemetry({ stateDir: flags.stateDir, deviceId: hub.deviceId, say: out.say, quietHint });
    cleanups.add(async () => stopTelemetry());
    out.say(`Messages reaching the sandbox IoT Hub are shown below (also: iotedge-k8s hub monitor --state-dir ${flags.stateDir}).\n`);
  } catch (e) {
    out.say(`Messages reaching the sandbox IoT Hub are not shown: ${(e as Error).message}\n`);
  }
  return urls;
}

/** The status file of a local run, its folder created (a missing `.sandbox/` is no reason to warn on every change). */
async function statusFilePath(flags: RunFlags): Promise<string> {
  const statusFile = resolve(flags.statusFile ?? resolve(flags.stateDir, 'status.json'));
  await mkdir(dirname(statusFile), { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new RunError(`cannot create the folder of the status file ${statusFile}: ${e.code ?? e.message}; pass --status-file FILE in a writable folder`);
  });
  return statusFile;
}

async function readCa(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ManifestLoadError(`cannot read the CA file ${path}: ${(e as Error).message}`, path);
  }
}
