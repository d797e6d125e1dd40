/**
 * The bridge's IoT Hub side, connected in the background: the bridge starts (and keeps the last
 * good deployment running) whether or not IoT Hub is reachable; the link connects with backoff,
 * then feeds desired deployments in and sends the latest reported document out. A link whose
 * IoT Hub call times out is closed and replaced by a new connection; `readiness()` is false
 * while the twin is stale (not connected, or a full fetch pending or failing).
 */
import { Subject, Subscription, type Observable } from 'rxjs';
import type { StructuredLogger } from '../ops/index.js';
import { backoffDelay } from '../shared/index.js';
import { TwinError } from './errors.js';
import { ReportedPublisher } from './reported-publisher.js';
import { TwinLink, type DesiredState } from './twin-link.js';

/** Reported keys whose change is sent without waiting behind a burst: the outcome of a deployment. */
const PROMPT_KEYS = ['lastDesiredVersion', 'lastDesiredStatus'] as const;

export interface HubLinkOptions {
  connectionString: string;
  ca?: string;
  /** Deadline of every IoT Hub call; a link that misses one is replaced. @default 30000 */
  timeoutMs?: number;
  logger: StructuredLogger;
  /** Called for each reported patch IoT Hub acknowledged or that failed (metrics). */
  onPatch?: (result: 'sent' | 'failed') => void;
  /** Called once connected, e.g. to attach direct-method handlers to the client. */
  onConnected?: (link: TwinLink) => void;
}

export class HubLink {
  private readonly desired = new Subject<DesiredState>();
  /** The twin's desired properties with their `$version`, once connected. */
  readonly desired$: Observable<DesiredState> = this.desired.asObservable();
  private link: TwinLink | undefined;
  private publisher: ReportedPublisher | undefined;
  private latest: object | undefined;
  /** Subscriptions to the current link and its publisher. */
  private linkSubscriptions = new Subscription();
  private replacing = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;

  constructor(private readonly options: HubLinkOptions) {}

  /** True once the twin link is open. */
  get connected(): boolean {
    return this.link !== undefined;
  }

  /** Connects now and, on failure, again with backoff until connected or stopped. */
  start(): Promise<void> {
    return this.connect();
  }

  /** `true` while the twin is current; otherwise why /readyz should say not ready. */
  readiness(): true | string {
    if (this.stopped) return 'the IoT Hub link is stopped';
    if (!this.link) return 'not connected to IoT Hub: the $edgeAgent twin is stale';
    return this.link.freshness();
  }

  /** Sends a reported document now if connected, else once connected (only the latest is kept). */
  report(document: object): void {
    this.latest = document;
    this.publisher?.publish(document);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.linkSubscriptions.unsubscribe();
    this.publisher?.close();
    await this.link?.close();
  }

  /**
   * Drops a link whose IoT Hub call went unanswered (the hub may have lost its MQTT session, so
   * nothing sent on it will ever be answered) and connects again.
   */
  private replace(error: TwinError): void {
    if (this.stopped || this.replacing || !this.link) return;
    this.replacing = true;
    this.options.logger.warn({ error: error.message }, 'IoT Hub did not answer in time; reconnecting');
    const old = this.link;
    this.link = undefined;
    this.linkSubscriptions.unsubscribe();
    this.linkSubscriptions = new Subscription();
    this.publisher?.close();
    this.publisher = undefined;
    void old.close().finally(() => {
      this.replacing = false;
      if (!this.stopped) void this.connect().catch(() => undefined);
    });
  }

  private async connect(): Promise<void> {
    const { logger, onPatch } = this.options;
    try {
      const link = await TwinLink.open({ connectionString: this.options.connectionString, ca: this.options.ca, logger, ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}) });
      if (this.stopped) {
        await link.close();
        return;
      }
      this.link = link;
      this.attempts = 0;
      this.publisher = new ReportedPublisher(link, { logger, promptKeys: PROMPT_KEYS });
      const subscriptions = this.linkSubscriptions;
      subscriptions.add(this.publisher.sent$.subscribe(() => onPatch?.('sent')));
      subscriptions.add(
        this.publisher.errors$.subscribe((e) => {
          onPatch?.('failed');
          if (e.kind === 'timeout') this.replace(e);
        }),
      );
      subscriptions.add(link.errors$.subscribe((e) => e.kind === 'timeout' && this.replace(e)));
      subscriptions.add(link.desired$.subscribe((state) => this.desired.next(state)));
      if (this.latest) this.publisher.publish(this.latest);
      this.options.onConnected?.(link);
      logger.info({}, 'connected to IoT Hub as $edgeAgent');
    } catch (e) {
      if (e instanceof TwinError && e.kind === 'invalid-configuration') throw e;
      const delay = backoffDelay(this.attempts++, { initialMs: 1000, maxMs: 30_000 });
      logger.warn({ error: e instanceof Error ? e.message : String(e), retryInMs: delay }, 'cannot reach IoT Hub; the current deployment keeps running');
      if (!this.stopped) this.timer = setTimeout(() => void this.connect().catch(() => undefined), delay);
    }
  }
}
