import { SessionWatchConfigError, StoreUnavailableError } from '../errors';
import type { SessionWatchLogger } from '../options';
import { isMissingTableError, missingTableMessage } from '../store/missing-table';

/**
 * What sessionwatch says through the `logger` option, without flooding it: each configuration
 * error once ever, each distinct database error once per outage (again after the database has
 * worked, and then at most once a minute: a database that fails some calls and serves others would
 * otherwise be an outage per call).
 *
 * @internal
 */
export class LogOnce {
  private readonly logged = new Set<string>();
  /** When each database error was last said: a flapping database (some calls fail, some work) repeats it at most once a minute. */
  private readonly saidAt = new Map<string, number>();

  constructor(
    private readonly logger: SessionWatchLogger,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A configuration error: logged the first time `key` is seen, returned to be thrown. */
  configError(key: string, message: string): SessionWatchConfigError {
    const error = new SessionWatchConfigError(message);
    this.log(`config:${key}`, message, error);
    return error;
  }

  /**
   * An option of the app (a function) threw: said once in the log with what it threw, and
   * returned to be thrown as a 500 whose message names the option only — what an app's code
   * throws (a directory's error, a stack of internals) never reaches a response.
   */
  optionThrew(option: string, err: unknown): SessionWatchConfigError {
    this.log(`config:${option}-threw`, `sessionwatch: the "${option}" option threw: ${describeError(err)}`, err);
    return new SessionWatchConfigError(`sessionwatch: the "${option}" option threw (what it threw is in the server log)`);
  }

  /** Told of every store call's outcome (the error, or undefined on success). */
  readonly observeStore = (err: unknown): void => {
    if (err === undefined) {
      if (this.logged.size) for (const key of this.logged) if (key.startsWith('db:')) this.logged.delete(key);
      return;
    }
    if (err instanceof SessionWatchConfigError || err instanceof StoreUnavailableError) return;
    // A missing table is a configuration error: said once, in the words of what to do.
    if (isMissingTableError(err)) {
      this.log('config:table', missingTableMessage(this.tableName), err);
      return;
    }
    const message = describeError(err);
    const key = `db:${message}`;
    if (this.logged.has(key)) return;
    const time = this.now();
    if (time - (this.saidAt.get(key) ?? -Infinity) < REPEAT_AFTER_MS) {
      this.logged.add(key); // said less than a minute ago: this outage is the same one, still going
      return;
    }
    if (this.saidAt.size >= 100) this.saidAt.clear(); // distinct messages are few; never grow without bound
    this.saidAt.set(key, time);
    this.log(key, `sessionwatch: session database error (requests fail closed with 503): ${message}`, err);
  };

  /** Advice about the setup that needs no error (nothing failed): said the first time `key` is seen. */
  advise(key: string, message: string): void {
    this.log(`advice:${key}`, message, undefined);
  }

  private log(key: string, message: string, error: unknown): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    try {
      this.logger.error(message, error);
    } catch {
      /* a broken logger must not break requests */
    }
  }
}

/** The same database error is said again after the database has worked, at most once in this time. */
const REPEAT_AFTER_MS = 60_000;

/** A one-line description of anything thrown: JSON.stringify could throw (cycles) or say `{}`. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}
