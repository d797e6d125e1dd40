/**
 * `iotedge-k8s run`: the composition root of the bridge. It picks the cluster, the desired
 * source (the device's `$edgeAgent` twin or local files) and the sinks of the reports (the
 * source, metrics, the terminal table), wires them to one {@link Bridge} and starts the
 * operations server. `--sandbox` first starts both emulators (loaded lazily) and, with
 * `--manifest`, pushes the manifest through the sandbox IoT Hub as a real deployment would.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Bridge } from '../bridge/index.js';
import type { ObjectReader } from '../kinds/index.js';
import { loadManifest, ManifestLoadError } from '../manifest/index.js';
import { KubeLeaseStore, LeaderElector, fenceWrites, holderIdentity } from '../leader/index.js';
import { Methods } from '../methods/index.js';
import { BridgeMetrics, createLogger, levelLog, startOpsServer, type LogLevel } from '../ops/index.js';
import { CONNECTION_STRING_ENV, FilesSource, TwinSource, connectionStringDevice, manifestFiles, type DesiredSource, type ManifestFiles } from '../sources/index.js';
import { RUNTIME_STATUSES, type ReportedDocument } from '../status/index.js';
import type { TranslateOptions } from '../translate/index.js';
import type { HubEmulator } from '../../sandbox/hub/index.js';
import type { KubeEmulator } from '../../sandbox/kube/index.js';
import { RunError } from './errors.js';
import type { Io } from './main.js';
import { pushContent } from './push.js';
import type { Emulators } from './sandbox.js';
import { LiveTable, moduleRows } from './table.js';

export { CONNECTION_STRING_ENV, RunError };

export interface RunFlags {
  kubeconfig?: string;
  namespace: string;
  connectionString?: string;
  ca?: string;
  manifest?: string;
  layer: string[];
  sandbox?: boolean;
  stateDir: string;
  statusFile?: string;
  deviceId?: string;
  hub?: string;
  opsPort: number;
  opsHost: string;
  logLevel: LogLevel;
  translate: Partial<TranslateOptions>;
  /** Compete for the Lease `iotedge-k8s`; only the leader reconciles, reports and answers methods. */
  leaderElect?: boolean;
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

/** Shutdown steps, run in reverse order of registration; a failing step does not stop the others. */
class Cleanups {
  private readonly steps: (() => Promise<unknown>)[] = [];
  constructor(private readonly logger: Logger) {}
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch((e: unknown) => this.logger.warn({ error: (e as Error).message }, 'shutdown step failed'));
  }
}

/** Starts everything `run` needs and returns once the bridge is running. */
export async function startRun(flags: RunFlags, io: Io, isTTY = false): Promise<RunningBridge> {
  const logger = createLogger({ level: flags.logLevel, destination: { write: (line: string) => io.stderr(line) } });
  const cleanups = new Cleanups(logger);
  try {
    const sandbox = flags.sandbox ? await startSandbox(flags, io, cleanups) : undefined;
    const cluster = clusterConfig(flags, sandbox);
    const files = flags.manifest ? await manifestFiles(flags.manifest, flags.layer) : undefined;
    const metrics = new BridgeMetrics({ runtimeStatuses: RUNTIME_STATUSES });
    const election = flags.leaderElect ? leaderElection(cluster, flags.namespace, logger, metrics) : undefined;
    // Everything but the elector goes through the write fence: no write leaves a bridge that does not lead.
    const kubeConfig = election ? fenceWrites(cluster, () => election.elector.isLeader) : cluster;
    // Direct methods read the bridge's informer cache; they are answered only once the hub link is
    // up, which is after the bridge (and its cache) started.
    const started: { bridge?: Bridge } = {};
    const objects: ObjectReader = { list: (kind) => started.bridge?.cache.list(kind) ?? [] };
    const source = await desiredSource(flags, io, { sandbox, files, kubeConfig, logger, metrics, objects });
    cleanups.add(() => source.stop());
    const table = new LiveTable({ write: (t: string) => io.stdout(t), columns: process.stdout.columns }, isTTY);
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
        metrics.setModuleStatuses(Object.values(doc.modules).map((m) => m.runtimeStatus));
        table.update(moduleRows(doc));
        for (; watchRestartsSeen < bridge.watchRestarts; watchRestartsSeen++) metrics.recordWatchRestart();
      },
      log: levelLog(logger),
      onRun: (run) => metrics.recordReconcile(run.outcome.kind, run.durationMs / 1000),
      onApiWrite: (kind, verb) => metrics.recordApiWrite(kind, verb),
    });
    started.bridge = bridge;
    let markLeading: () => void = () => undefined;
    const leading = new Promise<void>((resolve) => (markLeading = resolve));
    const lead = async () => {
      await bridge.start();
      cleanups.add(() => bridge.stop());
      // The bridge already runs (the last good deployment included); IoT Hub connects in the background.
      await source.start();
      markLeading();
    };
    if (!election) await lead();
    const ready = () => (!election || election.elector.isLeader ? bridge.ready() : `standby: ${election.elector.state.holder ?? 'nobody'} holds the Lease`);
    const ops = await startOpsServer({ port: flags.opsPort, host: flags.opsHost, metrics, ready });
    cleanups.add(() => ops.stop());
    if (election) {
      // Registered before the bridge's stop, so it runs after it: the Lease is released once nothing writes.
      cleanups.add(() => election.elector.stop());
      election.start(lead);
    }
    logger.info({ namespace: flags.namespace, deviceId: source.device.deviceId, ops: ops.url, leaderElect: election !== undefined }, election ? 'bridge standing by for leadership' : 'bridge running');
    const leadershipLost = election?.lost ?? new Promise<string>(() => undefined);
    return { bridge, opsUrl: ops.url, kube: sandbox?.kube, hub: sandbox?.hub, leading, leadershipLost, stop: () => cleanups.run() };
  } catch (e) {
    await cleanups.run();
    throw e;
  }
}

/** Runs until `stopSignal` resolves; the exit code. */
export async function runBridge(flags: RunFlags, io: Io, stopSignal: Promise<unknown>, isTTY = false): Promise<number> {
  const running = await startRun(flags, io, isTTY);
  const lost = await Promise.race([stopSignal.then(() => undefined), running.leadershipLost]);
  if (lost !== undefined) {
    // Its writes are already fenced off; exit so that the pod restarts as a standby.
    io.stderr(`iotedge-k8s: lost leadership (${lost}); exiting.\n`);
    await running.stop();
    return 1;
  }
  io.stdout('Stopping the bridge.\n');
  await running.stop();
  return 0;
}

interface Election {
  elector: LeaderElector;
  /** Starts competing; `lead` runs once this bridge leads (a failure of it gives leadership up). */
  start(lead: () => Promise<void>): void;
  /** Resolves with the reason when leadership is lost. */
  lost: Promise<string>;
}

/**
 * --leader-elect: the elector on the Lease `iotedge-k8s` of the namespace (client-go's default
 * durations), with the holder identity from POD_NAME. It writes the Lease with the cluster's own
 * configuration, unfenced; its state goes to the logs and metrics.
 */
function leaderElection(cluster: KubeConfig, namespace: string, logger: Logger, metrics: BridgeMetrics): Election {
  let resolveLost: (reason: string) => void = () => undefined;
  const lost = new Promise<string>((resolve) => (resolveLost = resolve));
  const identity = holderIdentity();
  let lead: () => Promise<void> = async () => undefined;
  const elector: LeaderElector = new LeaderElector({
    store: new KubeLeaseStore(cluster, namespace),
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

/** Both emulators, loaded only now (`import()`) so that no other verb loads sandbox/. */
async function startSandbox(flags: RunFlags, io: Io, cleanups: Cleanups): Promise<Emulators> {
  const { startEmulators } = await import('./sandbox.js');
  const emulators = await startEmulators({ stateDir: flags.stateDir });
  cleanups.add(() => emulators.stop());
  io.stdout(`Sandbox: kubectl --kubeconfig ${emulators.kube.kubeconfigPath} get pods -A; IoT Hub details in ${resolve(flags.stateDir, 'hub.json')}\n`);
  return emulators;
}

/** The sandbox cluster, else --kubeconfig, else KUBECONFIG, else the in-cluster configuration. */
function clusterConfig(flags: RunFlags, sandbox: Emulators | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (sandbox) kubeConfig.loadFromString(sandbox.kube.kubeconfig);
  else if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
  else if (process.env.KUBECONFIG) kubeConfig.loadFromFile(process.env.KUBECONFIG);
  else {
    kubeConfig.loadFromCluster();
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new RunError('no cluster given: pass --kubeconfig FILE, set KUBECONFIG, run in a cluster, or use --sandbox');
  }
  return kubeConfig;
}

interface SourceContext {
  sandbox: Emulators | undefined;
  files: ManifestFiles | undefined;
  kubeConfig: KubeConfig;
  logger: Logger;
  metrics: BridgeMetrics;
  objects: ObjectReader;
}

/**
 * The twin when a connection string is given (the sandbox hub's in the sandbox, where a
 * --manifest is pushed through IoT Hub first); else the local files, watched.
 */
async function desiredSource(flags: RunFlags, io: Io, { sandbox, files, kubeConfig, logger, metrics, objects }: SourceContext): Promise<DesiredSource> {
  const connectionString = sandbox?.hub.edgeAgentConnectionString ?? flags.connectionString ?? process.env[CONNECTION_STRING_ENV];
  if (connectionString) {
    const device = connectionStringDevice(connectionString);
    if (!device) throw new RunError('the connection string must be a module connection string (HostName, DeviceId, ModuleId=$edgeAgent, SharedAccessKey)');
    const ca = sandbox ? sandbox.hub.caPem : flags.ca ? await readCa(flags.ca) : undefined;
    if (sandbox && files) await pushThroughSandbox(sandbox, files, device.deviceId, io);
    const methods = new Methods({ kubeConfig, namespace: flags.namespace, deviceId: device.deviceId, iotHub: device.hubHostname, logger, objects });
    return new TwinSource({
      connectionString,
      ca,
      logger,
      onPatch: (result) => metrics.recordTwinPatch(result),
      onConnected: (link) => methods.attach(link.client),
    });
  }
  if (files) {
    const statusFile = resolve(flags.statusFile ?? resolve(flags.stateDir, 'status.json'));
    io.stdout(`Watching ${files.base}${files.layers.length ? ` and ${files.layers.length} layer(s)` : ''}; reported properties go to ${statusFile}\n`);
    const device = { deviceId: flags.deviceId ?? 'edge-device', hubHostname: flags.hub ?? 'localhost' };
    return new FilesSource({ files, device, statusFile, logger });
  }
  throw new RunError(`nothing to run: pass --connection-string (or set ${CONNECTION_STRING_ENV}), --manifest FILE|DIR, or --sandbox`);
}

/** In the sandbox a --manifest goes through IoT Hub, as a real deployment would. */
async function pushThroughSandbox(sandbox: Emulators, files: ManifestFiles, deviceId: string, io: Io): Promise<void> {
  const loaded = await loadManifest(files.base, { layers: files.layers });
  if (!loaded.content) throw new RunError(`${files.base} is not a valid deployment; run 'iotedge-k8s validate ${files.base}'`);
  await pushContent({ hubConnectionString: sandbox.hub.serviceConnectionString, deviceId, content: loaded.content, caPem: sandbox.hub.caPem });
  io.stdout(`Pushed ${files.base} to device '${deviceId}' through the sandbox IoT Hub.\n`);
}

async function readCa(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ManifestLoadError(`cannot read the CA file ${path}: ${(e as Error).message}`, path);
  }
}
