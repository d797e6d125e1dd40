/** Time as the elector sees it; tests inject a manual clock. */
export interface ElectionClock {
  /** Monotonic milliseconds: every duration the elector measures is measured on this. */
  now(): number;
  /** Wall-clock time, written into the Lease's acquireTime and renewTime (informational). */
  date(): Date;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The process's clocks: performance.now() (monotonic) and Date. */
export const SYSTEM_CLOCK: ElectionClock = {
  now: () => performance.now(),
  date: () => new Date(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};
