/**
 * `iotedge-k8s run`: the composition root of the bridge. It picks the cluster, the desired
 * source (the device's `$edgeAgent` twin or local files) and the sinks of the reports (the
 * source, metrics, the terminal table), wires them to one {@link Bridge} and starts the
 * operations server. `--sandbox` first starts both emulators (loaded lazily) and, with
 * `--manifest`, pushes the manifest through the sandbox IoT Hub as a real deployment would.
 * With the device connection string, module identities and credentials are wired in through
 * `./identities.ts` (the bridge's preparePass hook).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Bridge } from '../bridge/index.js';
import type { DeviceIdentities } from '../identities/index.js';
import type { ObjectReader } from '../kinds/index.js';
import { loadManifest, ManifestLoadError, type DeploymentContent } from '../manifest/index.js';
import { Methods } from '../methods/index.js';
import { BridgeMetrics, LogRing, type KeptLogLine, SHUTDOWN_STEP_MS, allReady, boundedStep, createLogger, levelLog, startOpsServer, type LogLevel } from '../ops/index.js';
import { CONNECTION_STRING_ENV, FilesSource, TwinSource, connectionStringDevice, manifestFiles, type DesiredSource, type ManifestFiles } from '../sources/index.js';
import { RUNTIME_STATUSES, type ReportedDocument } from '../status/index.js';
import type { TranslateOptions } from '../translate/index.js';
import type { HubEmulator } from '../../sandbox/hub/index.js';
import type { KubeEmulator } from '../../sandbox/kube/index.js';
import { RunError } from './errors.js';
import { DEVICE_CONNECTION_STRING_ENV, NO_MODULE_CREDENTIALS, identityPass, openIdentities } from './identities.js';
import type { Io } from './main.js';
import { pushContent } from './push.js';
import type { Sandbox } from './sandbox.js';
import { followManifestThroughHub, ModuleUrls, printTelemetry, type Say } from './sandbox-session.js';
import { LiveTable, moduleRows } from './table.js';

export { CONNECTION_STRING_ENV, DEVICE_CONNECTION_STRING_ENV, RunError };

/** The whole stop (every cleanup step, each at most SHUTDOWN_STEP_MS) ends within this. */
const SHUTDOWN_TOTAL_MS = 4000;

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
  statusFile?: string;
  deviceId?: string;
  hub?: string;
  opsPort: number;
  opsHost: string;
  logLevel: LogLevel;
  translate: Partial<TranslateOptions>;
  /** Deadline of every IoT Hub call. @default 30000 */
  hubTimeoutMs?: number;
}

export interface RunningBridge {
  bridge: Bridge;
  /** URL of /metrics, /healthz and /readyz. */
  opsUrl: string;
  kube?: KubeEmulator;
  hub?: HubEmulator;
  stop(): Promise<void>;
}

type Logger = ReturnType<typeof createLogger>;

/** Shutdown steps, run in reverse order of registration; a failing or hanging step does not stop the others. */
class Cleanups {
  private readonly steps: (() => Promise<unknown>)[] = [];
  constructor(private readonly logger: Logger) {}
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  /** Runs every step, each bounded where it is awaited: a link that never answers must not hold the stop. */
  async run(): Promise<void> {
    const deadline = Date.now() + SHUTDOWN_TOTAL_MS;
    for (const step of this.steps.splice(0).reverse()) {
      const ms = Math.max(100, Math.min(SHUTDOWN_STEP_MS, deadline - Date.now()));
      const result = await boundedStep(() => step().catch((e: unknown) => this.logger.warn({ error: (e as Error).message }, 'shutdown step failed')), ms);
      if (result === 'timed out') this.logger.warn({ afterMs: ms }, 'shutdown step did not finish in time; going on');
    }
  }
}

/** Starts everything `run` needs and returns once the bridge is running. */
export async function startRun(flags: RunFlags, io: Io, isTTY = false): Promise<RunningBridge> {
  // The bridge's own log lines are also kept for GetModuleLogs of `edgeAgent`.
  const ownLog = new LogRing();
  const logger = createLogger({ level: flags.logLevel, destination: ownLog.tee((line) => io.stderr(line)) });
  const cleanups = new Cleanups(logger);
  try {
    const sandbox = flags.sandbox ? await startSandbox(flags, io, cleanups) : undefined;
    const kubeConfig = clusterConfig(flags, sandbox);
    const files = flags.manifest ? await manifestFiles(flags.manifest, flags.layer) : undefined;
    const metrics = new BridgeMetrics({ runtimeStatuses: RUNTIME_STATUSES });
    const identities = await deviceIdentities(flags, sandbox, kubeConfig);
    // Direct methods read the bridge's informer cache; they are answered only once the hub link is
    // up, which is after the bridge (and its cache) started.
    const started: { bridge?: Bridge } = {};
    const objects: ObjectReader = { list: (kind) => started.bridge?.cache.list(kind) ?? [] };
    const source = await desiredSource(flags, io, { sandbox, files, kubeConfig, logger, metrics, objects, identities, agentLogs: () => ownLog.lines() });
    const agentNote = !identities && source instanceof TwinSource ? NO_MODULE_CREDENTIALS : undefined;
    if (agentNote) logger.warn(agentNote);
    cleanups.add(() => source.stop());
    const table = new LiveTable({ write: (t: string) => io.stdout(t), columns: process.stdout.columns }, isTTY);
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
        metrics.setModuleStatuses(Object.values(doc.modules).map((m) => m.runtimeStatus));
        table.update(moduleRows(doc));
        session?.report(doc);
        for (; watchRestartsSeen < bridge.watchRestarts; watchRestartsSeen++) metrics.recordWatchRestart();
      },
      log: levelLog(logger),
      onRun: (run) => metrics.recordReconcile(run.outcome.kind, run.durationMs / 1000),
      onApiWrite: (kind, verb) => metrics.recordApiWrite(kind, verb),
      ...(identities ? { preparePass: identityPass(identities) } : {}),
      ...(agentNote ? { agentNote } : {}),
    });
    started.bridge = bridge;
    await bridge.start();
    cleanups.add(() => bridge.stop());
    // The bridge already runs (the last good deployment included); IoT Hub connects in the background.
    await source.start();
    const ops = await startOpsServer({ port: flags.opsPort, host: flags.opsHost, metrics, ready: allReady(() => bridge.ready(), source.readiness ? () => source.readiness!() : undefined) });
    cleanups.add(() => ops.stop());
    logger.info({ namespace: flags.namespace, deviceId: source.device.deviceId, ops: ops.url }, 'bridge running');
    return { bridge, opsUrl: ops.url, kube: sandbox?.kube, hub: sandbox?.hub, stop: () => cleanups.run() };
  } catch (e) {
    await cleanups.run();
    throw e;
  }
}

/** Runs until `stopSignal` resolves; the exit code. */
export async function runBridge(flags: RunFlags, io: Io, stopSignal: Promise<unknown>, isTTY = false): Promise<number> {
  const running = await startRun(flags, io, isTTY);
  await stopSignal;
  io.stdout('Stopping the bridge.\n');
  await running.stop();
  return 0;
}

/** Both emulators, loaded only now (`import()`) so that no other verb loads sandbox/. */
async function startSandbox(flags: RunFlags, io: Io, cleanups: Cleanups): Promise<Sandbox> {
  const { startSandbox: start } = await import('./sandbox.js');
  const sandbox = await start({ stateDir: flags.stateDir, serviceHost: flags.serviceHost, kubePort: flags.kubePort });
  cleanups.add(() => sandbox.stop());
  for (const note of sandbox.notes) io.stdout(`Sandbox: ${note}\n`);
  io.stdout(`Sandbox: kubectl --kubeconfig ${sandbox.kubeconfigPath} get pods -A; IoT Hub details in ${sandbox.hubJsonPath}\n`);
  return sandbox;
}

/** The sandbox cluster, else --kubeconfig, else KUBECONFIG, else the in-cluster configuration. */
function clusterConfig(flags: RunFlags, sandbox: Sandbox | undefined): KubeConfig {
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
  const connectionString = identities?.edgeAgentConnectionString ?? sandbox?.hub.edgeAgentConnectionString ?? flags.connectionString ?? process.env[CONNECTION_STRING_ENV];
  if (connectionString) {
    const device = connectionStringDevice(connectionString);
    if (!device) throw new RunError('the connection string must be a module connection string (HostName, DeviceId, ModuleId=$edgeAgent, SharedAccessKey)');
    const ca = sandbox ? sandbox.hub.caPem : flags.ca ? await readCa(flags.ca) : undefined;
    const methods = new Methods({ kubeConfig, namespace: flags.namespace, deviceId: device.deviceId, iotHub: device.hubHostname, logger, objects, agentLogs });
    return new TwinSource({
      connectionString,
      ca,
      logger,
      ...(flags.hubTimeoutMs !== undefined ? { timeoutMs: flags.hubTimeoutMs } : {}),
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
  throw new RunError(`nothing to run: pass --device-connection-string (or set ${DEVICE_CONNECTION_STRING_ENV}), --connection-string (or set ${CONNECTION_STRING_ENV}), --manifest FILE|DIR, or --sandbox`);
}

/**
 * In the sandbox: a --manifest goes through IoT Hub, as a real deployment would, at start and
 * after each save; published modules are announced with their URL; messages reaching the hub
 * are printed (./sandbox-session.ts).
 */
async function startSandboxSession(flags: RunFlags, sandbox: Sandbox, files: ManifestFiles | undefined, out: { objects: ObjectReader; say: Say }, cleanups: Cleanups): Promise<{ report(doc: ReportedDocument): void }> {
  const { hub, kube } = sandbox;
  if (files) {
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

async function readCa(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ManifestLoadError(`cannot read the CA file ${path}: ${(e as Error).message}`, path);
  }
}
