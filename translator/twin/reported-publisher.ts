/**
 * Sends the `$edgeAgent` reported document to IoT Hub as minimal JSON merge patches against
 * what IoT Hub acknowledged. An idle link sends at once: the first document after a quiet spell
 * (no patch in the last `minIntervalMs`) goes out right after the job that published it, before
 * the event loop handles other I/O (documents published together in one job are one patch). Only bursts coalesce: while a patch is in flight
 * or one went out less than `minIntervalMs` ago, the documents that arrive are folded into one
 * patch sent when the interval is over. A patch that changes one of `promptKeys` (the bridge
 * passes `lastDesiredVersion` and `lastDesiredStatus`) does not wait behind other patches'
 * interval, only behind the previous prompt patch's, so a burst of status changes during a
 * rollout cannot delay the deployment's outcome by a second. Hence at most two patches per
 * `minIntervalMs`, one of them only when the desired status changed. A failed send is retried
 * with the difference recomputed. After a full twin fetch (start, reconnect) the acknowledged
 * state is reset to the reported properties IoT Hub returned, so whatever the hub missed is resent.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import { applyMergePatch, isObject, mergePatch, type JsonObject } from '../shared/index.js';
import { TwinError, toTwinError } from './errors.js';
import { SILENT_LOGGER, type StructuredLogger } from '../ops/index.js';

/** Where reported patches go: a {@link TwinLink} satisfies it. */
export interface ReportedChannel {
  updateReported(patch: JsonObject): Promise<void>;
  /** Full twin fetches; their `reported` is what IoT Hub holds. */
  readonly snapshots$: Observable<{ reported: JsonObject }>;
}

/** Options of {@link ReportedPublisher}. */
export interface ReportedPublisherOptions {
  /** Least time between two patches of a burst (and between two prompt patches). @default 1000 (1 patch/s) */
  minIntervalMs?: number;
  /**
   * Top-level keys whose change makes a patch prompt: it waits only for the patch in flight and
   * for the previous prompt patch's interval, not for the burst's. @default [] (none)
   */
  promptKeys?: readonly string[];
  /** Delay before retrying a failed send; doubles up to 30 s. @default 1000 */
  retryDelayMs?: number;
  logger?: StructuredLogger;
}

/** A patch IoT Hub acknowledged. */
export interface SentPatch {
  patch: JsonObject;
  /** When the acknowledgement arrived (ms since the epoch). */
  at: number;
  /** When the patch was handed to the channel (ms since the epoch). */
  sentAt: number;
  /** Whether it went out as a prompt patch (a change of a prompt key). */
  prompt: boolean;
}

const MAX_RETRY_DELAY_MS = 30_000;

/** Reporter of full reported documents: at once when idle, coalesced in bursts. */
export class ReportedPublisher {
  /** Every acknowledged patch. */
  readonly sent$: Observable<SentPatch>;
  /** Send failures (the publisher retries by itself). */
  readonly errors$: Observable<TwinError>;

  private readonly sentSubject = new Subject<SentPatch>();
  private readonly errorSubject = new Subject<TwinError>();
  private readonly minIntervalMs: number;
  private readonly promptKeys: readonly string[];
  private readonly retryDelayMs: number;
  private readonly logger: StructuredLogger;
  private readonly subscription: Subscription;
  private acknowledged: JsonObject = {};
  private latest: JsonObject | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (ms since the epoch). */
  private timerDue = 0;
  /** A send is queued for the end of the current job (a patch due now). */
  private queued = false;
  private sending: Promise<void> | undefined;
  /** When the last patch (of any kind) was sent or failed; the start of the burst interval. */
  private lastSentAt = Number.NEGATIVE_INFINITY;
  /** When the last prompt patch was sent or failed. */
  private lastPromptAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  /** Wait after a failed send before the retry. */
  private backoffMs = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly channel: ReportedChannel,
    options: ReportedPublisherOptions = {},
  ) {
    this.minIntervalMs = Math.max(0, options.minIntervalMs ?? 1000);
    this.promptKeys = options.promptKeys ?? [];
    this.retryDelayMs = Math.max(1, options.retryDelayMs ?? 1000);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.sent$ = this.sentSubject.asObservable();
    this.errors$ = this.errorSubject.asObservable();
    this.subscription = channel.snapshots$.subscribe((snapshot) => {
      this.acknowledged = structuredClone(snapshot.reported);
      if (this.latest) this.schedule();
    });
  }

  /** What IoT Hub is known to hold. */
  get acknowledgedDocument(): JsonObject {
    return structuredClone(this.acknowledged);
  }

  /** Takes the next full reported document; its patch goes out at once when the link is idle, else with the burst. */
  publish(document: object): void {
    if (this.closed) return;
    if (!isObject(document)) throw new TypeError('ReportedPublisher.publish: the reported document must be a JSON object');
    this.latest = structuredClone(document);
    this.schedule();
  }

  /** Resolves once nothing is pending or in flight. */
  idle(): Promise<void> {
    if (!this.timer && !this.sending && !this.queued) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The patch the latest document needs, if any. */
  private pendingPatch(): JsonObject | undefined {
    if (!this.latest) return undefined;
    const patch = mergePatch(this.acknowledged, this.latest);
    return isObject(patch) ? patch : undefined;
  }

  private isPrompt(patch: JsonObject): boolean {
    return this.promptKeys.some((key) => key in patch);
  }

  /** When the pending patch may go out (ms since the epoch); undefined when nothing is pending. */
  private dueAt(): number | undefined {
    const patch = this.pendingPatch();
    if (!patch) return undefined;
    if (this.failures > 0) return this.lastSentAt + this.backoffMs;
    const burst = this.lastSentAt + this.minIntervalMs;
    return this.isPrompt(patch) ? Math.min(burst, this.lastPromptAt + this.minIntervalMs) : burst;
  }

  /** (Re)arms the timer for the pending patch; a no-op while a patch is in flight (afterSend schedules). */
  private schedule(): void {
    if (this.closed || this.sending) return;
    const due = this.dueAt();
    if (due === undefined) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      return;
    }
    if (this.queued || (this.timer && this.timerDue <= due)) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (due <= Date.now()) {
      // Due now: after this job (the documents it publishes are one patch), but not behind the I/O
      // the event loop has waiting (a timer would run only after it: a rollout's watch events).
      this.queued = true;
      queueMicrotask(() => {
        this.queued = false;
        if (!this.closed) this.fire();
      });
      return;
    }
    this.timerDue = due;
    this.timer = setTimeout(() => this.fire(), due - Date.now());
  }

  private fire(): void {
    this.timer = undefined;
    // The pending patch may have changed since the timer was armed (a prompt key changed back).
    const due = this.dueAt();
    if (due === undefined || due > Date.now()) {
      this.schedule();
      if (!this.timer && !this.queued) this.wakeIdle();
      return;
    }
    this.sending = this.send().finally(() => {
      this.sending = undefined;
      this.afterSend();
    });
  }

  private afterSend(): void {
    if (this.closed) return this.wakeIdle();
    this.backoffMs = this.failures > 0 ? Math.min(this.retryDelayMs * 2 ** (this.failures - 1), MAX_RETRY_DELAY_MS) : 0;
    this.schedule();
    if (!this.timer && !this.queued) this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async send(): Promise<void> {
    const patch = this.pendingPatch();
    if (!patch) return;
    const prompt = this.isPrompt(patch);
    const sentAt = Date.now();
    this.lastSentAt = sentAt;
    if (prompt) this.lastPromptAt = sentAt;
    try {
      await this.channel.updateReported(patch);
      this.acknowledged = applyMergePatch(this.acknowledged, patch) as JsonObject;
      this.failures = 0;
      this.sentSubject.next({ patch, at: Date.now(), sentAt, prompt });
      this.logger.debug({ keys: Object.keys(patch), prompt }, 'reported properties patch acknowledged');
    } catch (e) {
      const error = toTwinError(e, 'reporting to IoT Hub failed');
      this.failures += 1;
      this.lastSentAt = Date.now();
      this.logger.warn({ kind: error.kind, failures: this.failures }, error.message);
      this.errorSubject.next(error);
    }
  }

  /** Stops sending (a pending patch is dropped) and completes the streams. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.subscription.unsubscribe();
    this.sentSubject.complete();
    this.errorSubject.complete();
    if (!this.sending) this.wakeIdle();
  }
}
