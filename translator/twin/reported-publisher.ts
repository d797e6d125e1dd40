/**
 * Sends the `$edgeAgent` reported document to IoT Hub as minimal JSON merge patches against
 * what IoT Hub acknowledged. Documents published in a burst are coalesced (one patch after
 * `coalesceMs` of the first), patches are rate-limited (at most one per `minIntervalMs`), and
 * a failed send is retried with the difference recomputed. After a full twin fetch (start,
 * reconnect) the acknowledged state is reset to the reported properties IoT Hub returned, so
 * whatever the hub missed is resent.
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
  /** Wait after the first document of a burst before sending. @default 250 */
  coalesceMs?: number;
  /** Minimum time between two patches. @default 1000 (1 patch/s) */
  minIntervalMs?: number;
  /** Delay before retrying a failed send; doubles up to 30 s. @default 1000 */
  retryDelayMs?: number;
  logger?: StructuredLogger;
}

/** A patch IoT Hub acknowledged. */
export interface SentPatch {
  patch: JsonObject;
  /** When the acknowledgement arrived (ms since the epoch). */
  at: number;
}

const MAX_RETRY_DELAY_MS = 30_000;

/** Coalescing, rate-limited reporter of full reported documents. */
export class ReportedPublisher {
  /** Every acknowledged patch. */
  readonly sent$: Observable<SentPatch>;
  /** Send failures (the publisher retries by itself). */
  readonly errors$: Observable<TwinError>;

  private readonly sentSubject = new Subject<SentPatch>();
  private readonly errorSubject = new Subject<TwinError>();
  private readonly coalesceMs: number;
  private readonly minIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly logger: StructuredLogger;
  private readonly subscription: Subscription;
  private acknowledged: JsonObject = {};
  private latest: JsonObject | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private lastSentAt = 0;
  private failures = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly channel: ReportedChannel,
    options: ReportedPublisherOptions = {},
  ) {
    this.coalesceMs = Math.max(0, options.coalesceMs ?? 250);
    this.minIntervalMs = Math.max(0, options.minIntervalMs ?? 1000);
    this.retryDelayMs = Math.max(1, options.retryDelayMs ?? 1000);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.sent$ = this.sentSubject.asObservable();
    this.errors$ = this.errorSubject.asObservable();
    this.subscription = channel.snapshots$.subscribe((snapshot) => {
      this.acknowledged = structuredClone(snapshot.reported);
      if (this.latest) this.schedule(this.coalesceMs);
    });
  }

  /** What IoT Hub is known to hold. */
  get acknowledgedDocument(): JsonObject {
    return structuredClone(this.acknowledged);
  }

  /** Takes the next full reported document; a patch follows within the coalescing and rate limits. */
  publish(document: object): void {
    if (this.closed) return;
    if (!isObject(document)) throw new TypeError('ReportedPublisher.publish: the reported document must be a JSON object');
    this.latest = structuredClone(document);
    this.schedule(this.coalesceMs);
  }

  /** Resolves once nothing is pending or in flight. */
  idle(): Promise<void> {
    if (!this.timer && !this.sending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(waitMs: number): void {
    if (this.closed || this.timer || this.sending) return;
    const due = Math.max(waitMs, this.lastSentAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sending = this.send().finally(() => {
        this.sending = undefined;
        this.afterSend();
      });
    }, due);
  }

  private afterSend(): void {
    if (this.closed) return this.wakeIdle();
    const pending = this.latest && mergePatch(this.acknowledged, this.latest) !== undefined;
    if (pending) {
      const backoff = this.failures > 0 ? Math.min(this.retryDelayMs * 2 ** (this.failures - 1), MAX_RETRY_DELAY_MS) : 0;
      this.schedule(backoff);
    } else this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async send(): Promise<void> {
    if (!this.latest) return;
    const patch = mergePatch(this.acknowledged, this.latest);
    if (!isObject(patch)) return;
    try {
      await this.channel.updateReported(patch);
      this.acknowledged = applyMergePatch(this.acknowledged, patch) as JsonObject;
      this.failures = 0;
      this.lastSentAt = Date.now();
      this.sentSubject.next({ patch, at: this.lastSentAt });
      this.logger.debug({ keys: Object.keys(patch) }, 'reported properties patch acknowledged');
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
