/**
 * Deadline scheduling on wall-clock time. Timers in the browser stop during sleep and are
 * throttled in background tabs, so a deadline is an epoch-ms instant (Date.now), checked by a
 * short timer; a tab waking up is told by the page's events, and the machine notices a timer that
 * fired late (see `machine.ts`).
 */

/** Longest single setTimeout: long waits are re-measured against the clock in steps. */
export const MAX_TIMER_STEP_MS = 15_000;

/** Runs a function once, at or soon after an epoch-ms instant. Setting it again replaces the previous instant. */
export interface Deadline {
  /** The pending instant, or null. */
  readonly at: number | null;
  set(at: number): void;
  clear(): void;
}

/** A deadline that runs `fn` (a closure, not a class: nothing of it needs a name in the minified client). */
export function createDeadline(fn: () => void): Deadline {
  let handle: ReturnType<typeof setTimeout> | undefined;
  let target: number | null = null;

  const clear = () => {
    if (handle !== undefined) clearTimeout(handle);
    handle = undefined;
    target = null;
  };
  const arm = () => {
    const wait = Math.max(0, Math.min(MAX_TIMER_STEP_MS, target! - Date.now()));
    handle = setTimeout(() => {
      handle = undefined;
      if (target === null) return;
      if (Date.now() < target) return arm();
      clear();
      fn();
    }, wait);
  };

  return {
    get at() {
      return target;
    },
    set(at) {
      if (target === at && handle !== undefined) return;
      clear();
      target = at;
      arm();
    },
    clear,
  };
}

/**
 * Delay before retry number `attempt` (1, 2, …): 1 s, 2 s, 4 s… capped at `maxMs`, with ±20%
 * jitter so that many clients do not retry in step after an outage.
 */
export function backoffDelay(attempt: number, { baseMs = 1000, maxMs = 60_000, random = Math.random } = {}): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
