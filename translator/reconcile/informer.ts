/**
 * InformerCache: the device namespace as the bridge knows it, kept current by list + watch,
 * read by reconcile (planning, pruning, startup waits), status and direct methods instead of
 * listing the API again.
 *
 * Per kind of the registry: list once, then watch from the list's resourceVersion (bookmarks
 * on, a server timeout so a silently dead connection cannot last). A watch that ends is
 * restarted from the last seen resourceVersion; a 410 Gone relists, and objects that vanished
 * between the two lists are emitted as deletes; failures back off exponentially with jitter
 * through the injectable `delay`. All kinds are listed in parallel at start.
 *
 * What is held: every object of the kinds the bridge writes in the namespace (the device's
 * own, and the names of the others, which it must never take over), and the device's Pods.
 *
 * Signals (level-triggered: they carry no payload; readers read the cache):
 * - `changes$`: a relevant change of an object the bridge writes (a kind pruned `owned`):
 *   anything but status: its uid, labels, annotations, deletion mark or any top-level field
 *   except metadata and status changed ({@link relevantChange}). Kinds the bridge only reads (Pods) never
 *   tick it: the reconcile plan does not read them, so a pod created or deleted by a rollout
 *   would only cause a reconcile with nothing to write.
 * - `observed$`: any change of an owned object, Pods and status included (what the status
 *   reporter reads).
 * Every change also wakes {@link InformerCache.waitFor}: the startup-group waits follow pods
 * through it, not through `changes$`.
 * The bridge's own writes are recorded from the API's answers ({@link recordApplied},
 * {@link recordDeleted}); the watch events they cause then change nothing in the cache and
 * signal nothing, so the bridge's own applies do not trigger reconcile or status storms.
 *
 * Learned from client-go's reflector/informer and @kubernetes/client-node's ListWatch
 * (`src/cache.ts`): list, watch from the list's resourceVersion, relist on 410.
 */
import { Subject, type Observable } from 'rxjs';
import { KINDS, collectionPath, objectKey, type KindSpec, type KubeJson, type ObjectReader } from '../kinds/index.js';
import { RegistryObjectApi, Watch, type KubeConfig } from '../kube/index.js';
import { backoffDelay, jsonEqual, type BackoffOptions } from '../shared/index.js';
import { KubeApiError, isKubeError, kubeCall, type KubeError } from './errors.js';
import { isOwnedBy, ownedSelector } from '../translate/index.js';
import type { ReconcileLog } from './types.js';

export interface InformerCacheOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  deviceId: string;
  /** Kinds to follow. @default every kind of the registry */
  kinds?: readonly KindSpec[];
  /** Backoff of restarts after failures. @default 500 ms doubling to 30 s, jitter 0.2 */
  backoff?: BackoffOptions;
  /** How restarts wait. @default setTimeout */
  delay?: (ms: number) => Promise<void>;
  /** Random source of the jitter. @default Math.random */
  random?: () => number;
  /** Server-side watch timeout, seconds. @default 300 */
  watchTimeoutSeconds?: number;
  log?: ReconcileLog;
}

/** One change of the cache, as the watch (or a relist) reported it. */
export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: string;
  object: KubeJson;
  /** Owned by the device (labels), else an object the bridge only must not take over. */
  owned: boolean;
}

interface Entry {
  object: KubeJson;
  owned: boolean;
}

interface WatchEnd {
  /** 410: the resourceVersion is too old; relist. */
  gone: boolean;
  error?: unknown;
  /** Events received before the end. */
  events: number;
}

/**
 * Annotations that Kubernetes controllers keep on the objects the bridge writes, which the bridge
 * never sets: the Deployment controller bumps the revision on every rollout, so counting it
 * would make each module's rollout trigger a reconcile with nothing to write.
 */
const CONTROLLER_ANNOTATIONS = new Set(['deployment.kubernetes.io/revision']);

const SERVER_FIELDS = new Set(['metadata', 'status', 'apiVersion', 'kind']);

/** Equal annotations, the controllers' own ({@link CONTROLLER_ANNOTATIONS}) left out. */
function sameAnnotations(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  for (const [key, value] of Object.entries(a)) if (!CONTROLLER_ANNOTATIONS.has(key) && b[key] !== value) return false;
  for (const key of Object.keys(b)) if (!CONTROLLER_ANNOTATIONS.has(key) && !Object.hasOwn(a, key)) return false;
  return true;
}

/**
 * Whether the change from `before` to `after` is relevant to reconcile (see the file comment):
 * the uid, labels, annotations, deletion mark or any top-level field but metadata and status
 * changed (Pods: only the uid, labels and deletion mark). Compared in place, without building
 * a text of either side: a rollout sends each Deployment's status several times.
 */
export function relevantChange(kind: string, before: KubeJson, after: KubeJson): boolean {
  const a = before.metadata ?? {};
  const b = after.metadata ?? {};
  if (a.uid !== b.uid || (a.deletionTimestamp !== undefined) !== (b.deletionTimestamp !== undefined) || !jsonEqual(a.labels ?? {}, b.labels ?? {})) return true;
  if (kind === 'Pod') return false;
  if (!sameAnnotations(a.annotations, b.annotations)) return true;
  const x = before as Record<string, unknown>;
  const y = after as Record<string, unknown>;
  for (const key of Object.keys(x)) if (!SERVER_FIELDS.has(key) && !jsonEqual(x[key], y[key])) return true;
  for (const key of Object.keys(y)) if (!SERVER_FIELDS.has(key) && !Object.hasOwn(x, key) && y[key] !== undefined) return true;
  return false;
}

function resourceVersionOf(object: KubeJson): string | undefined {
  return (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
}

/** True when `a` is known to be older than `b` (resourceVersions compare as numbers when both are). */
function older(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

export class InformerCache implements ObjectReader {
  private readonly changes = new Subject<void>();
  /** Objects the bridge is writing (see {@link writing}), and the watch events held back meanwhile. */
  private readonly inFlight = new Map<string, number>();
  private readonly held = new Map<string, Array<{ kind: string; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeJson }>>();
  /** One tick per relevant change of an owned object (never completes until stop()). */
  readonly changes$: Observable<void> = this.changes.asObservable();
  private readonly observed = new Subject<void>();
  /** One tick per change of an owned object, status changes included. Relists tick too. */
  readonly observed$: Observable<void> = this.observed.asObservable();
  private readonly eventSubject = new Subject<CacheEvent>();
  /** Every change the cache took from the API (watch events, and deletes found by a relist). */
  readonly events$: Observable<CacheEvent> = this.eventSubject.asObservable();
  private restartCount = 0;
  private started: Promise<void> | undefined;
  private stopped = false;
  private readonly controllers = new Set<AbortController>();
  /** kind -> name -> entry. */
  private readonly store = new Map<string, Map<string, Entry>>();
  /** Kinds listed at least once. */
  private readonly listed = new Set<string>();
  /** The last failure of a kind that was never listed. */
  private readonly listErrors = new Map<string, unknown>();
  /** uids the bridge deleted whose DELETED event has not arrived yet ("Kind/name" -> uid). */
  private readonly tombstones = new Map<string, string | undefined>();
  /** uids whose DELETED event arrived lately (the event may come before the delete's answer). */
  private readonly goneUids = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private stopSignal!: () => void;
  /** Resolves on stop(): backoff waits end early. */
  private readonly stopping = new Promise<void>((resolve) => (this.stopSignal = resolve));
  private readonly objects: RegistryObjectApi;
  private readonly watch: Watch;
  private readonly kinds: readonly KindSpec[];
  /** Kinds whose changes tick `changes$` (the kinds the bridge writes; not those it only reads). */
  private readonly reconciled: ReadonlySet<string>;
  private readonly delay: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly log: ReconcileLog;

  constructor(private readonly options: InformerCacheOptions) {
    this.objects = RegistryObjectApi.forConfig(options.kubeConfig);
    this.watch = new Watch(options.kubeConfig);
    this.kinds = options.kinds ?? KINDS;
    this.reconciled = new Set(this.kinds.filter((k) => k.prune === 'owned').map((k) => k.kind));
    this.delay = options.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Whether a change ticks `changes$`: only kinds the bridge reconciles tick it, so the others
   * (Pods, the busiest watch) get none and skip the comparison.
   */
  private ticksReconcile(kind: string, before: Entry | undefined, object: KubeJson): boolean {
    return this.reconciled.has(kind) && (!before || relevantChange(kind, before.object, object));
  }

  /** How many times a watch was restarted (after a drop, a server close, a 410 or an error). */
  get restarts(): number {
    return this.restartCount;
  }

  /**
   * Starts every kind's list+watch loop, in parallel; resolves once each kind is listed and
   * watched (or its first attempt failed; see {@link syncError}). Calling it again returns the
   * same promise. A stopped cache cannot be started again.
   */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('InformerCache was stopped; create a new one'));
    if (this.started) return this.started;
    const firstLists = this.kinds.map(() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    this.loops = this.kinds.map((kind, i) => this.run(kind, firstLists[i]!.resolve));
    this.started = Promise.all(firstLists.map((f) => f.promise)).then(() => undefined);
    return this.started;
  }

  /** Stops every watch; `changes$`, `observed$` and `events$` complete. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopSignal();
    for (const controller of this.controllers) controller.abort();
    await Promise.all(this.loops);
    for (const wake of this.waiters) wake();
    this.changes.complete();
    this.observed.complete();
    this.eventSubject.complete();
  }

  /**
   * Why the cache cannot be trusted yet: the failure of the first kind (in registry order)
   * that has never been listed; undefined once every kind was listed.
   */
  syncError(): KubeError | Error | undefined {
    for (const kind of this.kinds) {
      if (this.listed.has(kind.kind)) continue;
      const error = this.listErrors.get(kind.kind);
      if (isKubeError(error) || error instanceof Error) return error;
      return new Error(`${kind.kind} not listed yet`);
    }
    return undefined;
  }

  /** The device's owned objects of a kind. */
  list(kind: string): KubeJson[] {
    return [...(this.store.get(kind)?.values() ?? [])].filter((e) => e.owned).map((e) => e.object);
  }

  /** Owned objects of every kind but those only read (pods), by "Kind/name". */
  owned(kinds: readonly KindSpec[]): Map<string, KubeJson> {
    const out = new Map<string, KubeJson>();
    for (const kind of kinds) for (const entry of this.store.get(kind.kind)?.values() ?? []) if (entry.owned) out.set(objectKey(entry.object), entry.object);
    return out;
  }

  /** "Kind/name" of the objects in the namespace that the device does not own. */
  foreign(): Set<string> {
    const out = new Set<string>();
    for (const entries of this.store.values()) for (const entry of entries.values()) if (!entry.owned) out.add(objectKey(entry.object));
    return out;
  }

  /** An object by kind and name (owned or not). */
  get(kind: string, name: string): KubeJson | undefined {
    return this.store.get(kind)?.get(name)?.object;
  }

  /**
   * Records what the API answered to the bridge's own apply, so the watch event it causes
   * changes nothing. Never goes back to an older resourceVersion than the cache holds.
   */
  recordApplied(object: KubeJson): void {
    const kind = object.kind ?? '';
    const entries = this.store.get(kind);
    if (!entries) return;
    const plain = plainJson(object, kind);
    const name = plain.metadata?.name ?? '';
    const current = entries.get(name);
    if (current && older(resourceVersionOf(plain), resourceVersionOf(current.object))) return;
    entries.set(name, { object: plain, owned: isOwnedBy(plain.metadata?.labels, this.options.deviceId) });
    this.tombstones.delete(objectKey(plain));
    this.wake();
  }

  /**
   * Records the bridge's own delete: the object leaves the cache now, and its DELETED event
   * (or a later update of the same uid while it terminates) will signal nothing.
   */
  recordDeleted(kind: string, name: string, uid: string | undefined): void {
    const entries = this.store.get(kind);
    const current = entries?.get(name);
    if (current && (uid === undefined || current.object.metadata?.uid === uid)) entries!.delete(name);
    if (uid === undefined || !this.goneUids.has(uid)) this.tombstones.set(`${kind}/${name}`, uid);
    this.wake();
  }

  private rememberGone(uid: string | undefined): void {
    if (uid === undefined) return;
    this.goneUids.add(uid);
    if (this.goneUids.size > 1000) this.goneUids.delete(this.goneUids.values().next().value!);
  }

  /** True while an object the bridge deleted has not been reported gone by the API. */
  deleting(kind: string, name: string): boolean {
    return this.tombstones.has(`${kind}/${name}`);
  }

  /**
   * Resolves true as soon as `check()` holds (evaluated now and after every cache change),
   * false after `timeoutMs` or when the cache stops.
   */
  waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(value);
      };
      const wake = () => {
        if (this.stopped) done(false);
        else if (check()) done(true);
      };
      const timer = setTimeout(() => done(check()), Math.max(0, timeoutMs));
      this.waiters.add(wake);
    });
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** The injected delay, cut short by stop(). */
  private pause(ms: number): Promise<void> {
    return Promise.race([this.delay(ms), this.stopping]);
  }

  private selectorOf(kind: KindSpec): string | undefined {
    // Kinds the bridge writes: the whole namespace, to see names it must not take over.
    return kind.prune === 'owned' ? undefined : ownedSelector(this.options.deviceId);
  }

  private async run(kind: KindSpec, ready: () => void): Promise<void> {
    let resourceVersion: string | undefined;
    let failures = 0;
    let first = true;
    while (!this.stopped) {
      try {
        if (resourceVersion === undefined) resourceVersion = await this.relist(kind, first);
        const started = Date.now();
        const end = await this.watchOnce(kind, resourceVersion, (rv) => (resourceVersion = rv), ready);
        first = false;
        if (this.stopped) break;
        this.restartCount++;
        if (end.gone) {
          this.log('info', 'watch expired (410); relisting', { kind: kind.kind });
          resourceVersion = undefined;
          failures = 0;
          continue;
        }
        if (end.error !== undefined) throw end.error;
        // A clean close: restart at once, unless the server keeps closing immediately.
        failures = end.events > 0 || Date.now() - started > 1000 ? 0 : failures + 1;
        this.log('debug', 'watch closed; restarting', { kind: kind.kind });
        if (failures > 0) await this.pause(backoffDelay(failures, this.options.backoff, this.random));
      } catch (error) {
        if (!this.listed.has(kind.kind)) this.listErrors.set(kind.kind, error);
        ready();
        first = false;
        if (this.stopped) break;
        failures++;
        // A throttled list or watch waits at least as long as the server asked.
        const retryAfter = error instanceof KubeApiError ? (error.retryAfterMs ?? 0) : 0;
        const wait = Math.max(backoffDelay(failures, this.options.backoff, this.random), retryAfter);
        this.log('warn', 'watch failed; restarting after backoff', { kind: kind.kind, error: describe(error), retryInMs: wait });
        await this.pause(wait);
      }
    }
  }

  /**
   * Lists the kind and replaces its part of the cache: objects that vanished since the last
   * list are emitted as deletes, new or changed ones as adds/updates. Returns the resourceVersion.
   */
  private async relist(kind: KindSpec, initial: boolean): Promise<string> {
    const list = await kubeCall(`list ${kind.kind}`, () =>
      this.objects.list(kind.apiVersion, kind.kind, this.options.namespace, undefined, undefined, undefined, undefined, this.selectorOf(kind)),
    );
    const previous = this.store.get(kind.kind) ?? new Map<string, Entry>();
    const next = new Map<string, Entry>();
    let changed = false;
    let observed = false;
    for (const item of list.items) {
      const object = plainJson(item as KubeJson, kind.kind);
      const name = object.metadata?.name ?? '';
      const entry = { object, owned: isOwnedBy(object.metadata?.labels, this.options.deviceId) };
      next.set(name, entry);
      const before = previous.get(name);
      if (before && resourceVersionOf(before.object) === resourceVersionOf(object)) continue;
      if (!initial) this.eventSubject.next({ type: before ? 'MODIFIED' : 'ADDED', kind: kind.kind, object, owned: entry.owned });
      if (entry.owned || before?.owned) {
        observed = true;
        if (this.ticksReconcile(kind.kind, before, object)) changed = true;
      }
    }
    for (const [name, before] of previous) {
      if (next.has(name)) continue;
      this.tombstones.delete(`${kind.kind}/${name}`);
      if (!initial) this.eventSubject.next({ type: 'DELETED', kind: kind.kind, object: before.object, owned: before.owned });
      if (before.owned) {
        observed = true;
        if (this.reconciled.has(kind.kind)) changed = true;
      }
    }
    for (const key of [...this.tombstones.keys()]) if (key.startsWith(`${kind.kind}/`) && !next.has(key.slice(kind.kind.length + 1))) this.tombstones.delete(key);
    this.store.set(kind.kind, next);
    this.listed.add(kind.kind);
    this.listErrors.delete(kind.kind);
    this.wake();
    if (!initial) {
      if (changed) this.changes.next();
      if (observed) this.observed.next();
    }
    return list.metadata?.resourceVersion ?? '';
  }

  /** One watch request, until it ends; `established` is called once the server answered it. */
  private watchOnce(kind: KindSpec, resourceVersion: string, seen: (rv: string) => void, established: () => void): Promise<WatchEnd> {
    let events = 0;
    let gone = false;
    let failure: Error | undefined;
    let controller: AbortController | undefined;
    let finished = false;
    return new Promise<WatchEnd>((resolve) => {
      const finish = (end: WatchEnd) => {
        if (finished) return;
        finished = true;
        if (controller) this.controllers.delete(controller);
        resolve(end);
      };
      const onEvent = (type: string, object: KubeJson) => {
        events++;
        if (type === 'ERROR') {
          const code = (object as { code?: unknown }).code;
          if (code === 410) gone = true;
          else failure = new Error(`watch error event: ${String((object as { message?: unknown }).message ?? code)}`);
          controller?.abort();
          return;
        }
        const rv = resourceVersionOf(object);
        if (rv) seen(rv);
        // The watch parsed the event's text for this cache alone: plain JSON, no copy needed.
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.take(kind.kind, type, { ...object, kind: kind.kind });
      };
      const onDone = (error: unknown) => finish({ gone, events, error: failure ?? (gone || isAbort(error) ? undefined : (error ?? undefined)) });
      const selector = this.selectorOf(kind);
      const query = {
        ...(selector ? { labelSelector: selector } : {}),
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      };
      this.watch.watch(collectionPath(kind, this.options.namespace), query, onEvent, onDone).then(
        (c) => {
          established();
          if (finished || this.stopped || gone || failure) {
            c.abort();
            return;
          }
          controller = c;
          this.controllers.add(c);
        },
        (error: unknown) => finish({ gone: false, events, error }),
      );
    });
  }

  /**
   * Marks a write of the bridge's own as in flight: until the returned function is called (after
   * the answer was recorded, or the write failed), watch events of that object are held back, so
   * an event that overtakes the answer is compared with it instead of passing for someone
   * else's change.
   */
  writing(kind: string, name: string): () => void {
    const key = `${kind}/${name}`;
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) {
        this.inFlight.set(key, left);
        return;
      }
      this.inFlight.delete(key);
      const held = this.held.get(key) ?? [];
      this.held.delete(key);
      for (const event of held) this.take(event.kind, event.type, event.object);
    };
  }

  /** One watch event into the cache, and the signals it is worth. */
  private take(kind: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeJson): void {
    const entries = this.store.get(kind);
    if (!entries) return;
    const name = object.metadata?.name ?? '';
    const key = `${kind}/${name}`;
    if (this.inFlight.has(key)) {
      this.held.set(key, [...(this.held.get(key) ?? []), { kind, type, object }]);
      return;
    }
    const owned = isOwnedBy(object.metadata?.labels, this.options.deviceId);
    const before = entries.get(name);
    const tombstone = this.tombstones.get(key);
    const ours = this.tombstones.has(key) && (tombstone === object.metadata?.uid || (tombstone === undefined && type === 'DELETED'));
    if (type === 'DELETED') {
      this.rememberGone(object.metadata?.uid);
      if (ours) this.tombstones.delete(key);
      if (!before || (before.object.metadata?.uid !== undefined && before.object.metadata.uid !== object.metadata?.uid)) {
        this.wake();
        return;
      }
      entries.delete(name);
      this.eventSubject.next({ type, kind, object, owned: before.owned });
      this.wake();
      if (before.owned) {
        if (this.reconciled.has(kind)) this.changes.next();
        this.observed.next();
      }
      return;
    }
    // An object the bridge deleted, still terminating: it is gone as far as the bridge is concerned.
    if (ours) return;
    if (before && resourceVersionOf(before.object) === resourceVersionOf(object)) return; // the bridge's own write, already recorded
    if (before && older(resourceVersionOf(object), resourceVersionOf(before.object))) return;
    entries.set(name, { object, owned });
    this.eventSubject.next({ type: before ? 'MODIFIED' : 'ADDED', kind, object, owned });
    this.wake();
    if (!owned && !before?.owned) return;
    this.observed.next();
    if (this.ticksReconcile(kind, before, object)) this.changes.next();
  }
}

/** The object as plain JSON (the client deserializes lists into classes with Dates), with its kind. */
function plainJson(object: KubeJson, kind: string): KubeJson {
  const plain = JSON.parse(JSON.stringify(object)) as KubeJson;
  plain.kind = kind;
  return plain;
}

function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

function describe(error: unknown): string {
  if (isKubeError(error) || error instanceof Error) return error.message;
  return String(error);
}
