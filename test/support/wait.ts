/**
 * Waiting in tests (and in the bench): a plain delay, and polling until a condition holds.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface UntilOptions {
  /** Give up after this many ms (default 15 s), with an error naming `what`. */
  timeout?: number;
  /** What is awaited, for the error message. */
  what?: string;
  /** Poll interval in ms (default 50). */
  every?: number;
}

/** Polls `check` every `every` ms until it returns a truthy value, and returns that value. */
export async function until<T>(
  check: () => Promise<T> | T,
  { timeout = 15_000, what = 'condition', every = 50 }: UntilOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(every);
  }
}
