/**
 * Fault injection for tests: failing requests, latency, dropped and expired watches.
 */

/** Which requests a fault applies to. */
export interface RequestMatch {
  method?: string;
  /** A substring of, or a regular expression for, the request path (query excluded). */
  path?: string | RegExp;
}

/** A rule answering the next `count` matching requests with an error status. */
interface FailureRule extends RequestMatch {
  remaining: number;
  status: FaultStatus;
  retryAfterSeconds: number;
}

/** The error statuses a fault can answer with: 500 and 429 (transient), 403 and 422 (refusals, as a quota or an admission webhook gives). */
export type FaultStatus = 500 | 429 | 403 | 422;

/** Injects faults into the emulator's HTTP handling. */
export class FaultInjector {
  private readonly failures: FailureRule[] = [];
  private latencyMs = 0;
  private expireWatches = 0;
  private readonly dropHandlers = new Set<() => void>();

  /** Answers the next `count` matching requests with 500 InternalError. */
  failNext(count: number, match: RequestMatch = {}): void {
    this.failures.push({ ...match, remaining: count, status: 500, retryAfterSeconds: 0 });
  }

  /** Answers the next `count` matching requests with 429 TooManyRequests and Retry-After. */
  throttleNext(count: number, retryAfterSeconds = 1, match: RequestMatch = {}): void {
    this.failures.push({ ...match, remaining: count, status: 429, retryAfterSeconds });
  }

  /**
   * Answers the next `count` matching requests with a refusal: 422 Invalid or 403 Forbidden, as a
   * real API server's admission (a webhook, a quota) refuses an object that is otherwise valid.
   */
  refuseNext(count: number, match: RequestMatch = {}, status: 422 | 403 = 422): void {
    this.failures.push({ ...match, remaining: count, status, retryAfterSeconds: 0 });
  }

  /** Adds latency to every request (0 removes it). */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** The latency currently added to every request. */
  get latency(): number {
    return this.latencyMs;
  }

  /** Closes every open watch connection now. */
  dropWatches(): void {
    for (const drop of [...this.dropHandlers]) drop();
  }

  /** The next `count` watch requests get a 410 Expired ERROR event. */
  expireNextWatches(count = 1): void {
    this.expireWatches += count;
  }

  /** Clears every pending fault. */
  reset(): void {
    this.failures.length = 0;
    this.latencyMs = 0;
    this.expireWatches = 0;
  }

  /** @internal Consumes a failure rule matching the request, if any. */
  takeFailure(method: string, path: string): { status: FaultStatus; retryAfterSeconds: number } | undefined {
    const index = this.failures.findIndex((rule) => {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
      if (rule.path instanceof RegExp) return rule.path.test(path);
      if (typeof rule.path === 'string') return path.includes(rule.path);
      return true;
    });
    if (index < 0) return undefined;
    const rule = this.failures[index]!;
    rule.remaining--;
    if (rule.remaining <= 0) this.failures.splice(index, 1);
    return { status: rule.status, retryAfterSeconds: rule.retryAfterSeconds };
  }

  /** @internal True (once per pending count) when this watch must be expired. */
  takeWatchExpiry(): boolean {
    if (this.expireWatches <= 0) return false;
    this.expireWatches--;
    return true;
  }

  /** @internal Registers an open watch's close function; returns the unregister function. */
  onDrop(handler: () => void): () => void {
    this.dropHandlers.add(handler);
    return () => this.dropHandlers.delete(handler);
  }
}
