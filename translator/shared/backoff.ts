/** Exponential backoff with jitter, shared by watch restarts, reconcile retries and the IoT Hub reconnects. */

export interface BackoffOptions {
  /** Delay of the first retry. @default 500 */
  initialMs?: number;
  /** Upper bound of the delay. @default 30000 */
  maxMs?: number;
  /** Spread: the delay is scaled by a random factor in [1 - jitter, 1 + jitter]. @default 0.2 */
  jitter?: number;
}

/**
 * The delay before retry number `attempt` (1-based): initialMs * 2^(attempt-1), capped at
 * maxMs, then jittered. `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const base = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * random())));
}
