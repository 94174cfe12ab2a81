/**
 * Deadline scheduling on wall-clock time. Timers in the browser stop during sleep and are
 * throttled in background tabs, so a deadline is an epoch-ms instant (Date.now), checked by a
 * short timer; a tab waking up is told by the page's events, and the machine notices a timer that
 * fired late (see `machine.ts`).
 */

/** Longest single setTimeout of a stepped deadline: long waits are re-measured against the clock in steps. */
export const MAX_TIMER_STEP_MS = 15_000;
/** Longest wait a browser's setTimeout takes (a signed 32-bit count of ms); a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Runs a function once, at or soon after an epoch-ms instant. Setting it again replaces the previous instant. */
export interface Deadline {
  /** The pending instant, or null. */
  readonly at: number | null;
  /**
   * `stepped` (the default): the wait is re-measured against the clock every {@link MAX_TIMER_STEP_MS},
   * so that a clock that jumped (the computer slept) is noticed within a step. Otherwise one timer for
   * the whole wait: it wakes the page once, and fires late after a sleep (for a tab whose other
   * wake-ups, its page's events and messages, re-check the deadlines anyway).
   */
  set(at: number, stepped?: boolean): void;
  clear(): void;
}

/** A deadline that runs `fn` (a closure, not a class: nothing of it needs a name in the minified client). */
export function createDeadline(fn: () => void): Deadline {
  let handle: ReturnType<typeof setTimeout> | undefined;
  let target: number | null = null;
  let step = MAX_TIMER_STEP_MS;

  const clear = () => {
    if (handle !== undefined) clearTimeout(handle);
    handle = undefined;
    target = null;
  };
  const arm = () => {
    const wait = Math.max(0, Math.min(step, target! - Date.now()));
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
    set(at, stepped = true) {
      const wanted = stepped ? MAX_TIMER_STEP_MS : MAX_TIMEOUT_MS;
      if (target === at && step === wanted && handle !== undefined) return;
      clear();
      target = at;
      step = wanted;
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
