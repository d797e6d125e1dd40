/**
 * Prometheus metrics of the bridge, in a registry of their own (never prom-client's global one,
 * so several bridges or tests in one process do not share counters). Every name starts with
 * `iotedge_k8s_`; the methods below are the only way the bridge records them.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a reconcile ended: the `kind` of translator/reconcile's `ReconcileOutcome`, or `error` for an exception. */
export type ReconcileOutcomeKind = 'done' | 'retry' | 'terminal' | 'error';
/** Kubernetes API write verbs the bridge uses. */
export type ApiWriteVerb = 'apply' | 'create' | 'delete' | 'patch';
/** Result of one reported-properties patch. */
export type TwinPatchResult = 'sent' | 'failed';
/** Options of {@link BridgeMetrics}. */
export interface BridgeMetricsOptions {
  /**
   * Every module runtime status (translator/status's `RUNTIME_STATUSES`): each is always
   * exported, 0 when no module has it. @default [] (only statuses seen so far)
   */
  runtimeStatuses?: readonly string[];
}

/** Metric name prefix. */
export const METRIC_PREFIX = 'iotedge_k8s_';

/** Reconcile duration histogram buckets, in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The bridge's metrics and their registry. */
export class BridgeMetrics {
  /** The registry holding exactly these metrics; serve it with `metrics()`. */
  readonly registry = new Registry();
  private readonly reconciles = new Counter({ name: `${METRIC_PREFIX}reconciles_total`, help: 'Reconciles, by outcome', labelNames: ['outcome'], registers: [this.registry] });
  private readonly reconcileDuration = new Histogram({
    name: `${METRIC_PREFIX}reconcile_duration_seconds`,
    help: 'Duration of one reconcile, in seconds',
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly apiWrites = new Counter({ name: `${METRIC_PREFIX}api_writes_total`, help: 'Kubernetes API writes, by kind and verb', labelNames: ['kind', 'verb'], registers: [this.registry] });
  private readonly twinPatches = new Counter({ name: `${METRIC_PREFIX}twin_patches_total`, help: 'Reported-properties patches sent to IoT Hub, by result', labelNames: ['result'], registers: [this.registry] });
  private readonly watchRestarts = new Counter({ name: `${METRIC_PREFIX}watch_restarts_total`, help: 'Kubernetes watches restarted after they ended or failed', registers: [this.registry] });
  private readonly lastDesiredVersion = new Gauge({ name: `${METRIC_PREFIX}last_desired_version`, help: 'The $version of the last desired properties processed', registers: [this.registry] });
  private readonly leader = new Gauge({ name: `${METRIC_PREFIX}leader`, help: 'With run --leader-elect: 1 while this bridge leads, 0 while it stands by; labelled with its holder identity', labelNames: ['identity'], registers: [this.registry] });
  private readonly leaseHolder = new Gauge({ name: `${METRIC_PREFIX}lease_holder_info`, help: 'With run --leader-elect: the holder of the Lease as this bridge last saw it (value 1; absent when nobody holds it)', labelNames: ['holder'], registers: [this.registry] });
  private readonly modules = new Gauge({ name: `${METRIC_PREFIX}modules`, help: 'Modules, by reported runtime status', labelNames: ['runtime_status'], registers: [this.registry] });

  /** Runtime statuses exported so far; each stays exported (0 when it empties). */
  private readonly statusesShown: Set<string>;

  constructor(options: BridgeMetricsOptions = {}) {
    this.statusesShown = new Set(options.runtimeStatuses ?? []);
  }

  /** Records one finished reconcile: its outcome and how long it took. */
  recordReconcile(outcome: ReconcileOutcomeKind, durationSeconds: number): void {
    this.reconciles.inc({ outcome });
    this.reconcileDuration.observe(durationSeconds);
  }

  /** Counts Kubernetes API writes of one kind (`Deployment`, `Service`, ...) and verb. @default count 1 */
  recordApiWrite(kind: string, verb: ApiWriteVerb, count = 1): void {
    this.apiWrites.inc({ kind, verb }, count);
  }

  /** Counts one reported-properties patch. */
  recordTwinPatch(result: TwinPatchResult): void {
    this.twinPatches.inc({ result });
  }

  /** Counts one watch restart. */
  recordWatchRestart(): void {
    this.watchRestarts.inc();
  }

  /** Sets the last desired `$version` processed. */
  setLastDesiredVersion(version: number): void {
    this.lastDesiredVersion.set(version);
  }

  /** Leader election: whether this bridge (`identity`) leads, and who holds the Lease (undefined: nobody). */
  setLeadership(identity: string, leading: boolean, holder: string | undefined): void {
    this.leader.reset();
    this.leader.set({ identity }, leading ? 1 : 0);
    this.leaseHolder.reset();
    if (holder !== undefined) this.leaseHolder.set({ holder }, 1);
  }

  /**
   * Sets the module count per runtime status from the modules' current statuses. Every status
   * is written (0 when absent) so a status that empties drops to 0 instead of keeping its value.
   */
  setModuleStatuses(statuses: Iterable<string>): void {
    const counts = new Map<string, number>([...this.statusesShown].map((s) => [s, 0]));
    for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const s of counts.keys()) this.statusesShown.add(s);
    for (const [status, n] of counts) this.modules.set({ runtime_status: status }, n);
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link text} (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }
}
