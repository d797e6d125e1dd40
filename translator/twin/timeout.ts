/**
 * A deadline for every IoT Hub call. The device SDK waits for an answer without a limit: a twin
 * request sent on an MQTT session the hub has lost is never answered, and whatever awaits it
 * would wait forever. Every call the link makes goes through {@link withTimeout}.
 */
import { TwinError } from './errors.js';

/** Default deadline of one IoT Hub call. */
export const DEFAULT_HUB_TIMEOUT_MS = 30_000;

/** Resolves or rejects as `promise` does, or rejects with a `timeout` {@link TwinError} after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TwinError('timeout', `${what}: no answer from IoT Hub within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
