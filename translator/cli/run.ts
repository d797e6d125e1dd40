/**
 * `iotedge-k8s run`: the bridge's main job. Desired deployments come from the device's
 * `$edgeAgent` twin (a module connection string) or from local files; they are applied to the
 * cluster; module status goes back to the twin (or a status file) and to the terminal.
 * `--sandbox` runs the whole loop on the built-in cluster and IoT Hub emulators.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Observable } from 'rxjs';
import { Bridge, type DesiredInput } from '../bridge/bridge.js';
import { ManifestLoadError } from '../manifest/diagnostics.js';
import { loadManifest } from '../manifest/index.js';
import { Methods } from '../methods/index.js';
import { BridgeMetrics, LogRing, SHUTDOWN_STEP_MS, allReady, boundedStep, createLogger, levelLog, startOpsServer, type LogLevel } from '../ops/index.js';
import { manifestFiles, watchManifest } from '../sources/watch.js';
import type { ReportedDocument } from '../status/index.js';
import type { TranslateOptions } from '../translate/options.js';
import { HubLink } from './hub-link.js';
import { startHubEmulator, type HubEmulator } from '../../sandbox/hub/index.js';
import { startKubeEmulator, type KubeEmulator } from '../../sandbox/kube/index.js';
import type { Io } from './main.js';
import { pushContent } from './push.js';
import { DEFAULT_LB_POOL } from './sandbox.js';
import { LiveTable, moduleRows } from './table.js';

/** The whole stop (every cleanup step, each at most SHUTDOWN_STEP_MS) ends within this. */
const SHUTDOWN_TOTAL_MS = 4000;

/** Environment variable holding the `$edgeAgent` module connection string. */
export const CONNECTION_STRING_ENV = 'IOTEDGE_K8S_CONNECTION_STRING';

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
  /** Deadline of every IoT Hub call. @default 30000 */
  hubTimeoutMs?: number;
}

export class RunError extends Error {
  override readonly name = 'RunError';
}

/** Fields of an IoT Hub connection string (`HostName=...;DeviceId=...;ModuleId=...;SharedAccessKey=...`). */
export function connectionStringFields(cs: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of cs.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return fields;
}

export interface RunningBridge {
  bridge: Bridge;
  /** URL of /metrics, /healthz and /readyz. */
  opsUrl: string;
  kube?: KubeEmulator;
  hub?: HubEmulator;
  stop(): Promise<void>;
}

/** Starts everything `run` needs and returns once the bridge is running. */
export async function startRun(flags: RunFlags, io: Io, isTTY = false): Promise<RunningBridge> {
  // The bridge's own log lines are also kept for GetModuleLogs of `edgeAgent`.
  const ownLog = new LogRing();
  const logger = createLogger({ level: flags.logLevel, destination: ownLog.tee((line) => io.stderr(line)) });
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    // Each step is bounded where it is awaited: a link that never answers must not hold the stop.
    const deadline = Date.now() + SHUTDOWN_TOTAL_MS;
    for (const c of cleanups.reverse()) {
      const ms = Math.max(100, Math.min(SHUTDOWN_STEP_MS, deadline - Date.now()));
      const result = await boundedStep(() => c().catch((e: unknown) => {
        logger.warn({ error: (e as Error).message }, 'shutdown step failed');
      }), ms);
      if (result === 'timed out') logger.warn({ afterMs: ms }, 'shutdown step did not finish in time; going on');
    }
  };
  try {
    const kubeConfig = new KubeConfig();
    let connectionString = flags.connectionString ?? process.env[CONNECTION_STRING_ENV];
    let ca = flags.ca;
    let kube: KubeEmulator | undefined;
    let hub: HubEmulator | undefined;
    if (flags.sandbox) {
      const stateDir = resolve(flags.stateDir);
      kube = await startKubeEmulator({ stateDir, loadBalancerPool: DEFAULT_LB_POOL });
      cleanups.push(() => kube!.stop());
      hub = await startHubEmulator({ stateDir });
      cleanups.push(() => hub!.stop());
      kubeConfig.loadFromString(kube.kubeconfig);
      connectionString = hub.edgeAgentConnectionString;
      io.stdout(`Sandbox: kubectl --kubeconfig ${kube.kubeconfigPath} get pods -A; IoT Hub details in ${resolve(stateDir, 'hub.json')}\n`);
    } else if (flags.kubeconfig) {
      kubeConfig.loadFromFile(flags.kubeconfig);
    } else if (process.env.KUBECONFIG) {
      kubeConfig.loadFromFile(process.env.KUBECONFIG);
    } else {
      kubeConfig.loadFromCluster();
      if (!process.env.KUBERNETES_SERVICE_HOST) throw new RunError('no cluster given: pass --kubeconfig FILE, set KUBECONFIG, run in a cluster, or use --sandbox');
    }

    const files = flags.manifest ? await manifestFiles(flags.manifest, flags.layer) : undefined;
    let desired$: Observable<DesiredInput>;
    let report: (document: ReportedDocument) => void;
    let startLink: (() => Promise<void>) | undefined;
    let hubReadiness: (() => true | string) | undefined;
    let deviceId: string;
    let hubHostname: string;
    const metrics = new BridgeMetrics();
    const table = new LiveTable({ write: (t: string) => io.stdout(t), columns: process.stdout.columns }, isTTY);

    if (connectionString) {
      const fields = connectionStringFields(connectionString);
      if (!fields['DeviceId'] || !fields['ModuleId'] || !fields['HostName']) {
        throw new RunError('the connection string must be a module connection string (HostName, DeviceId, ModuleId=$edgeAgent, SharedAccessKey)');
      }
      deviceId = fields['DeviceId'];
      hubHostname = fields['HostName'];
      if (hub) ca = hub.caPem;
      else if (ca) ca = await readCa(ca);
      if (hub && files) {
        // In the sandbox a --manifest goes through IoT Hub, as a real deployment would.
        const loaded = await loadManifest(files.base, { layers: files.layers });
        if (!loaded.content) throw new RunError(`${files.base} is not a valid deployment; run 'iotedge-k8s validate ${files.base}'`);
        await pushContent({ hubConnectionString: hub.serviceConnectionString, deviceId, content: loaded.content, caPem: hub.caPem });
        io.stdout(`Pushed ${files.base} to device '${deviceId}' through the sandbox IoT Hub.\n`);
      }
      const methods = new Methods({ kubeConfig, namespace: flags.namespace, deviceId, iotHub: hubHostname, logger, agentLogs: () => ownLog.lines() });
      const hubLink = new HubLink({ connectionString, ca, logger, metrics, timeoutMs: flags.hubTimeoutMs, onConnected: (link) => methods.attach(link.client) });
      hubReadiness = () => hubLink.readiness();
      cleanups.push(() => hubLink.stop());
      startLink = () => hubLink.start();
      desired$ = hubLink.desired$;
      report = (doc) => hubLink.report(doc);
    } else if (files) {
      deviceId = flags.deviceId ?? 'edge-device';
      hubHostname = flags.hub ?? 'localhost';
      const statusFile = resolve(flags.statusFile ?? resolve(flags.stateDir, 'status.json'));
      desired$ = watchManifest(files);
      report = (doc) => void writeFile(statusFile, JSON.stringify(doc, null, 2) + '\n').catch((e: unknown) => logger.warn({ error: (e as Error).message, statusFile }, 'cannot write the status file'));
      io.stdout(`Watching ${files.base}${files.layers.length ? ` and ${files.layers.length} layer(s)` : ''}; reported properties go to ${statusFile}\n`);
    } else {
      throw new RunError(`nothing to run: pass --connection-string (or set ${CONNECTION_STRING_ENV}), --manifest FILE|DIR, or --sandbox`);
    }

    let watchRestartsSeen = 0;
    const bridge = new Bridge({
      kubeConfig,
      namespace: flags.namespace,
      deviceId,
      translate: { ...flags.translate, hubHostname },
      desired$,
      report: (doc) => {
        report(doc);
        metrics.setLastDesiredVersion(doc.lastDesiredVersion);
        metrics.setModuleStatuses(Object.values(doc.modules).map((m) => m.runtimeStatus));
        table.update(moduleRows(doc));
        for (; watchRestartsSeen < bridge.watchRestarts; watchRestartsSeen++) metrics.recordWatchRestart();
      },
      log: levelLog(logger),
      onRun: (run) => metrics.recordReconcile(run.outcome.kind, run.durationMs / 1000),
      onApiWrite: (kind, verb) => metrics.recordApiWrite(kind, verb),
    });
    await bridge.start();
    cleanups.push(() => bridge.stop());
    // The bridge already runs (the last good deployment included); IoT Hub connects in the background.
    await startLink?.();
    const ops = await startOpsServer({ port: flags.opsPort, host: flags.opsHost, metrics, ready: allReady(() => bridge.ready(), hubReadiness) });
    cleanups.push(() => ops.stop());
    logger.info({ namespace: flags.namespace, deviceId, ops: ops.url }, 'bridge running');
    return { bridge, opsUrl: ops.url, kube, hub, stop };
  } catch (e) {
    await stop();
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

async function readCa(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ManifestLoadError(`cannot read the CA file ${path}: ${(e as Error).message}`, path);
  }
}
