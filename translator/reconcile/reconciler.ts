/**
 * The Reconciler: makes the device namespace match one desired deployment.
 * read the namespace from the informer cache (no API request) -> plan (pure) -> write group by
 * group in startupOrder, waiting for each written group's workloads to start (bounded; the
 * cache's watch events wake the wait, nothing is polled) -> prune. Writes are server-side
 * applies with a fixed field manager and force; an object whose hash annotation and owned
 * fields match costs nothing. Every answer to a write goes into the cache, so the watch
 * events of the bridge's own writes trigger nothing.
 * Every client failure is normalized (errors.ts) and turned into a typed outcome.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../translate/index.js';
import { KubeApiError, isKubeError, isNotFound, isRetryable, kubeCall } from './errors.js';
import { MANAGED_KINDS, POD_KIND, objectKey, workloadRules, type KubeJson } from '../kinds/index.js';
import { CoreV1Api, PatchStrategy, RegistryObjectApi } from '../kube/index.js';
import type { InformerCache } from './informer.js';
import { MODULE_LABEL } from '../translate/index.js';
import { LAST_GOOD_KEY, LAST_GOOD_SECRET, LastGoodError, decodeLastGood, lastGoodSecret, type LastGood } from './last-good.js';
import { desiredProblems, planReconcile, type StartupGroup, type WriteAction } from './plan.js';
import type { DesiredDeployment, ReconcileLog, ReconcileOutcome, ReconcilerOptions } from './types.js';

/** Default field manager of server-side apply. */
export const DEFAULT_FIELD_MANAGER = 'iotedge-k8s';
/** Default bound of the wait between startupOrder groups. */
export const DEFAULT_STARTUP_GROUP_TIMEOUT_MS = 60_000;
/** Writes in flight at once within one kind of one startup group. */
const WRITE_CONCURRENCY = 8;
/** How long a group must stay started before the next group starts. */
const STARTUP_SETTLE_MS = 100;
/** Longest wait for a replaced Job to disappear before the reconcile is retried. */
const JOB_GONE_TIMEOUT_MS = 30_000;

/** The desired state cannot be applied as it is (maps to a terminal 400 outcome). */
class InvalidDesiredState extends Error {
  override readonly name = 'InvalidDesiredState';
}

/** A write the reconciler made, with what the server returned. */
interface Written {
  action: WriteAction;
  result: KubernetesObject;
}

let reconcileCounter = 0;

/**
 * Applies desired deployments to one device namespace. See docs/reconcile.md.
 * @see ReconcilerOptions for the defaults.
 */
export class Reconciler {
  private readonly objects: RegistryObjectApi;
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  private readonly deviceId: string;
  private readonly fieldManager: string;
  private readonly groupTimeoutMs: number;
  private readonly log: ReconcileLog;
  private readonly cache: InformerCache;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: ReconcilerOptions) {
    this.objects = RegistryObjectApi.forConfig(options.kubeConfig);
    this.core = new CoreV1Api(options.kubeConfig);
    this.namespace = options.namespace;
    this.deviceId = options.deviceId;
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.groupTimeoutMs = options.startupGroupTimeoutMs ?? DEFAULT_STARTUP_GROUP_TIMEOUT_MS;
    this.log = options.log ?? (() => undefined);
    this.cache = options.cache;
  }

  /** Creates the namespace when it does not exist. */
  async ensureNamespace(): Promise<void> {
    const name = this.namespace;
    try {
      await kubeCall(`read Namespace/${name}`, () => this.core.readNamespace({ name }));
      return;
    } catch (error) {
      if (!(isKubeError(error) && isNotFound(error))) throw error;
    }
    try {
      await kubeCall(`create Namespace/${name}`, () => this.core.createNamespace({ body: { metadata: { name } } }));
      this.log('info', 'namespace created', { namespace: name });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    }
  }

  /**
   * Makes the namespace match `desired`; never throws. Calls are serialized: a call made while
   * another runs starts when it ends (the scheduler already avoids that; this is a guard).
   */
  reconcile(desired: DesiredDeployment, hooks: ReconcileHooks = {}): Promise<ReconcileOutcome> {
    const next = this.tail.then(() => this.reconcileNow(desired, hooks));
    this.tail = next;
    return next;
  }

  private async reconcileNow(desired: DesiredDeployment, hooks: ReconcileHooks): Promise<ReconcileOutcome> {
    const id = ++reconcileCounter;
    const started = Date.now();
    this.log('debug', 'reconcile start', { reconcile: id, version: desired.version, objects: desired.objects.length });
    let writes = 0;
    const count = () => void writes++;
    try {
      const result = await this.run(desired, count, id, hooks);
      this.log('info', 'reconcile done', { reconcile: id, version: desired.version, writes, applied: result.applied, pruned: result.pruned, ms: Date.now() - started });
      return { kind: 'done', writes, ...result };
    } catch (error) {
      const outcome = this.outcomeOf(error);
      this.log(outcome.kind === 'retry' ? 'warn' : 'error', `reconcile ${outcome.kind}`, { reconcile: id, version: desired.version, writes, error: outcome.kind === 'retry' ? outcome.error : outcome.description });
      return outcome;
    }
  }

  private outcomeOf(error: unknown): Exclude<ReconcileOutcome, { kind: 'done' }> {
    if (error instanceof InvalidDesiredState) return { kind: 'terminal', code: 400, description: error.message };
    if (isKubeError(error)) {
      if (isRetryable(error)) return { kind: 'retry', afterMs: error instanceof KubeApiError ? (error.retryAfterMs ?? 0) : 0, error: error.message };
      return { kind: 'terminal', code: 400, description: error instanceof KubeApiError ? `the Kubernetes API refused ${error.message}` : error.message };
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'terminal', code: 500, description: `internal error while reconciling: ${message}` };
  }

  private async run(desired: DesiredDeployment, count: () => void, id: number, hooks: ReconcileHooks): Promise<{ applied: string[]; pruned: string[] }> {
    const objects = desired.objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? this.namespace } }));
    const problems = desiredProblems(objects, this.namespace, this.deviceId);
    if (problems.length > 0) throw new InvalidDesiredState(problems.map((p) => p.message).join('; '));

    const { owned, foreign } = await this.readNamespace();
    const taken = objects.map(objectKey).filter((key) => foreign.has(key));
    if (taken.length > 0)
      throw new InvalidDesiredState(
        `${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''} in namespace '${this.namespace}' and ${taken.length === 1 ? 'is' : 'are'} not managed by iotedge-k8s for device '${this.deviceId}'; left untouched`,
      );
    const plan = planReconcile(objects, owned, desired.model);

    const applied: string[] = [];
    const writableGroups = plan.groups.filter((g) => g.writes.length > 0);
    let alongside: Promise<unknown> | undefined;
    // On the next turn of the event loop, not in the job that starts the last wave: Node hands a
    // request to its pooled connection on process.nextTick, after the job and its microtasks, so
    // work started in the same job (the bridge encodes, compresses and compares the last-good
    // Secret) would hold the whole wave back (1-5 ms at 10 modules, traced in bench/bridge.ts).
    const startAlongside = () => (alongside ??= nextTurn().then(() => hooks.alongsideLastWrites?.()));
    for (const [index, group] of writableGroups.entries()) {
      const written: Written[] = [];
      const waves = byKind(group.writes, (w) => w.object.kind);
      for (const [w, wave] of waves.entries()) {
        const writing = mapLimit(wave, WRITE_CONCURRENCY, async (action) => ({ action, result: await this.write(action, count) }));
        const lastWave = index === writableGroups.length - 1 && w === waves.length - 1;
        const results = lastWave ? await bothSettled(writing, startAlongside()) : await writing;
        for (const w of results) {
          written.push(w);
          applied.push(objectKey(w.action.object));
          this.log('debug', 'written', { reconcile: id, object: objectKey(w.action.object), mode: w.action.mode, reason: w.action.reason });
        }
      }
      if (index < writableGroups.length - 1) await this.waitForGroup(group, written, id);
    }
    await startAlongside(); // no write at all: after the (empty) plan, as before
    if (plan.keptClaims.length > 0) this.log('info', 'claims kept: still mounted by a desired module', { reconcile: id, claims: plan.keptClaims });
    const pruned: string[] = [];
    for (const wave of byKind(plan.prune, (o) => o.kind)) {
      const deleted = await mapLimit(wave, WRITE_CONCURRENCY, (object) => this.remove(object, count));
      pruned.push(...wave.filter((_, i) => deleted[i]).map(objectKey));
    }
    return { applied, pruned };
  }

  /**
   * Every object of the managed kinds in the namespace, split into the device's own (by
   * "Kind/name") and the names of the others, from the cache (started here when it was not).
   */
  private async readNamespace(): Promise<{ owned: Map<string, KubeObject>; foreign: Set<string> }> {
    await this.cache.start();
    const failure = this.cache.syncError();
    if (failure) throw failure;
    return { owned: this.cache.owned(MANAGED_KINDS) as Map<string, KubeObject>, foreign: this.cache.foreign() };
  }

  private async write(action: WriteAction, count: () => void): Promise<KubernetesObject> {
    if (action.mode === 'replace') {
      await this.remove(action.object, count);
      await this.waitGone(action.object);
    }
    const key = objectKey(action.object);
    const written = this.cache.writing(action.object.kind, action.object.metadata.name);
    try {
      const result = await kubeCall(`apply ${key}`, () =>
        this.objects.patch(action.object as KubernetesObject, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply),
      );
      count();
      this.cache.recordApplied({ ...(result as KubeJson), kind: action.object.kind });
      return result;
    } finally {
      written();
    }
  }

  /** Deletes an object (dependents in the background); true when deleted, false when it was already gone (404). */
  private async remove(object: KubeObject, count: () => void): Promise<boolean> {
    const { kind, metadata } = object;
    const uid = this.cache.get(kind, metadata.name)?.metadata?.uid ?? (metadata.uid as string | undefined);
    const written = this.cache.writing(kind, metadata.name);
    try {
      await kubeCall(`delete ${objectKey(object)}`, () => this.objects.delete(header(object), undefined, undefined, undefined, undefined, 'Background'));
      count();
      this.cache.recordDeleted(kind, metadata.name, uid);
      return true;
    } catch (error) {
      if (!(isKubeError(error) && isNotFound(error))) throw error;
      this.cache.recordDeleted(kind, metadata.name, uid);
      return false;
    } finally {
      written();
    }
  }

  /** Waits until the cache has seen a deleted object go (its watch's DELETED event). */
  private async waitGone(object: KubeObject): Promise<void> {
    const gone = await this.cache.waitFor(() => !this.cache.deleting(object.kind, object.metadata.name), JOB_GONE_TIMEOUT_MS);
    if (!gone) throw new KubeApiError(409, 'Conflict', `${objectKey(object)} is still being deleted`, undefined, `replace ${objectKey(object)}`);
  }

  /** Waits until the group's written workloads have started, at most the group timeout. */
  private async waitForGroup(group: StartupGroup, written: readonly Written[], id: number): Promise<void> {
    const workloads = written.filter((w) => workloadRules(w.action.object.kind) !== undefined);
    if (workloads.length === 0) return;
    const pending = () => workloads.filter((w) => !this.workloadStarted(w));
    const deadline = Date.now() + this.groupTimeoutMs;
    while (await this.cache.waitFor(() => pending().length === 0, deadline - Date.now())) {
      // Still started a moment later: a container that crashes right after its start has not started.
      await this.cache.waitFor(() => pending().length > 0, Math.min(STARTUP_SETTLE_MS, Math.max(0, deadline - Date.now())));
      if (pending().length === 0) {
        this.log('debug', 'startup group started', { reconcile: id, order: group.order, modules: group.modules });
        return;
      }
      if (Date.now() >= deadline) break;
    }
    this.log('warn', 'startup group timed out; starting the next group', {
      reconcile: id,
      order: group.order,
      waiting: pending().map((w) => objectKey(w.action.object)),
      timeoutMs: this.groupTimeoutMs,
    });
  }

  /** Whether a written workload has started, by its kind's rule, from the cache. */
  private workloadStarted({ action, result }: Written): boolean {
    const object = action.object;
    const rules = workloadRules(object.kind)!;
    const live = this.cache.get(object.kind, object.metadata.name) ?? ({ ...result, kind: object.kind } as KubeJson);
    const module = object.metadata.labels?.[MODULE_LABEL];
    const pods = this.cache.list(POD_KIND.kind).filter((pod) => module === undefined || pod.metadata?.labels?.[MODULE_LABEL] === module);
    return rules.started(live, result.metadata?.generation, pods);
  }

  /**
   * Stores the last good deployment in the namespace's `iotedge-k8s-last-good` Secret, unless
   * the Secret (as the cache holds it) already has the same manifest: a new version with the
   * same content costs no write (the stored version then stays the older one). True when written.
   */
  async saveLastGood(desired: LastGood): Promise<boolean> {
    await this.cache.start();
    const stored = this.cache.get('Secret', LAST_GOOD_SECRET) as { data?: Record<string, string> } | undefined;
    const data = stored?.data?.[LAST_GOOD_KEY];
    if (data !== undefined) {
      try {
        if (isDeepStrictEqual(decodeLastGood(data).manifest, JSON.parse(JSON.stringify(desired.manifest)))) return false;
      } catch (error) {
        if (!(error instanceof LastGoodError)) throw error;
      }
    }
    const secret = lastGoodSecret(this.namespace, desired);
    const written = this.cache.writing('Secret', LAST_GOOD_SECRET);
    try {
      const result = await kubeCall(`apply Secret/${LAST_GOOD_SECRET}`, () =>
        this.objects.patch(secret as KubernetesObject, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply),
      );
      this.cache.recordApplied({ ...(result as KubeJson), kind: 'Secret' });
    } finally {
      written();
    }
    this.log('info', 'last good deployment saved', { version: desired.version });
    return true;
  }

  /** The stored last good deployment; undefined when there is none or it cannot be read (logged). */
  async loadLastGood(): Promise<LastGood | undefined> {
    let data: string | undefined;
    try {
      const secret = await kubeCall(`read Secret/${LAST_GOOD_SECRET}`, () => this.core.readNamespacedSecret({ name: LAST_GOOD_SECRET, namespace: this.namespace }));
      data = secret.data?.[LAST_GOOD_KEY];
    } catch (error) {
      if (isKubeError(error) && isNotFound(error)) return undefined;
      throw error;
    }
    if (data === undefined) {
      this.log('warn', `Secret ${LAST_GOOD_SECRET} has no '${LAST_GOOD_KEY}' key; ignoring it`);
      return undefined;
    }
    try {
      return decodeLastGood(data);
    } catch (error) {
      if (!(error instanceof LastGoodError)) throw error;
      this.log('warn', 'last good deployment unreadable; ignoring it', { error: error.message });
      return undefined;
    }
  }
}

/**
 * Consecutive runs of items of the same kind, in order: each run is written in parallel, runs
 * one after another, so Secrets and ServiceAccounts exist before the workloads that use them.
 */
function byKind<T>(items: readonly T[], kindOf: (item: T) => string): T[][] {
  const waves: T[][] = [];
  for (const item of items) {
    const last = waves[waves.length - 1];
    if (last && kindOf(last[0]!) === kindOf(item)) last.push(item);
    else waves.push([item]);
  }
  return waves;
}

/** Maps with at most `limit` calls in flight; results in input order; the first failure rejects (after in-flight calls settle). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** Resolves on the event loop's next turn (its check phase), after the I/O this one started. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Awaits both (the second's failure is its caller's business: it should not throw); the first's result or failure. */
async function bothSettled<T>(first: Promise<T>, second: Promise<unknown>): Promise<T> {
  const [a] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  return a.value;
}

/** Work a reconcile runs together with its writes. */
export interface ReconcileHooks {
  /**
   * Started together with the last wave of writes, on the event loop's turn after the wave's
   * requests went out (or after the plan when nothing is written), awaited before the reconcile
   * goes on; it must not throw. The bridge writes the last-good Secret here, so that it is not
   * one more round trip after the last module.
   */
  alongsideLastWrites?: () => Promise<unknown>;
}

/** apiVersion, kind, name and namespace: what read and delete need. */
function header(object: KubeObject): KubernetesObject & { metadata: { name: string; namespace: string } } {
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace ?? '' } };
}
