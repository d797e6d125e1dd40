/**
 * OwnedObjectsWatcher: list + watch of the device's owned objects (Deployments, Jobs,
 * Services, ServiceAccounts, Secrets, claims) and its Pods, emitting one `changes$` tick per
 * relevant change so the scheduler reconciles (level-triggered: ticks carry no payload).
 *
 * Per kind: list, then watch from the list's resourceVersion (with bookmarks and a server
 * timeout, so a silently dead connection cannot last). A watch that ends is restarted from the
 * last seen resourceVersion; a 410 Gone relists (objects that vanished meanwhile count as
 * changes); failures back off exponentially with jitter through the injectable `delay`.
 *
 * Relevant change: anything but status. An object's fingerprint is its uid, labels,
 * annotations, deletion mark and every top-level field except metadata and status; Pods tick
 * only when created, deleted or relabelled (their status is the status stage's business).
 */
import { KubernetesObjectApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { Subject, type Observable } from 'rxjs';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { stableJson } from './compare.js';
import { isKubeError, kubeCall } from './errors.js';
import { KINDS, collectionPath, type KindSpec } from '../kinds/index.js';
import { ownedSelector } from './ownership.js';
import type { ReconcileLog } from './types.js';

export interface OwnedObjectsWatcherOptions {
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

interface WatchEnd {
  /** 410: the resourceVersion is too old; relist. */
  gone: boolean;
  error?: unknown;
  /** Events received before the end. */
  events: number;
}

type RawObject = { metadata?: { name?: string; uid?: string; resourceVersion?: string; labels?: unknown; annotations?: unknown; deletionTimestamp?: unknown }; [key: string]: unknown };

/** What makes a change relevant (see the file comment). */
export function fingerprint(kind: string, object: RawObject): string {
  const meta = object.metadata ?? {};
  const rest = kind === 'Pod' ? {} : Object.fromEntries(Object.entries(object).filter(([k]) => !['metadata', 'status', 'apiVersion', 'kind'].includes(k)));
  return stableJson({ uid: meta.uid, labels: meta.labels ?? {}, annotations: kind === 'Pod' ? {} : (meta.annotations ?? {}), deleting: meta.deletionTimestamp !== undefined, rest });
}

export class OwnedObjectsWatcher {
  private readonly changes = new Subject<void>();
  /** One tick per relevant change of an owned object (never completes until stop()). */
  readonly changes$: Observable<void> = this.changes.asObservable();
  private readonly observed = new Subject<void>();
  /**
   * One tick per event of an owned object, status changes included (a pod starting, a Job
   * finishing): what the status reporter follows. Relists tick too.
   */
  readonly observed$: Observable<void> = this.observed.asObservable();
  private restartCount = 0;
  private stopped = true;
  /** Set by stop(): `changes$` has completed. */
  private ended = false;
  private readonly controllers = new Set<AbortController>();
  private readonly caches = new Map<string, Map<string, string>>();
  private loops: Promise<void>[] = [];
  private readonly objects: KubernetesObjectApi;
  private readonly watch: Watch;
  private readonly kinds: readonly KindSpec[];
  private readonly delay: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly log: ReconcileLog;

  constructor(private readonly options: OwnedObjectsWatcherOptions) {
    this.objects = KubernetesObjectApi.makeApiClient(options.kubeConfig);
    this.watch = new Watch(options.kubeConfig);
    this.kinds = options.kinds ?? KINDS;
    this.delay = options.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.log = options.log ?? (() => undefined);
  }

  /** How many times a watch was restarted (after a drop, a server close, a 410 or an error). */
  get restarts(): number {
    return this.restartCount;
  }

  /**
   * Starts every kind's list+watch loop; resolves once each kind is listed and watched (or its
   * first attempt failed). A stopped watcher cannot be started again.
   */
  async start(): Promise<void> {
    if (this.ended) throw new Error('OwnedObjectsWatcher was stopped; create a new one');
    if (!this.stopped) return;
    this.stopped = false;
    const firstLists = this.kinds.map(() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    this.loops = this.kinds.map((kind, i) => this.run(kind, firstLists[i]!.resolve));
    await Promise.all(firstLists.map((f) => f.promise));
  }

  /** Stops every watch; `changes$` completes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ended = true;
    for (const controller of this.controllers) controller.abort();
    await Promise.all(this.loops);
    this.changes.complete();
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
        if (failures > 0) await this.delay(backoffDelay(failures, this.options.backoff, this.random));
      } catch (error) {
        ready();
        first = false;
        if (this.stopped) break;
        failures++;
        const wait = backoffDelay(failures, this.options.backoff, this.random);
        this.log('warn', 'watch failed; restarting after backoff', { kind: kind.kind, error: describe(error), retryInMs: wait });
        await this.delay(wait);
      }
    }
  }

  /** Lists the kind, replaces its cache and ticks when anything differs; returns the resourceVersion. */
  private async relist(kind: KindSpec, initial: boolean): Promise<string> {
    const list = await kubeCall(`list ${kind.kind}`, () =>
      this.objects.list(kind.apiVersion, kind.kind, this.options.namespace, undefined, undefined, undefined, undefined, ownedSelector(this.options.deviceId)),
    );
    const previous = this.caches.get(kind.kind) ?? new Map<string, string>();
    const next = new Map<string, string>();
    for (const item of list.items) next.set(item.metadata?.name ?? '', fingerprint(kind.kind, item as unknown as RawObject));
    const changed = previous.size !== next.size || [...next].some(([name, print]) => previous.get(name) !== print);
    this.caches.set(kind.kind, next);
    if (changed && !initial) this.changes.next();
    if (!initial) this.observed.next();
    return list.metadata?.resourceVersion ?? '';
  }

  /** One watch request, until it ends; `established` is called once the server answered it. */
  private watchOnce(kind: KindSpec, resourceVersion: string, seen: (rv: string) => void, established: () => void): Promise<WatchEnd> {
    const cache = this.caches.get(kind.kind)!;
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
      const onEvent = (type: string, object: RawObject) => {
        events++;
        if (type === 'ERROR') {
          const code = (object as { code?: unknown }).code;
          if (code === 410) gone = true;
          else failure = new Error(`watch error event: ${String((object as { message?: unknown }).message ?? code)}`);
          controller?.abort();
          return;
        }
        const rv = object.metadata?.resourceVersion;
        if (rv) seen(rv);
        if (type !== 'BOOKMARK') this.apply(kind.kind, cache, type, object);
      };
      const onDone = (error: unknown) => finish({ gone, events, error: failure ?? (gone || isAbort(error) ? undefined : (error ?? undefined)) });
      const query = { labelSelector: ownedSelector(this.options.deviceId), resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.options.watchTimeoutSeconds ?? 300 };
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

  private apply(kind: string, cache: Map<string, string>, type: string, object: RawObject): void {
    this.observed.next();
    const name = object.metadata?.name ?? '';
    if (type === 'DELETED') {
      if (cache.delete(name) || kind !== 'Pod') this.changes.next();
      return;
    }
    const print = fingerprint(kind, object);
    if (cache.get(name) === print) return;
    cache.set(name, print);
    this.changes.next();
  }
}

function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

function describe(error: unknown): string {
  if (isKubeError(error) || error instanceof Error) return error.message;
  return String(error);
}
