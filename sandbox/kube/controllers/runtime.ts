/**
 * Shared machinery of the simulated controllers: a keyed work queue, scaled
 * timers, the event recorder and owner-reference helpers.
 */
import { createHash } from 'node:crypto';
import type { KubeApi } from '../api.js';
import { KubeApiError } from '../errors.js';
import { findType, groupVersion, type ResourceType } from '../resources.js';
import { canonicalJson, clone, isObject, type JsonObject, type KubeObject, type OwnerReference } from '../types.js';

/** Shared context of every controller. */
export interface ControllerContext {
  api: KubeApi;
  /** Multiplies every simulated duration (1 = real time, 0.01 = 100x faster). */
  timeFactor: number;
  recorder: EventRecorder;
  /** Timers owned by the cluster, cleared on stop. */
  timers: TimerSet;
  /** The clients' requests (the server notes each one); the workload controllers coalesce while clients keep sending. */
  load: ClientLoad;
  /** Whether the workload controllers have keys waiting (the event recorder writes when they have none). */
  backlog: Backlog;
}

/** How deep the current call stack is inside a simulated component's own work (see {@link inControllerTurn}). */
let controllerDepth = 0;

/**
 * Runs `fn` as a simulated component's own work: the work queues' batches, the scaled timers and
 * the work run once the queues are idle. A key a work queue gets meanwhile comes from a
 * controller's or the kubelet's write, not from a client's request.
 */
export function asController<T>(fn: () => T): T {
  controllerDepth++;
  try {
    return fn();
  } finally {
    controllerDepth--;
  }
}

/** True while a simulated component's own work runs ({@link asController}), false in a client request's handling. */
export function inControllerTurn(): boolean {
  return controllerDepth > 0;
}

/** setTimeout with scaling and central cancellation. */
export class TimerSet {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly factor: number) {}

  /** Runs `fn` after `ms` simulated milliseconds. */
  after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      try {
        asController(fn);
      } catch {
        // Simulated components recover on their next event; a failed step never crashes the process.
      }
    }, Math.max(0, Math.round(ms * this.factor)));
    this.timers.add(timer);
    return timer;
  }

  /** Cancels one timer. */
  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Cancels every timer; later calls to `after` do nothing. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Real milliseconds over which the workload controllers coalesce changes while clients send a stream of requests. */
export const CONTROLLER_COALESCE_MS = 25;

/** Real milliseconds without a client request (beside the controllers' own batches) that end a stream. */
export const STREAM_QUIET_MS = 10;

/**
 * Whether clients are sending a stream of requests to the API (the server notes each one).
 * The workload controllers coalesce only during such a stream: the controllers' own writes are
 * not requests, so a rollout's chain never makes them wait by itself.
 */
export class ClientLoad {
  private last = Number.NEGATIVE_INFINITY;
  /** Time the controllers' batches held the event loop since the last request (no request could arrive meanwhile). */
  private worked = 0;
  private streaming = false;
  private readonly quietListeners = new Set<() => void>();
  private quietTimer: NodeJS.Timeout | undefined;

  /** Notes one client request; two within {@link CONTROLLER_COALESCE_MS} start a stream. */
  request(now = performance.now()): void {
    if (now - this.last < CONTROLLER_COALESCE_MS) this.streaming = true;
    this.last = now;
    this.worked = 0;
    if (this.streaming && this.quietListeners.size > 0) this.quietTimer ??= setTimeout(() => this.checkQuiet(), STREAM_QUIET_MS).unref();
  }

  /**
   * Calls `fn` each time a stream ends ({@link STREAM_QUIET_MS} without a request): the workload
   * controllers then run the batches they held back at once instead of at the end of their
   * window. Returns the function that removes it.
   */
  onQuiet(fn: () => void): () => void {
    this.quietListeners.add(fn);
    return () => this.quietListeners.delete(fn);
  }

  private checkQuiet(): void {
    this.quietTimer = undefined;
    if (!this.streaming) return;
    const left = STREAM_QUIET_MS - (performance.now() - this.last - this.worked);
    if (left > 0) {
      this.quietTimer = setTimeout(() => this.checkQuiet(), Math.ceil(left)).unref();
      return;
    }
    this.end();
  }

  /** The stream is over: the quiet listeners run, whichever check saw it first. */
  private end(): void {
    this.streaming = false;
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    for (const fn of [...this.quietListeners]) fn();
  }

  /**
   * Notes a batch of a controller that held the event loop for `ms`. (Counting that time as quiet
   * once the poll after the batch found no request, so that a stream ends 10 ms after its last
   * request however long the controllers worked, was tried and dropped: streams then ended in the
   * middle of a burst whenever the client paused, the controllers took more of the event loop
   * from the applies, and the write phase at 50 modules grew by about as much as the tail after it
   * shrank: docs/sandbox-kube.md, "Rollouts at 50 modules".)
   */
  busy(ms: number): void {
    this.worked += ms;
  }

  /**
   * True during a stream of requests, until none arrived for `quietMs` of time the controllers'
   * batches did not hold the event loop: one apply at rest is no stream, and a long batch that
   * held the next requests back does not end one. A stream this finds over ends as by its timer
   * (the quiet listeners run): a queue scheduling a batch must not end it unseen by the others.
   */
  active(quietMs: number, now = performance.now()): boolean {
    if (this.streaming && now - this.last - this.worked >= quietMs) this.end();
    return this.streaming;
  }
}

/**
 * How many work queues have keys waiting; `whenIdle` callbacks run once none has (at the end of
 * the batch that emptied the last one).
 */
export class Backlog {
  private waiting = 0;
  private waiters: Array<() => void> = [];

  /** True when no queue has keys waiting. */
  get idle(): boolean {
    return this.waiting === 0;
  }

  /** A queue got keys. */
  enter(): void {
    this.waiting++;
  }

  /** A queue handled all its keys. */
  leave(): void {
    this.waiting = Math.max(0, this.waiting - 1);
    if (this.waiting > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const fn of waiters) fn();
  }

  /** Calls `fn` now when idle, else once the queues are. */
  whenIdle(fn: () => void): void {
    if (this.idle) fn();
    else this.waiters.push(fn);
  }

  /**
   * Runs `fn` once on a turn after this one when the queues are idle (after the batch that emptied
   * them, `setImmediate`), or after `maxMs` real milliseconds, whichever comes first: for work
   * nothing waits for, so that it does not hold back the steps of a rollout.
   */
  afterIdle(fn: () => void, maxMs: number): void {
    let done = false;
    const run = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      asController(fn);
    };
    // unref: an emulator that stops (and lets its process end) does not wait for it.
    const deadline = setTimeout(run, maxMs).unref();
    const check = () => {
      if (done) return;
      if (this.idle) run();
      else this.whenIdle(() => setImmediate(check));
    };
    setImmediate(check);
  }
}

/**
 * A de-duplicating work queue: `add(key)` schedules one call of the handler per key;
 * conflicts and other errors (but 404s) requeue the key after a short delay.
 *
 * A batch runs on the next turn of the event loop (`setImmediate`), as a real controller's
 * work queue hands a key to its worker at once: the keys added while the current I/O is
 * handled are one batch, each once. With `coalesceMs` and `load` (the workload controllers),
 * while clients send a stream of requests ({@link ClientLoad.active}: from two requests within
 * {@link CONTROLLER_COALESCE_MS} until none came for {@link STREAM_QUIET_MS}), keys added
 * within `coalesceMs` (plus twice the duration of the previous batch, so that a busy
 * controller takes at most about a third of the event loop from the API) are one batch: a burst of applies to one object and its pods' status cost one reconcile, and
 * a template applied again before its rollout went far folds into the next one, as a loaded
 * controller manager's queues fold them. Without such a stream (one apply at rest, or the end
 * of a burst) a rollout's chain (Deployment -> ReplicaSet -> pod -> kubelet -> ReplicaSet
 * status -> Deployment status) runs step after step without a timer.
 */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private lastDrainMs = 0;
  /** The coalescing window's timer, while a batch waits for it, and when the window began. */
  private window: NodeJS.Timeout | undefined;
  private windowFrom = 0;
  /** Whether a key of the waiting window came from a client's request (not from a controller's or the kubelet's write). */
  private windowFromClient = false;
  private readonly offQuiet: (() => void) | undefined;

  constructor(
    private readonly handler: (key: string) => void,
    private readonly timers: TimerSet,
    private readonly coalesceMs = 0,
    private readonly load?: ClientLoad,
    private readonly backlog?: Backlog,
  ) {
    // When the clients' stream ends, a batch waiting for its window waits no longer than `coalesceMs`.
    if (coalesceMs > 0 && load) this.offQuiet = load.onQuiet(() => this.hurry());
  }

  /** Schedules a reconcile of `key`. */
  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.scheduled) {
      this.backlog?.enter();
      this.scheduleDrain();
    } else if (this.window && !inControllerTurn()) this.windowFromClient = true;
  }

  /** Schedules a reconcile of `key` after `ms` simulated milliseconds. */
  addAfter(key: string, ms: number): void {
    this.timers.after(ms, () => this.add(key));
  }

  /** Stops processing. */
  stop(): void {
    if (this.scheduled && !this.stopped) this.backlog?.leave();
    this.stopped = true;
    this.pending.clear();
    this.offQuiet?.();
    if (this.window) clearTimeout(this.window);
  }

  private scheduleDrain(): void {
    this.scheduled = true;
    if (this.coalesceMs > 0 && this.load?.active(STREAM_QUIET_MS)) {
      this.windowFrom = performance.now();
      this.windowFromClient = !inControllerTurn();
      this.window = setTimeout(() => this.drain(), this.coalesceMs + 2 * this.lastDrainMs);
      this.window.unref();
    } else setImmediate(() => this.drain());
  }

  /**
   * The stream ended: a batch whose window was stretched by the last batch's duration (which
   * keeps a busy controller from taking the event loop from the clients) runs once the plain
   * `coalesceMs` since its window began are over, or on the next turn when they are. A batch
   * whose keys all came from the controllers' and the kubelet's own writes (the next steps of
   * rollouts: nothing a client sent waits in it to be folded with a later apply) runs on the next
   * turn at once, as every step does without a stream.
   */
  private hurry(): void {
    if (!this.window) return;
    clearTimeout(this.window);
    const left = this.windowFromClient ? this.windowFrom + this.coalesceMs - performance.now() : 0;
    if (left > 0) {
      this.window = setTimeout(() => this.drain(), Math.ceil(left));
      this.window.unref();
      return;
    }
    this.window = undefined;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.window = undefined;
    if (this.stopped) return; // stop() already left the backlog
    const started = performance.now();
    const keys = [...this.pending];
    this.pending.clear();
    controllerDepth++;
    try {
      for (const key of keys) {
        if (this.stopped) return;
        try {
          this.handler(key);
        } catch (error) {
          if (error instanceof KubeApiError && error.code === 404) continue;
          this.timers.after(50, () => this.add(key));
        }
      }
    } finally {
      controllerDepth--;
    }
    this.lastDrainMs = Math.min(1000, performance.now() - started);
    this.load?.busy(performance.now() - started);
    this.scheduled = false;
    if (this.pending.size > 0) this.scheduleDrain();
    else this.backlog?.leave();
  }
}

/** `namespace/name` key of an object. */
export function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** Splits a `namespace/name` key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The controller owner reference pointing at `owner`. */
export function controllerRef(type: ResourceType, owner: KubeObject): OwnerReference {
  return {
    apiVersion: groupVersion(type),
    kind: type.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The uid of the object's controller, if any. */
/** Creates one pod from a controller's pod template (`generateName: <owner>-`), owned by the controller; returns the stored pod (read only). */
export function createPodFromTemplate(api: KubeApi, podType: ResourceType, ownerType: ResourceType, owner: KubeObject, template: unknown): KubeObject {
  const meta = isObject(template) && isObject(template.metadata) ? template.metadata : {};
  const spec = isObject(template) && isObject(template.spec) ? template.spec : {};
  const namespace = owner.metadata.namespace ?? '';
  return api.create(
    podType,
    namespace,
    {
      metadata: {
        generateName: `${owner.metadata.name ?? ''}-`,
        namespace,
        labels: clone((meta.labels as Record<string, string>) ?? {}),
        annotations: meta.annotations ? clone(meta.annotations as Record<string, string>) : undefined,
        ownerReferences: [controllerRef(ownerType, owner)],
      },
      spec: clone(spec),
    },
    { fieldManager: 'kube-controller-manager', spread: true, shared: true, trusted: true },
  );
}

export function controllerUid(obj: KubeObject): string | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller)?.uid;
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A short stable hash (independent of key order) in the alphabet Kubernetes uses for generated names. */
export function safeHash(value: unknown, length = 10): string {
  const digest = createHash('sha256').update(canonicalJson(value)).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[digest[i]! % SAFE_ALPHABET.length];
  return out;
}

const EVENTS = findType('', 'events')!;
/** How many distinct events the recorder remembers for aggregation (oldest forgotten first). */
const MAX_AGGREGATED = 5000;
/** Real milliseconds an Event waits at most for the workload controllers to be idle before it is written. */
export const EVENT_MAX_DELAY_MS = 1000;
/** Events waiting that are written at once, however busy the controllers are. */
const MAX_WAITING = 1000;

/** An Event recorded and not written yet (repeats of it are counted in). */
interface WaitingEvent {
  namespace: string;
  /** The Event's name: a new one, or the one written before with the same key (then this is a repeat). */
  name: string;
  repeat: boolean;
  /** The involved object's name, which the Event's name starts with ({@link EventRecorder.stampedName}). */
  object: string;
  /** The component that recorded it, the field manager of its writes. */
  component: string;
  /** Everything but metadata, count and lastTimestamp (set when it is written). */
  body: JsonObject;
  count: number;
  lastTimestamp: string;
}

/**
 * Records core/v1 Events the way the real components do, aggregating repeats.
 *
 * Like client-go's recorder (tools/record: `Eventf` hands the event to a broadcaster whose own
 * goroutine writes it), recording only queues the Event: the queue is written in one batch once
 * the workload controllers have no keys waiting (after their turn, `setImmediate`), at most
 * {@link EVENT_MAX_DELAY_MS} after the first waiting Event, and before any request that reads or
 * writes Events is served ({@link flush}), so a client never misses an Event recorded before its
 * request. Name, timestamps, count and message are those of the moment the Event was recorded.
 */
export class EventRecorder {
  private readonly seen = new Map<string, string>();
  private readonly waiting = new Map<string, WaitingEvent>();
  private lastStamp = 0n;
  /** A flush is scheduled (see {@link schedule}). */
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly api: KubeApi,
    private readonly host: string,
    private readonly backlog?: Backlog,
  ) {}

  /**
   * The clock in nanoseconds, strictly increasing: an Event is named `<object>.<hex of it>` as the
   * real recorder names it (client-go tools/record: `fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())`).
   */
  private nextStamp(): bigint {
    const now = BigInt(Date.now()) * 1_000_000n;
    this.lastStamp = now > this.lastStamp ? now : this.lastStamp + 1n;
    return this.lastStamp;
  }

  /** Records an event about `obj` of type `type` (written soon, see the class). Never throws. */
  record(
    type: ResourceType,
    obj: KubeObject,
    eventType: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    fieldPath?: string,
  ): void {
    if (this.stopped) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const key = JSON.stringify([obj.metadata.uid, reason, message, fieldPath ?? '', component]);
    const queued = this.waiting.get(key);
    if (queued) {
      queued.count++;
      queued.lastTimestamp = now;
      return;
    }
    const namespace = obj.metadata.namespace ?? 'default';
    const involvedObject: Record<string, unknown> = {
      kind: type.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: groupVersion(type),
      resourceVersion: obj.metadata.resourceVersion,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    const seenName = this.seen.get(key);
    const object = obj.metadata.name ?? 'object';
    const name = seenName ?? this.stampedName(object);
    const body: JsonObject = {
      involvedObject,
      reason,
      message,
      source: { component, host: component === 'kubelet' ? this.host : undefined },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: eventType,
      // eventTime is null on a real cluster's core/v1 Events; the API drops nulls (the stored value has none).
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? this.host : '',
    };
    this.waiting.set(key, { namespace, name, repeat: seenName !== undefined, object, component, body, count: 1, lastTimestamp: now });
    if (seenName === undefined) this.remember(key, name);
    if (this.waiting.size >= MAX_WAITING) this.flush();
    else this.schedule();
  }

  /** Writes every waiting Event now (in the order they were first recorded). */
  flush(): void {
    if (this.waiting.size === 0) return;
    const events = [...this.waiting.entries()];
    this.waiting.clear();
    for (const [key, event] of events) this.write(key, event);
  }

  /** Drops the waiting Events; later ones are not recorded. */
  stop(): void {
    this.stopped = true;
    this.waiting.clear();
  }

  /** `<object>.<hex of the Unix time in nanoseconds>`, as client-go names Events. */
  private stampedName(object: string): string {
    return `${object}.${this.nextStamp().toString(16)}`;
  }

  private remember(key: string, name: string): void {
    this.seen.set(key, name);
    if (this.seen.size > MAX_AGGREGATED) this.seen.delete(this.seen.keys().next().value as string);
  }

  /**
   * Flushes after the current turn once the workload controllers have no keys waiting, or
   * {@link EVENT_MAX_DELAY_MS} after the first Event waiting (Backlog.afterIdle), whichever comes first.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      if (!this.stopped) this.flush();
    };
    if (this.backlog) this.backlog.afterIdle(run, EVENT_MAX_DELAY_MS);
    else setImmediate(run);
  }

  private write(key: string, event: WaitingEvent): void {
    const { namespace } = event;
    try {
      const existing = event.repeat ? this.api.tryPeek(EVENTS, namespace, event.name) : undefined;
      if (existing) {
        const count = Number(existing.count ?? 1) + event.count;
        this.api.update(EVENTS, namespace, event.name, { ...existing, count, lastTimestamp: event.lastTimestamp }, { spread: true, shared: true, trusted: true, fieldManager: event.component });
        return;
      }
      // New, or the one it repeats is gone: a new Event.
      let name = event.name;
      if (event.repeat) {
        name = this.stampedName(event.object);
        this.remember(key, name);
      }
      const body = event.body;
      this.api.create(EVENTS, namespace, { metadata: { name, namespace }, ...body, count: event.count, lastTimestamp: event.lastTimestamp }, { fieldManager: event.component, spread: true, shared: true, trusted: true });
    } catch {
      // Events are best effort, as in the real cluster (e.g. the namespace is being deleted).
    }
  }
}
