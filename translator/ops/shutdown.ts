/**
 * Shutdown that ends whatever the links do: each step (closing the IoT Hub link, the watches,
 * the ops server, ...) gets a deadline where it is awaited, and a step past it is abandoned
 * with a warning, so a stop with IoT Hub or the cluster unreachable still finishes in seconds.
 */

/** Default deadline of one shutdown step. */
export const SHUTDOWN_STEP_MS = 2000;

/** Awaits `step()` for at most `ms`; resolves `'done'`, `'failed'` (it threw) or `'timed out'`, never rejects. */
export async function boundedStep(step: () => Promise<unknown>, ms = SHUTDOWN_STEP_MS): Promise<'done' | 'failed' | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), ms);
  });
  const run = Promise.resolve()
    .then(step)
    .then(
      () => 'done' as const,
      () => 'failed' as const,
    );
  try {
    return await Promise.race([run, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
