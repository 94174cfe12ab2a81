/**
 * Deadline scheduling on wall-clock time. Timers in the browser stop during sleep and are
 * throttled in background tabs, so a deadline is an epoch-ms instant (Date.now), checked by a
 * short timer; a tab waking up is told by the page's events, and the machine notices a timer that
 * fired late (see `machine.ts`).
 */

/** Longest single setTimeout: long waits are re-measured against the clock in steps. */
export const MAX_TIMER_STEP_MS = 15_000;

/** Runs `fn` once, at or soon after an epoch-ms instant. Setting it again replaces the previous instant. */
export class Deadline {
  private handle: ReturnType<typeof setTimeout> | undefined;
  private target: number | null = null;

  constructor(private readonly fn: () => void) {}

  /** The pending instant, or null. */
  get at(): number | null {
    return this.target;
  }

  set(at: number): void {
    if (this.target === at && this.handle !== undefined) return;
    this.clear();
    this.target = at;
    this.arm();
  }

  clear(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.target = null;
  }

  private arm(): void {
    const wait = Math.max(0, Math.min(MAX_TIMER_STEP_MS, this.target! - Date.now()));
    this.handle = setTimeout(() => {
      this.handle = undefined;
      if (this.target === null) return;
      if (Date.now() >= this.target) this.fire();
      else this.arm();
    }, wait);
  }

  private fire(): void {
    this.clear();
    this.fn();
  }
}

/**
 * Delay before retry number `attempt` (1, 2, …): 1 s, 2 s, 4 s… capped at `maxMs`, with ±20%
 * jitter so that many clients do not retry in step after an outage.
 */
export function backoffDelay(attempt: number, { baseMs = 1000, maxMs = 60_000, random = Math.random } = {}): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
