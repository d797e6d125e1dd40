/**
 * The bridge: one device's desired deployments in, Kubernetes objects applied, reported
 * properties out. This is the one place where the stages are wired together with rxjs; each
 * stage's policy lives in its own folder:
 *
 *   desired$ ──> admitDeployment (translate) ──┐
 *   cache.changes$ ────────────────────────────┼─> scheduleReconciles ─> Reconciler ─> LastGoodKeeper
 *   periodic resync ───────────────────────────┘             │
 *   cache.observed$ + admissions + runs ─> (throttle) ─> observe (cache) ─> moduleStatuses
 *                                               ─> reportedDocument ─> report(document)
 *   cache.observed$ while a version awaits its modules ─> settle (once per job) ─> (changed) report at once
 *
 * changes$ ticks for drift of the objects the bridge writes (a deleted or edited Deployment,
 * Service, Secret...), never for pods: pods coming and going (a rollout) only refresh the status
 * through observed$, and wake the startup-group waits through the cache's waitFor.
 *
 * Invalid desired state is reported as lastDesiredStatus and never replaces what is running.
 * A valid deployment that the cluster refuses (an API 4xx: admission, quota) is reported too,
 * retried with backoff, and meanwhile the last deployment that applied stays enforced: a
 * reconcile triggered by a change in the cluster restores it (self-healing goes on).
 */
import type { KubeConfig } from '../kube/index.js';
import { Subject, Subscription, asyncScheduler, filter, map, merge, throttleTime, timer } from 'rxjs';
import { POD_KIND, WORKLOAD_KINDS, kindSpec } from '../kinds/index.js';
import type { DeploymentModel } from '../manifest/index.js';
import { InformerCache, LAST_GOOD_SECRET, LastGoodKeeper, Reconciler, scheduleReconciles, type ReconcileOutcome, type ReconcileRun } from '../reconcile/index.js';
import type { DesiredInput, DesiredSource } from '../sources/index.js';
import { DesiredStatusTracker, moduleStatuses, reportedDocument, type DesiredStatus, type ObservedObjects, type ReportedDocument } from '../status/index.js';
import { backoffDelay, jsonEqual, type BackoffOptions } from '../shared/index.js';
import { admitDeployment, type KubeObject, type TranslateOptions } from '../translate/index.js';
import { bridgeVersion, platform } from './identity.js';

export type BridgeLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

export interface BridgeOptions {
  kubeConfig: KubeConfig;
  /** The device's namespace (created when missing). */
  namespace: string;
  deviceId: string;
  /** Translation options; namespace and deviceId are taken from above. */
  translate?: Partial<TranslateOptions>;
  desired$: DesiredSource['desired$'];
  /** Receives every new reported document (the twin publisher coalesces and diffs). */
  report: (document: ReportedDocument) => void;
  log?: BridgeLog;
  /** @default 300000 */
  resyncMs?: number;
  /** @default 60000 */
  startupGroupTimeoutMs?: number;
  /**
   * Least time between two status refreshes caused by observed changes: the first change after
   * a quiet spell is reported at once, a stream of changes at most once per interval (the last
   * one always). A reconcile that ends refreshes at once, whatever the interval. @default 50
   */
  statusIntervalMs?: number;
  /** Called after each reconcile (metrics). */
  onRun?: (run: ReconcileRun) => void;
  /** The namespace's informer cache, when the caller shares it (direct methods read it too); else the bridge makes one. Stopped by stop(). */
  cache?: InformerCache;
  /** Called for each API write: the reconcile's applies and deletions, and the last-good Secret. */
  onApiWrite?: (kind: string, verb: 'apply' | 'delete') => void;
  /**
   * Runs at the start of every reconcile pass with the deployment being applied (the last good one
   * while a new one is invalid) and returns the objects to apply instead (the module identities'
   * credentials added). When it throws, the pass is a retry: nothing is applied or pruned.
   */
  preparePass?: (deployment: PassInput) => Promise<PreparedPass>;
  /** Appended to edgeAgent's reported statusDescription (e.g. that modules get no credentials). */
  agentNote?: string;
  /** Backoff of the retries of a deployment the cluster refused. @default 5 s doubling to 5 min */
  refusedBackoff?: BackoffOptions;
  /** When the bridge started (edgeAgent's `lastStartTimeUtc`, RFC 3339): `run` writes the same into its Lease. @default construction time */
  startedAt?: string;
}

/** The deployment a reconcile pass is about to apply. */
export interface PassInput {
  version: number;
  model: DeploymentModel;
  objects: readonly KubeObject[];
}

/** What {@link BridgeOptions.preparePass} returns. */
export interface PreparedPass {
  objects: KubeObject[];
  /** Module id -> a problem with the module (its identity), appended to its reported statusDescription. */
  moduleNotes?: ReadonlyMap<string, string>;
  /** Run another pass after this many milliseconds (a retry of what failed, a certificate check). */
  nextPassInMs?: number;
}

/** Default of {@link BridgeOptions.statusIntervalMs}. */
export const DEFAULT_STATUS_INTERVAL_MS = 50;

/** Default backoff of a refused deployment's retries. */
export const REFUSED_BACKOFF: BackoffOptions = { initialMs: 5_000, maxMs: 5 * 60_000 };

/** The deployment being run. */
interface Current {
  version: number;
  model: DeploymentModel;
  objects: KubeObject[];
}

/** A newer deployment than the enforced one, not applied yet; `attempts` refusals so far. */
interface Pending {
  deployment: Current;
  attempts: number;
  /** Not tried again before this time (ms since the epoch) after a refusal. */
  retryAt: number;
}

const KEY = 'device';

export class Bridge {
  private readonly reconciler: Reconciler;
  private readonly watcher: InformerCache;
  private readonly lastGood: LastGoodKeeper;
  private readonly desiredTracker = new DesiredStatusTracker();
  private readonly triggers = new Subject<typeof KEY>();
  private readonly observed = new Subject<void>();
  private readonly subscriptions = new Subscription();
  private readonly log: BridgeLog;
  private readonly startedAt: string;
  /** The deployment being enforced: the last one that applied (or the restored last good one). */
  private current: Current | undefined;
  /** A newer admitted deployment that has not applied yet (new, or refused by the cluster). */
  private pending: Pending | undefined;
  private retryTimer: Subscription | undefined;
  /** Version of the deployment the last reconcile worked on. */
  private reconciledVersion: number | undefined;
  private lastReport: ReportedDocument | undefined;
  private lastOutcome: ReconcileOutcome | undefined;
  private moduleNotes: ReadonlyMap<string, string> = new Map();
  private nextPass: ReturnType<typeof setTimeout> | undefined;
  /** A settle is queued for the end of the current job (see {@link queueSettle}). */
  private settleQueued = false;
  private stopped = false;

  constructor(private readonly options: BridgeOptions) {
    this.log = options.log ?? (() => undefined);
    this.startedAt = options.startedAt ?? new Date().toISOString();
    const { kubeConfig, namespace, deviceId } = options;
    this.watcher = options.cache ?? new InformerCache({ kubeConfig, namespace, deviceId, log: this.log });
    this.reconciler = new Reconciler({ kubeConfig, namespace, deviceId, startupGroupTimeoutMs: options.startupGroupTimeoutMs, log: this.log, cache: this.watcher });
    this.lastGood = new LastGoodKeeper(this.reconciler, this.log);
  }

  /** The deployment being run (the last one that applied), if any. */
  get model(): DeploymentModel | undefined {
    return this.shown()?.model;
  }

  /** The deployment the reports describe: a new one being applied, else the enforced one (not a refused one). */
  private shown(): Current | undefined {
    if (this.pending && (this.pending.attempts === 0 || !this.current)) return this.pending.deployment;
    return this.current;
  }

  get desiredStatus(): { version: number; status: DesiredStatus } {
    return this.desiredTracker.current;
  }

  /** The last reported document built. */
  get report(): ReportedDocument | undefined {
    return this.lastReport;
  }

  /** The namespace as the bridge knows it (for direct methods). */
  get cache(): InformerCache {
    return this.watcher;
  }

  get watchRestarts(): number {
    return this.watcher.restarts;
  }

  /** True once a deployment is applied; else why not. */
  ready(): true | string {
    const running = this.shown();
    if (!running) return 'no deployment received yet';
    if (!this.current || this.lastOutcome?.kind !== 'done') return `deployment ${running.version} not applied yet`;
    return true;
  }

  async start(): Promise<void> {
    await this.reconciler.ensureNamespace();
    const restored = await this.lastGood.restore();
    await this.watcher.start();
    const runs$ = scheduleReconciles({
      triggers: merge(this.triggers, this.watcher.changes$.pipe(map(() => KEY)), this.lastGoodDeleted().pipe(map(() => KEY))),
      reconcile: () => this.reconcileOnce(),
      resyncMs: this.options.resyncMs,
    });
    this.subscriptions.add(
      runs$.subscribe({
        next: (run) => this.afterRun(run),
        error: (e: unknown) => this.log('error', 'reconcile loop failed', { error: (e as Error).message }),
      }),
    );
    this.subscriptions.add(
      merge(this.watcher.observed$, this.observed)
        .pipe(throttleTime(this.options.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS, asyncScheduler, { leading: true, trailing: true }))
        .subscribe(() => this.refreshStatus()),
    );
    // The change that settles an applied version is reported at once, not at the end of the interval.
    this.subscriptions.add(this.watcher.observed$.subscribe(() => this.queueSettle()));
    // After the loop is subscribed, so the trigger of the last good deployment is not lost.
    if (restored) this.accept({ version: restored.version, manifest: { model: restored.model, diagnostics: [] } });
    this.subscriptions.add(this.options.desired$.subscribe((input) => this.accept(input)));
    this.refreshStatus();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.nextPass);
    this.retryTimer?.unsubscribe();
    this.subscriptions.unsubscribe();
    await this.watcher.stop();
  }

  /** The last-good Secret (not a module's object, so not in changes$) deleted: the next reconcile writes it again. */
  private lastGoodDeleted() {
    return this.watcher.events$.pipe(filter((e) => e.type === 'DELETED' && e.kind === 'Secret' && e.object.metadata?.name === LAST_GOOD_SECRET));
  }

  /** A new desired deployment: only an admitted one replaces the current. */
  private accept(input: DesiredInput): void {
    const { namespace, deviceId } = this.options;
    const admission = admitDeployment(input.manifest, { ...this.options.translate, namespace, deviceId });
    if (admission.kind === 'rejected') {
      this.desiredTracker.rejected(input.version, admission.status);
      this.log('warn', 'desired deployment rejected; the running one stays', { version: input.version, ...admission.status });
      this.observed.next();
      return;
    }
    for (const d of admission.warnings) this.log('warn', `${d.pointer}: ${d.message}`, { version: input.version, rule: d.rule });
    // lastDesiredVersion and lastDesiredStatus follow once a reconcile of this version ends; the
    // enforced deployment changes only when this one applies.
    this.retryTimer?.unsubscribe();
    this.pending = { deployment: { version: input.version, model: admission.model, objects: admission.objects }, attempts: 0, retryAt: 0 };
    this.log('info', 'desired deployment accepted', { version: input.version, modules: admission.model.modules.length, objects: admission.objects.length });
    this.triggers.next(KEY);
  }

  /**
   * Tries the pending deployment (unless it waits out a refusal's backoff); when the cluster
   * refuses it, reports that and enforces the last deployment that applied instead.
   */
  private async reconcileOnce(): Promise<ReconcileOutcome> {
    const pending = this.pending;
    if (pending && pending.retryAt <= Date.now()) {
      const outcome = await this.reconcileDeployment(pending.deployment);
      if (this.pending !== pending) return outcome; // a newer deployment arrived meanwhile: it runs next
      if (outcome.kind === 'done') {
        this.current = pending.deployment;
        this.pending = undefined;
        return outcome;
      }
      if (outcome.kind === 'retry') return outcome;
      this.refused(pending, outcome);
      if (!this.current) return outcome;
    }
    if (!this.current) return { kind: 'done', writes: 0, applied: [], pruned: [] };
    return this.reconcileDeployment(this.current);
  }

  /** The cluster refused `pending`: report it, retry it after a backoff; the enforced deployment stays. */
  private refused(pending: Pending, outcome: Extract<ReconcileOutcome, { kind: 'terminal' }>): void {
    pending.attempts++;
    const delayMs = backoffDelay(pending.attempts, this.options.refusedBackoff ?? REFUSED_BACKOFF);
    pending.retryAt = Date.now() + delayMs;
    this.desiredTracker.reconciled(pending.deployment.version, { code: outcome.code, description: outcome.description });
    this.log('warn', 'the cluster refused the desired deployment; the last one that applied stays enforced', {
      version: pending.deployment.version,
      enforced: this.current?.version,
      attempt: pending.attempts,
      retryInMs: delayMs,
      description: outcome.description,
    });
    this.retryTimer?.unsubscribe();
    this.retryTimer = timer(delayMs).subscribe(() => {
      pending.retryAt = 0; // a timer may fire a little before the clock reaches retryAt
      this.triggers.next(KEY);
    });
  }

  private async reconcileDeployment(current: Current): Promise<ReconcileOutcome> {
    this.reconciledVersion = current.version;
    let objects = current.objects;
    if (this.options.preparePass) {
      try {
        objects = await this.prepare(this.options.preparePass, current);
      } catch (e) {
        return { kind: 'retry', afterMs: 0, error: `the pass could not be prepared (nothing applied): ${(e as Error).message}` };
      }
    }
    // The last-good Secret is written together with the last writes (not one more round trip after
    // them); when the reconcile then fails, the previous last good deployment is written back.
    let saved: Promise<{ wrote: boolean; error?: unknown }> | undefined;
    const outcome = await this.reconciler.reconcile(
      { ...current, objects },
      { alongsideLastWrites: () => (saved = this.lastGood.keep(current).then((wrote) => ({ wrote }), (error: unknown) => ({ wrote: false, error }))) },
    );
    const save = await saved;
    if (save?.wrote) this.options.onApiWrite?.('Secret', 'apply');
    if (outcome.kind !== 'done') {
      if (save?.wrote) await this.revertLastGood(current.version);
      return outcome;
    }
    const kindOf = (key: string) => key.slice(0, key.indexOf('/'));
    for (const key of outcome.applied) this.options.onApiWrite?.(kindOf(key), 'apply');
    for (const key of outcome.pruned) this.options.onApiWrite?.(kindOf(key), 'delete');
    if (save?.error) throw save.error; // as before: the pass is retried
    this.lastGood.confirm(current);
    return outcome;
  }

  /** Puts the last confirmed deployment back into the last-good Secret (version `failed` did not apply). */
  private async revertLastGood(failed: number): Promise<void> {
    try {
      if (await this.lastGood.revert()) this.options.onApiWrite?.('Secret', 'apply');
    } catch (e) {
      this.log('warn', 'the last-good Secret holds a deployment that did not apply and could not be reverted; the next clean reconcile rewrites it', { version: failed, error: (e as Error).message });
    }
  }

  /** Runs the preparePass hook; keeps its module notes and schedules the pass it asks for. */
  private async prepare(preparePass: NonNullable<BridgeOptions['preparePass']>, current: Current): Promise<KubeObject[]> {
    const prepared = await preparePass(current);
    this.moduleNotes = prepared.moduleNotes ?? new Map();
    clearTimeout(this.nextPass);
    if (prepared.nextPassInMs !== undefined && Number.isFinite(prepared.nextPassInMs)) {
      this.nextPass = setTimeout(() => this.triggers.next(KEY), Math.min(Math.max(0, prepared.nextPassInMs), 2 ** 31 - 1));
    }
    return prepared.objects;
  }

  private afterRun(run: ReconcileRun): void {
    this.lastOutcome = run.outcome;
    const version = this.reconciledVersion;
    const { outcome } = run;
    // Applied: reported once its modules are created (refreshStatus settles it), as edgeAgent
    // reports a version once its plan ran; refused by the cluster: reported at once.
    this.desiredTracker.reconciled(version, outcome.kind === 'retry' ? 'retry' : outcome.kind === 'done' ? 'applied' : { code: outcome.code, description: outcome.description });
    const level = outcome.kind === 'done' ? (outcome.writes ? 'info' : 'debug') : 'warn';
    this.log(level, `reconcile ${run.id} (${run.cause}): ${outcome.kind}`, { ...outcome, durationMs: run.durationMs, version });
    this.options.onRun?.(run);
    // At once, not behind the interval of observed changes: the run's outcome (a refusal) or,
    // once its modules are created, the version's 200 goes out without waiting.
    this.refreshStatus();
  }

  /**
   * Settles once per job instead of once per observed change: a watch chunk (the events of one
   * API server turn) is taken event by event in one job, and judging the version after each
   * event cost a walk of the whole cache per event (at 50 modules a rollout is about 850
   * events). The microtask runs right after the job, before any other I/O or timer.
   */
  private queueSettle(): void {
    if (this.settleQueued) return;
    this.settleQueued = true;
    queueMicrotask(() => {
      this.settleQueued = false;
      if (!this.stopped) this.settleNow();
    });
  }

  /**
   * While an applied version waits for its modules ({@link DesiredStatusTracker.awaiting}), judges
   * it on every observed change (pure, from the cache) and refreshes the status at once when its
   * `lastDesiredStatus` changed: the 200 leaves with the pod event that completes the rollout
   * instead of waiting out the status interval. Other changes keep the interval.
   */
  private settleNow(): void {
    const running = this.shown();
    if (!running || !this.desiredTracker.awaiting) return;
    const before = this.desiredTracker.current;
    try {
      this.desiredTracker.settle(running, this.observe());
    } catch {
      return; // refreshStatus logs what the cache cannot give
    }
    if (!jsonEqual(this.desiredTracker.current, before)) this.refreshStatus();
  }

  /** Builds the reported document from the cache (no API request) and hands it to `report`. */
  private refreshStatus(): void {
    try {
      const running = this.shown();
      const observed = running ? this.observe() : undefined;
      const waiting = observed && this.current ? this.desiredTracker.settle(this.current, observed) : undefined;
      if (waiting) this.log('debug', 'applied version not reported yet', { version: this.current?.version, waiting });
      const modules = running && observed ? moduleStatuses(running.model, observed) : new Map();
      const { version, status } = this.desiredTracker.current;
      this.lastReport = reportedDocument({
        model: running?.model,
        modules,
        lastDesiredVersion: version,
        lastDesiredStatus: status,
        bridgeVersion,
        platform,
        startedAt: this.startedAt,
        ...(this.options.agentNote ? { agentNote: this.options.agentNote } : {}),
        moduleNotes: this.moduleNotes,
      });
      this.options.report(this.lastReport);
    } catch (e) {
      this.log('warn', 'could not read module status from the cluster; will try again on the next change', { error: (e as Error).message });
    }
  }

  /** What the cache holds for the status stage (no API request). */
  private observe(): ObservedObjects {
    const cache = this.watcher;
    return {
      pods: cache.list(POD_KIND.kind) as ObservedObjects['pods'],
      workloads: WORKLOAD_KINDS.flatMap((k) => cache.list(k.kind)) as ObservedObjects['workloads'],
      services: cache.list(kindSpec('Service')!.kind) as ObservedObjects['services'],
    };
  }
}
