/**
 * The bridge: one device's desired deployments in, Kubernetes objects applied, reported
 * properties out. This is the one place where the stages are wired together with rxjs:
 *
 *   desired$ ──> accept (validate + translate) ──┐
 *   watcher.changes$ ────────────────────────────┼─> scheduleReconciles ─> Reconciler
 *   periodic resync ─────────────────────────────┘
 *   watcher.observed$ (status too) + runs ─> (debounce) ─> observe ─> status ─> report(document)
 *
 * Invalid desired state is reported as lastDesiredStatus and never replaces what is running.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api, AppsV1Api, BatchV1Api } from '@kubernetes/client-node';
import { Subject, Subscription, debounceTime, map, merge, type Observable } from 'rxjs';
import { hasErrors, statusOf, type Diagnostic } from '../manifest/diagnostics.js';
import type { ManifestResult } from '../manifest/index.js';
import type { DeploymentModel } from '../manifest/model.js';
import { OwnedObjectsWatcher, Reconciler, scheduleReconciles, ownedSelector, type ReconcileOutcome, type ReconcileRun } from '../reconcile/index.js';
import { moduleStatuses, reportedDocument, versionProgress, type DesiredStatus, type ObservedObjects, type ReportedDocument } from '../status/index.js';
import { translate } from '../translate/index.js';
import type { TranslateOptions } from '../translate/options.js';
import type { KubeObject } from '../translate/types.js';
import { bridgeVersion, platform } from './identity.js';

/** One desired deployment as a source delivers it: already loaded and validated. */
export interface DesiredInput {
  /** Twin `$version`, or the local save counter. */
  version: number;
  manifest: ManifestResult;
}

export type BridgeLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

export interface BridgeOptions {
  kubeConfig: KubeConfig;
  /** The device's namespace (created when missing). */
  namespace: string;
  deviceId: string;
  /** Translation options; namespace and deviceId are taken from above. */
  translate?: Partial<TranslateOptions>;
  desired$: Observable<DesiredInput>;
  /** Receives every new reported document (the twin publisher coalesces and diffs). */
  report: (document: ReportedDocument) => void;
  log?: BridgeLog;
  /** @default 300000 */
  resyncMs?: number;
  /** @default 60000 */
  startupGroupTimeoutMs?: number;
  /** Quiet time before observed changes are turned into a report. @default 200 */
  statusDebounceMs?: number;
  /** Called after each reconcile (metrics). */
  onRun?: (run: ReconcileRun) => void;
  /** Called for each API write: the reconcile's applies and deletions, and the last-good Secret. */
  onApiWrite?: (kind: string, verb: 'apply' | 'delete') => void;
}

interface Current {
  version: number;
  model: DeploymentModel;
  objects: KubeObject[];
}

const KEY = 'device';

export class Bridge {
  private readonly reconciler: Reconciler;
  private readonly watcher: OwnedObjectsWatcher;
  private readonly triggers = new Subject<typeof KEY>();
  private readonly observed = new Subject<void>();
  private readonly subscriptions = new Subscription();
  private readonly log: BridgeLog;
  private readonly startedAt = new Date().toISOString();
  private current: Current | undefined;
  private savedVersion: number | undefined;
  /** Version of the deployment the last reconcile worked on. */
  private reconciledVersion: number | undefined;
  private lastDesiredVersion = 0;
  private lastDesiredStatus: DesiredStatus = { code: 406, description: 'no deployment received yet' };
  private lastReport: ReportedDocument | undefined;
  private lastOutcome: ReconcileOutcome | undefined;
  /** The version the cluster accepted; reported once its modules are created (or failed to be). */
  private appliedVersion: number | undefined;

  constructor(private readonly options: BridgeOptions) {
    this.log = options.log ?? (() => undefined);
    const { kubeConfig, namespace, deviceId } = options;
    this.reconciler = new Reconciler({ kubeConfig, namespace, deviceId, startupGroupTimeoutMs: options.startupGroupTimeoutMs, log: this.log });
    this.watcher = new OwnedObjectsWatcher({ kubeConfig, namespace, deviceId, log: this.log });
  }

  /** The deployment being run, if any. */
  get model(): DeploymentModel | undefined {
    return this.current?.model;
  }

  get desiredStatus(): { version: number; status: DesiredStatus } {
    return { version: this.lastDesiredVersion, status: this.lastDesiredStatus };
  }

  /** The last reported document built. */
  get report(): ReportedDocument | undefined {
    return this.lastReport;
  }

  get watchRestarts(): number {
    return this.watcher.restarts;
  }

  /** True once a deployment is applied; else why not. */
  ready(): true | string {
    if (!this.current) return 'no deployment received yet';
    if (this.lastOutcome?.kind !== 'done') return `deployment ${this.current.version} not applied yet`;
    return true;
  }

  async start(): Promise<void> {
    await this.reconciler.ensureNamespace();
    const lastGood = await this.reconciler.loadLastGood().catch((e: unknown) => {
      this.log('warn', 'the last good deployment could not be read; starting without it', { error: (e as Error).message });
      return undefined;
    });
    await this.watcher.start();
    const changes$ = this.watcher.changes$;
    const runs$ = scheduleReconciles({
      triggers: merge(this.triggers, changes$.pipe(map(() => KEY))),
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
        .pipe(debounceTime(this.options.statusDebounceMs ?? 200))
        .subscribe(() => void this.refreshStatus()),
    );
    // After the loop is subscribed, so the trigger of the last good deployment is not lost.
    if (lastGood && isModelBackup(lastGood.manifest)) {
      this.log('info', 'running the last good deployment until a new one arrives', { version: lastGood.version });
      this.savedVersion = lastGood.version;
      this.accept({ version: lastGood.version, manifest: { model: lastGood.manifest.model, diagnostics: [] } });
    }
    this.subscriptions.add(this.options.desired$.subscribe((input) => this.accept(input)));
    this.observed.next();
  }

  async stop(): Promise<void> {
    this.subscriptions.unsubscribe();
    await this.watcher.stop();
  }

  /** Validates and translates a new desired deployment; only a clean one replaces the current. */
  private accept(input: DesiredInput): void {
    const { model, diagnostics } = input.manifest;
    const all: Diagnostic[] = [...diagnostics];
    let objects: KubeObject[] = [];
    if (model) {
      const result = translate(model, { ...this.options.translate, namespace: this.options.namespace, deviceId: this.options.deviceId });
      all.push(...result.diagnostics);
      objects = result.objects;
    }
    if (!model || hasErrors(all)) {
      this.lastDesiredVersion = input.version;
      this.lastDesiredStatus = { code: statusOf(all), description: describe(all) };
      this.log('warn', 'desired deployment rejected; the running one stays', { version: input.version, code: this.lastDesiredStatus.code, description: this.lastDesiredStatus.description });
      this.observed.next();
      return;
    }
    for (const d of all) this.log('warn', `${d.pointer}: ${d.message}`, { version: input.version, rule: d.rule });
    // lastDesiredVersion and lastDesiredStatus follow once a reconcile of this version ends.
    this.current = { version: input.version, model, objects };
    this.log('info', 'desired deployment accepted', { version: input.version, modules: model.modules.length, objects: objects.length });
    this.triggers.next(KEY);
  }

  private async reconcileOnce(): Promise<ReconcileOutcome> {
    const current = this.current;
    if (!current) return { kind: 'done', writes: 0, applied: [], pruned: [] };
    this.reconciledVersion = current.version;
    const outcome = await this.reconciler.reconcile(current);
    if (outcome.kind === 'done') {
      const kindOf = (key: string) => key.slice(0, key.indexOf('/'));
      for (const key of outcome.applied) this.options.onApiWrite?.(kindOf(key), 'apply');
      for (const key of outcome.pruned) this.options.onApiWrite?.(kindOf(key), 'delete');
    }
    if (outcome.kind === 'done' && this.savedVersion !== current.version) {
      await this.reconciler.saveLastGood({ version: current.version, manifest: { model: current.model } });
      this.options.onApiWrite?.('Secret', 'apply');
      this.savedVersion = current.version;
    }
    return outcome;
  }

  private afterRun(run: ReconcileRun): void {
    this.lastOutcome = run.outcome;
    const version = this.reconciledVersion;
    // A version is reported once applied (200) or refused by the cluster; never in place of a newer rejected one.
    // Applied: reported by refreshStatus once its modules are created, as edgeAgent reports a version once its plan ran.
    if (version !== undefined && version >= this.lastDesiredVersion && run.outcome.kind === 'done') this.appliedVersion = version;
    if (version !== undefined && version >= this.lastDesiredVersion && run.outcome.kind === 'terminal') {
      this.appliedVersion = undefined;
      this.lastDesiredVersion = version;
      this.lastDesiredStatus = { code: run.outcome.code, description: run.outcome.description };
    }
    const level = run.outcome.kind === 'done' ? (run.outcome.writes ? 'info' : 'debug') : 'warn';
    this.log(level, `reconcile ${run.id} (${run.cause}): ${run.outcome.kind}`, { ...run.outcome, durationMs: run.durationMs, version });
    this.options.onRun?.(run);
    this.observed.next();
  }

  private async refreshStatus(): Promise<void> {
    try {
      const observed = this.current ? await this.observe() : undefined;
      if (observed) this.settleDesiredStatus(observed);
      const modules = this.current && observed ? moduleStatuses(this.current.model, observed) : new Map();
      this.lastReport = reportedDocument({
        model: this.current?.model,
        modules,
        lastDesiredVersion: this.lastDesiredVersion,
        lastDesiredStatus: this.lastDesiredStatus,
        bridgeVersion,
        platform,
        startedAt: this.startedAt,
      });
      this.options.report(this.lastReport);
    } catch (e) {
      this.log('warn', 'could not read module status from the cluster; will try again on the next change', { error: (e as Error).message });
    }
  }

  /** lastDesiredStatus of the applied version: 200 once every module is created, 500 naming those that cannot be. */
  private settleDesiredStatus(observed: ObservedObjects): void {
    const applied = this.appliedVersion;
    if (applied === undefined || this.current?.version !== applied || applied < this.lastDesiredVersion) return;
    const progress = versionProgress(this.current.model, observed);
    if (progress.kind === 'pending') return;
    this.lastDesiredVersion = applied;
    this.lastDesiredStatus = progress.kind === 'created' ? { code: 200, description: '' } : progress.status;
  }

  private async observe(): Promise<ObservedObjects> {
    const { kubeConfig, namespace, deviceId } = this.options;
    const labelSelector = ownedSelector(deviceId);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const batch = kubeConfig.makeApiClient(BatchV1Api);
    const [pods, deployments, jobs, services] = await Promise.all([
      core.listNamespacedPod({ namespace, labelSelector }),
      apps.listNamespacedDeployment({ namespace, labelSelector }),
      batch.listNamespacedJob({ namespace, labelSelector }),
      core.listNamespacedService({ namespace, labelSelector }),
    ]);
    // The status stage reads plain JSON; the client's typed objects carry Date instances.
    const plain = <T>(items: unknown[]): T[] => JSON.parse(JSON.stringify(items)) as T[];
    return {
      pods: plain(pods.items),
      deployments: plain(deployments.items),
      jobs: plain(jobs.items),
      services: plain(services.items),
    };
  }
}

function isModelBackup(value: unknown): value is { model: DeploymentModel } {
  return typeof value === 'object' && value !== null && 'model' in value && typeof (value as { model: unknown }).model === 'object';
}

/** lastDesiredStatus.description: the errors, each with its pointer, within a twin-friendly length. */
function describe(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const text = errors.map((d) => `${d.pointer || '/'}: ${d.message}`).join('; ');
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}
