/**
 * Activity writes, batched under load. Every open browser pings once per ping interval and every
 * ping writes; a database statement costs far more than the request around it (the driver, the
 * pool, the commit). Touches that arrive while earlier ones are being written go together in the
 * next statement, one per {@link TouchBatchOptions.maxInFlight} slot: when the database keeps up,
 * a touch is written at once, alone; when it does not, the statements grow instead of queueing.
 *
 * A synchronous driver (better-sqlite3) has always finished its statement before the next request
 * is even read, so nothing would ever gather: there, touches wait for the end of the event loop's
 * turn (`gather: 'turn'`), and the requests read in that turn share one statement.
 */

/** Writes a batch: `at` per session id (already merged); answers the resulting `lastActivity` of the live ones. */
export type WriteTouches = (batch: ReadonlyMap<string, number>) => Promise<ReadonlyMap<string, number>>;

export interface TouchBatchOptions {
  /** Statements written at once (default 2: one being written while the next gathers). */
  maxInFlight?: number;
  /** Most sessions in one statement (default 500). */
  maxBatch?: number;
  /**
   * When a touch with nothing in flight is written: `'now'` (default, for an asynchronous driver)
   * or at the end of the event loop's turn (`'turn'`, for a synchronous one).
   */
  gather?: 'now' | 'turn';
}

interface Waiting {
  at: number;
  waiters: { resolve(value: number | undefined): void; reject(error: unknown): void }[];
}

/**
 * Gathers `touch(id, at)` calls into batches written by `write`. Two touches of one session in a
 * batch become one (the later `at`, as the store's forward-only merge would make it); each caller
 * gets the session's resulting `lastActivity`, or undefined when it is missing or ended; a failed
 * statement fails every touch in it.
 *
 * @internal
 */
export class TouchBatch {
  private queue = new Map<string, Waiting>();
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly gather: 'now' | 'turn';
  private scheduled = false;

  constructor(
    private readonly write: WriteTouches,
    options: TouchBatchOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatch = options.maxBatch ?? 500;
    this.gather = options.gather ?? 'now';
  }

  /** Sessions waiting for a statement (for tests and monitoring). */
  get queued(): number {
    return this.queue.size;
  }

  touch(id: string, at: number): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.queue.get(id);
      if (waiting) {
        waiting.at = Math.max(waiting.at, at);
        waiting.waiters.push({ resolve, reject });
      } else this.queue.set(id, { at, waiters: [{ resolve, reject }] });
      if (this.gather === 'now') this.pump();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.size > 0) {
      const batch = new Map<string, Waiting>();
      for (const [id, waiting] of this.queue) {
        if (batch.size >= this.maxBatch) break;
        batch.set(id, waiting);
        this.queue.delete(id);
      }
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async run(batch: Map<string, Waiting>): Promise<void> {
    try {
      const written = await this.write(new Map([...batch].map(([id, { at }]) => [id, at])));
      for (const [id, { waiters }] of batch) for (const waiter of waiters) waiter.resolve(written.get(id));
    } catch (err) {
      for (const { waiters } of batch.values()) for (const waiter of waiters) waiter.reject(err);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }
}
