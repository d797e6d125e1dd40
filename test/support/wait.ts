/** Polling for tests that wait on asynchronous systems (emulators, SDK clients, watches). */

/**
 * Polls `check` every 50 ms until it returns a value other than undefined. A check that throws
 * counts as "not yet"; the last error is named when the wait times out.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Polls a synchronous `check` every 2 ms until it holds: for tests of in-process scheduling (a
 * simulated controller alone), where 50 ms polls would blur the order of steps.
 */
export async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
