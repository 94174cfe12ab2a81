import { captureRejectionSymbol, EventEmitter } from 'node:events';
import type { Context, Middleware } from 'koa';
import { SessionCore } from './core/session-core';
import type { LoginOptions, SessionWatchEvents } from './core/types';
import type { SessionPolicy } from './inactivity/session-policy';

export type { SessionCreatedEvent, SessionEndedEvent, SessionWatchEvents } from './core/types';
import { Sweeper } from './inactivity/sweeper';
import { createMiddleware } from './middleware';
import { resolveOptions, type ResolvedOptions, type SessionWatchOptions } from './options';
import type { Store, SweepResult } from './store/types';
import { PagingError } from './tracking/paging';
import { textProblem } from './http/text-param';
import { toTrackedSession, type TrackedSession } from './tracking/records';
import { toHistoryEntry, type HistoryEntry } from './insight/events';

/** One page of {@link SessionWatch.listSessionsPage}. */
export interface TrackedSessionPage {
  sessions: TrackedSession[];
  /** Pass it as `cursor` for the next page; `null` on the last one. */
  nextCursor: string | null;
}

/** One page of {@link SessionWatch.history}. */
export interface HistoryPage {
  events: HistoryEntry[];
  /** Pass it as `cursor` for the next page; `null` on the last one. */
  nextCursor: string | null;
}

/** The paging options of the server API: `cursor` may be the previous page's `nextCursor`, null included. */
export interface PageOptions {
  limit?: number;
  cursor?: string | null;
}

/**
 * Checks a paged call's options (an object of known keys, a numeric `limit`, a string or null
 * `cursor`: a TypeError naming the method otherwise) and runs it: a bad `limit` or `cursor` value
 * (a PagingError) becomes a RangeError naming the method.
 */
async function paged<T, O extends PageOptions>(
  method: string,
  options: O,
  call: (paging: { limit?: number; cursor?: string }) => Promise<T>,
  known: readonly string[] = ['limit', 'cursor'],
): Promise<T> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`sessionwatch: ${method} options must be an object { ${known.join(', ')} }`);
  }
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length)
    throw new TypeError(`sessionwatch: ${method}: unknown option ${JSON.stringify(unknown[0])} (known: ${known.join(', ')})`);
  if (options.limit !== undefined && typeof options.limit !== 'number')
    throw new TypeError(`sessionwatch: ${method}: limit must be a number`);
  const cursor = options.cursor ?? undefined;
  if (cursor !== undefined && typeof cursor !== 'string') throw new TypeError(`sessionwatch: ${method}: cursor must be a string or null`);
  try {
    return await call({ limit: options.limit, cursor });
  } catch (err) {
    if (err instanceof PagingError) throw new RangeError(`sessionwatch: ${method}: ${err.message}`);
    throw err;
  }
}

/** The options of {@link SessionWatch.login}. */
const LOGIN_OPTIONS = ['policy', 'idp', 'keepSessionInfo'] as const satisfies ReadonlyArray<keyof LoginOptions>;

/**
 * The user id of the public API, checked: a non-empty string or number of at most 255 characters,
 * text both databases store alike (no NUL, valid Unicode: see `textProblem`).
 */
function userIdOf(userId: unknown): string {
  if ((typeof userId !== 'string' && typeof userId !== 'number') || String(userId) === '' || String(userId).length > 255) {
    throw new TypeError('sessionwatch: userId must be a non-empty string or number of at most 255 characters');
  }
  const problem = textProblem(String(userId));
  if (problem !== null) throw new TypeError(`sessionwatch: userId ${problem}`);
  return String(userId);
}

/**
 * Tracked sessions and inactivity logout for a Koa app using koa-session.
 *
 * @example
 * ```ts
 * const sw = createSessionWatch({ database: 'sqlite:./data/sessions.sqlite' });
 * await sw.migrate();
 * app.use(session(app));
 * app.use(sw.middleware());
 * router.post('/login', async (ctx) => {
 *   const user = await checkPassword(ctx);          // your own authentication
 *   await sw.login(ctx, user.id);                    // regenerates the session, records it
 *   ctx.session.userId = user.id;
 * });
 * ```
 */
export class SessionWatch extends EventEmitter<SessionWatchEvents> {
  /** Validated options with defaults applied (e.g. `trustedOrigins` for `assertSameOrigin`). */
  readonly options: ResolvedOptions;
  /** The engine: everything below validates arguments and delegates to it. */
  private readonly core: SessionCore;
  /** Runs {@link sweep} every `sweepInterval` once the middleware is mounted. */
  private readonly sweeper: Sweeper;

  constructor(options: SessionWatchOptions = {}) {
    // An async listener's rejection comes to `[captureRejectionSymbol]`, not to an unhandled rejection.
    super({ captureRejections: true });
    this.options = resolveOptions(options);
    this.core = new SessionCore(this.options, this);
    this.sweeper = new Sweeper(this);
  }

  /**
   * An async `sessionCreated` / `sessionEnded` listener rejected: said once in the log (a crash of
   * the process, or an `error` event nobody listens to, would be worse).
   *
   * @internal
   */
  [captureRejectionSymbol]<K>(
    err: Error,
    event: keyof SessionWatchEvents | K,
    ..._args: K extends keyof SessionWatchEvents ? SessionWatchEvents[K] : never
  ): void {
    this.core.listenerFailed(String(event), err);
  }

  /**
   * The store of tracked sessions as requests use it (failures become `503 unavailable`).
   *
   * @internal
   */
  get store(): Store {
    return this.core.store;
  }

  /**
   * Push streams (`GET {apiPrefix}/events`) open on this instance: one per browser whose client
   * holds one (its leader tab's).
   */
  get pushStreams(): number {
    return this.core.push.size;
  }

  /**
   * Creates or updates the tables (Knex migrations), opens the `geoip` database and, with
   * `backChannelLogout`, loads `jose`: a missing `maxmind` or `jose` package, or a bad file, rejects
   * here. Safe to call at every start.
   */
  async migrate(): Promise<void> {
    return this.core.migrate();
  }

  /**
   * The Koa middleware: checks every request's session (revoked, expired → logged out on the
   * spot), records activity, and serves the HTTP API under `apiPrefix`. Mount it after
   * koa-session. Also starts the background work (the sweep, and on Postgres the cache's
   * invalidation listener): a SessionWatch that serves no request runs nothing.
   */
  middleware(): Middleware {
    this.sweeper.start();
    this.core.start();
    return createMiddleware(this.core);
  }

  /**
   * Logs `userId` in on this request: starts a fresh session (a new cookie, a new external store
   * key: the pre-login cookie becomes useless), links it to a new tracked record and emits
   * `sessionCreated`. The session starts empty — call it before writing your own data into
   * `ctx.session` — unless `options.keepSessionInfo` (or a passport login of the same user in this
   * session, whose data it keeps). Beyond `maxSessionsPerUser` live sessions, the user's least
   * recently active ones are revoked (see `SessionEndedEvent.cause`).
   *
   * With koa-passport there is no need to call it: every passport login is tracked on its own
   * (see the `passport` option). Call it after `ctx.login()` to give that login a `policy` or an
   * `idp`.
   *
   * `options.policy` sets this session's own limits (`warnAfter`, `expireAfter`, `maxAge`), over
   * the `policy` option's result and the global options. A bad policy (or a `policy` option that
   * throws) rejects with an error naming the field, before anything is written: the request's
   * session stays as it was. `options.idp` (the ID token's claims of an OpenID Connect sign-in)
   * lets the provider's back-channel logout end this session.
   *
   * @example
   * ```ts
   * // "Keep me signed in": 14 days of inactivity, warned a minute before, no absolute limit.
   * const remember = { warnAfter: 14 * 86400 - 60, expireAfter: 14 * 86400, maxAge: null };
   * await sw.login(ctx, user.id, body.remember ? { policy: remember } : {});
   * ```
   */
  async login(ctx: Context, userId: string | number, options: LoginOptions = {}): Promise<TrackedSession> {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`sessionwatch: login options must be an object { ${LOGIN_OPTIONS.join(', ')} }`);
    }
    const unknown = Object.keys(options).filter((key) => !(LOGIN_OPTIONS as readonly string[]).includes(key));
    if (unknown.length)
      throw new TypeError(`sessionwatch: unknown login option ${JSON.stringify(unknown[0])} (known: ${LOGIN_OPTIONS.join(', ')})`);
    if (options.keepSessionInfo !== undefined && typeof options.keepSessionInfo !== 'boolean') {
      throw new TypeError('sessionwatch: login option "keepSessionInfo" must be a boolean');
    }
    return this.core.login(ctx, userIdOf(userId), options);
  }

  /**
   * Logs the request's session out: deletes its record, emits `sessionEnded` (`logged-out`) and
   * resets the session (cookie cleared, external store entry destroyed). Idempotent.
   */
  async logout(ctx: Context): Promise<void> {
    return this.core.logout(ctx);
  }

  /** The request's live tracked session, or undefined when it has none. */
  current(ctx: Context): TrackedSession | undefined {
    return this.core.current(ctx);
  }

  /**
   * A user's active sessions, newest activity first (server-side API). Sessions past their
   * deadline (idle or `maxAge`) are left out even before the sweep has ended them.
   */
  async listSessions(userId: string | number): Promise<TrackedSession[]> {
    return this.core.listSessions(userIdOf(userId));
  }

  /**
   * One page of {@link listSessions}: `limit` sessions (1–200, default 100) after `cursor` (the
   * previous page's `nextCursor`). Throws a RangeError for a bad limit or cursor.
   */
  async listSessionsPage(userId: string | number, options: PageOptions = {}): Promise<TrackedSessionPage> {
    const page = await paged('listSessionsPage', options, (paging) => this.core.listSessionsPage(userIdOf(userId), paging));
    return { sessions: page.records.map(toTrackedSession), nextCursor: page.nextCursor };
  }

  /**
   * One page of every user's active sessions (or of `userId`'s), newest activity first, for an
   * administration page: `limit` sessions (1–200, default 50) after `cursor` (the previous page's
   * `nextCursor`). Keyset paging on the activity index: any page costs the same on a large
   * table. Throws a RangeError for a bad limit or cursor.
   *
   * @example
   * ```ts
   * let cursor: string | undefined;
   * do {
   *   const page = await sw.listAllSessions({ limit: 200, cursor });
   *   for (const s of page.sessions) console.log(s.userId, s.ip, s.lastActivity);
   *   cursor = page.nextCursor ?? undefined;
   * } while (cursor);
   * ```
   */
  async listAllSessions(options: PageOptions & { userId?: string | number } = {}): Promise<TrackedSessionPage> {
    const userId = options?.userId === undefined ? undefined : userIdOf(options.userId);
    const page = await paged('listAllSessions', options, (paging) => this.core.listAllSessionsPage({ userId, ...paging }), [
      'userId',
      'limit',
      'cursor',
    ]);
    return { sessions: page.records.map(toTrackedSession), nextCursor: page.nextCursor };
  }

  /**
   * Revokes one session of a user: its next request is logged out. Returns false when the id is
   * unknown, already ended, or belongs to another user (never revoked then).
   */
  async revokeSession(userId: string | number, id: string, ctx?: Context): Promise<boolean> {
    return this.core.revokeSession(userIdOf(userId), id, ctx);
  }

  /**
   * Revokes all sessions of a user (e.g. after a password change), except `exceptId` when given.
   * Returns how many were revoked.
   */
  async revokeAll(userId: string | number, options: { exceptId?: string; ctx?: Context } = {}): Promise<number> {
    return this.core.revokeAll(userIdOf(userId), options);
  }

  /**
   * Changes the limits of a user's live sessions (or of one, `options.sessionId`) now: an
   * administrator tightening the idle timeout of a role, a user leaving "keep me signed in". The
   * new limits are `policy` over the global options, as a login's `policy` gives them (a field
   * left out takes the global option, not the session's current value; `null` or `{}`: back to
   * the global options), and checked the same way: a bad one rejects with the same TypeError or
   * RangeError, and no session changes. Every instance applies them to its next request at once;
   * a session the new limits put past its deadline ends now, as expired. The open tabs of each
   * session are told through the push stream (a `policy` event) and take the new deadlines from
   * their next ping: a warning showing goes away when the deadline moved out of its reach, or
   * comes at once when a shorter limit reaches it. Resolves to how many sessions changed (those
   * ended at once included); an unknown, ended or other user's `sessionId` changes none.
   *
   * @example
   * ```ts
   * // PCI DSS 8.2.8: the cardholder-data role now signs out after 15 idle minutes, everywhere.
   * for (const userId of await usersWithRole('cardholder-data')) {
   *   await sw.setPolicy(userId, { warnAfter: 13 * 60, expireAfter: 15 * 60 });
   * }
   * // One session back on the global options.
   * await sw.setPolicy(user.id, null, { sessionId });
   * ```
   */
  async setPolicy(userId: string | number, policy: SessionPolicy | null, options: { sessionId?: string } = {}): Promise<number> {
    if (options === null || typeof options !== 'object')
      throw new TypeError('sessionwatch: setPolicy options must be an object { sessionId }');
    const unknown = Object.keys(options).filter((key) => key !== 'sessionId');
    if (unknown.length) throw new TypeError(`sessionwatch: setPolicy: unknown option ${JSON.stringify(unknown[0])} (known: sessionId)`);
    if (options.sessionId !== undefined && typeof options.sessionId !== 'string') {
      throw new TypeError("sessionwatch: setPolicy: sessionId must be a string (a session's public id)");
    }
    return this.core.setPolicy(userIdOf(userId), policy, options.sessionId);
  }

  /**
   * One page of a user's security log, newest first: sign-ins (`newDevice`) and how each session
   * ended (`logout`, `revoked` with `by`, `expired`, `lost`), with the session's address,
   * location, browser, OS and device at that moment. `limit` 1–200 (default 50), `cursor` the
   * previous page's `nextCursor`; throws a RangeError for a bad one. Entries older than
   * `historyRetention` are gone.
   *
   * @example
   * ```ts
   * const { events } = await sw.history(user.id, { limit: 20 });
   * for (const e of events) console.log(e.at, e.type, e.by ?? '', e.location?.city ?? e.ip);
   * ```
   */
  async history(userId: string | number, options: PageOptions = {}): Promise<HistoryPage> {
    const page = await paged('history', options, (paging) => this.core.history(userIdOf(userId), paging));
    return { events: page.events.map(toHistoryEntry), nextCursor: page.nextCursor };
  }

  /** Ends expired records and deletes old ended ones now (the background sweep calls this). */
  async sweep(): Promise<SweepResult> {
    return this.core.sweep();
  }

  /** Stops the sweep and closes the database connections. */
  async close(): Promise<void> {
    this.sweeper.stop();
    await this.core.close();
  }
}

/**
 * Creates a {@link SessionWatch}: validates the options (throws a TypeError or RangeError naming
 * the bad one) and connects the store. Call `await sw.migrate()` before serving.
 */
export function createSessionWatch(options?: SessionWatchOptions): SessionWatch {
  return new SessionWatch(options);
}
