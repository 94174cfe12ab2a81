import { EventEmitter } from 'node:events';
import type { Context, Middleware } from 'koa';
import { apiPath, ROUTES, SESSION_ENDED_HEADER, type EndReason, type SessionListResponse } from '../shared/protocol';
import { SessionWatchConfigError, StoreUnavailableError } from './errors';
import { isMissingTableError, missingTableMessage } from './store/missing-table';
import { isExpired } from './inactivity/policy';
import { isKnex, isStore, resolveOptions, type ResolvedOptions, type SessionWatchOptions } from './options';
import type { Store, SessionRecord, SweepResult } from './store/types';
import { KnexStore } from './store/knex-store';
import { connect } from './store/connect';
import { failClosed } from './store/fail-closed';
import { CachedStore } from './store/cached-store';
import { PgInvalidationChannel } from './store/pg-invalidation';
import { newToken } from './tracking/tokens';
import { newRecord, toSessionInfo, toTrackedSession, type TrackedSession } from './tracking/records';
import { pageOf, sortForList } from './tracking/paging';
import { currentStoreKey, externalStoreOf, regenerateSession } from './tracking/koa-session-adapter';
import { createMiddleware } from './middleware';
import { Sweeper } from './inactivity/sweeper';

/** Payload of the `sessionCreated` event. */
export interface SessionCreatedEvent {
  session: TrackedSession;
}

/** Payload of the `sessionEnded` event. */
export interface SessionEndedEvent {
  session: TrackedSession;
  reason: EndReason;
  /**
   * Set when sessionwatch itself revoked the session to keep the user within
   * `maxSessionsPerUser` (a newer login made it the least recently active one too many).
   */
  cause?: 'maxSessionsPerUser';
}

/** One page of {@link SessionWatch.listSessionsPage}. */
export interface TrackedSessionPage {
  sessions: TrackedSession[];
  /** Pass it as `cursor` for the next page; `null` on the last one. */
  nextCursor: string | null;
}

/** Events of a {@link SessionWatch} instance. */
export interface SessionWatchEvents {
  sessionCreated: [SessionCreatedEvent];
  sessionEnded: [SessionEndedEvent];
}

/** What sessionwatch knows about the current request (see {@link SessionWatch.current}). */
export interface RequestState {
  /** The live tracked session of the request, if it has one. */
  record?: SessionRecord;
  /**
   * Set when the request came with a session that sessionwatch has just logged out, or from a
   * browser whose session it ended earlier (still within `retention`): sent as `Session-Ended`.
   */
  ended?: EndReason;
  /** When that session ended (epoch ms): the 401's `endedFor`. */
  endedAt?: number;
}

/** Postgres stores get LISTEN/NOTIFY invalidation; others are single-process (SQLite) or custom. */
function invalidationChannelFor(store: Store, schema: string | undefined): PgInvalidationChannel | undefined {
  if (!(store instanceof KnexStore) || !store.isPostgres) return undefined;
  const name = `sw_${schema ? `${schema}_` : ''}${store.tableName}`.slice(0, 63);
  return new PgInvalidationChannel(store.knex, store.knex.client.config.connection, name);
}

function userIdOf(userId: unknown): string {
  if ((typeof userId !== 'string' && typeof userId !== 'number') || String(userId) === '' || String(userId).length > 255) {
    throw new TypeError('sessionwatch: userId must be a non-empty string or number of at most 255 characters');
  }
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
  /** Validated options with defaults applied. */
  readonly options: ResolvedOptions;
  /** The store of tracked sessions (failures become `503 unavailable`). */
  readonly store: Store;
  private readonly rawStore: Store;
  private readonly requests = new WeakMap<Context, RequestState>();
  private readonly sweeper: Sweeper;
  /** Full path of the ping route: passive by design. */
  readonly pingPath: string;
  /** Full path of the logout route: passive too (it ends the session). */
  readonly logoutPath: string;
  /**
   * Key inside `ctx.session` of a browser whose session sessionwatch ended: the ended record's
   * token hash (never the token), so its later requests still get the precise reason.
   */
  readonly endedKey: string;
  /** What has been logged already: configuration errors once ever, database errors once per outage. */
  private readonly logged = new Set<string>();

  constructor(options: SessionWatchOptions = {}) {
    super();
    this.options = resolveOptions(options);
    const { database, tableName, schema, cache, queryTimeoutMs } = this.options;
    if (isStore(database)) this.rawStore = database;
    else if (isKnex(database)) this.rawStore = new KnexStore(database, { tableName, schema });
    else if (typeof database === 'string') {
      this.rawStore = new KnexStore(connect(database, { schema }), { tableName, schema });
    } else {
      throw new TypeError('sessionwatch: option "database" must be a URL, a Knex instance or a Store');
    }
    const guarded = failClosed(this.rawStore, queryTimeoutMs, (err) => this.observeStore(err), missingTableMessage(tableName));
    this.store = cache
      ? new CachedStore(guarded, { maxEntries: cache.maxEntries, channel: invalidationChannelFor(this.rawStore, schema) })
      : guarded;
    this.sweeper = new Sweeper(this);
    this.pingPath = apiPath(this.options.apiPrefix, ROUTES.ping);
    this.logoutPath = apiPath(this.options.apiPrefix, ROUTES.logout);
    this.endedKey = `${this.options.sessionKey}:ended`;
  }

  /**
   * A configuration error: logged once through the `logger` option (the first time `key` is
   * seen), returned to be thrown (every request that meets it fails: never run untracked).
   */
  configError(key: string, message: string): SessionWatchConfigError {
    const error = new SessionWatchConfigError(message);
    this.logOnce(`config:${key}`, message, error);
    return error;
  }

  /** Logs database errors: each distinct one once, again after the database has worked. */
  private observeStore(err: unknown): void {
    if (err === undefined) {
      if (this.logged.size) for (const key of this.logged) if (key.startsWith('db:')) this.logged.delete(key);
      return;
    }
    if (err instanceof SessionWatchConfigError || err instanceof StoreUnavailableError) return;
    const message = err instanceof Error ? err.message : String(err);
    // A missing table is a configuration error: said once, in the words of what to do.
    if (isMissingTableError(err)) {
      this.logOnce('config:table', missingTableMessage(this.options.tableName), err);
      return;
    }
    this.logOnce(`db:${message}`, `sessionwatch: session database error (requests fail closed with 503): ${message}`, err);
  }

  private logOnce(key: string, message: string, error: unknown): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    try {
      this.options.logger.error(message, error);
    } catch {
      /* a broken logger must not break requests */
    }
  }

  /** Creates or updates the sessions table (Knex migrations). Safe to call at every start. */
  async migrate(): Promise<void> {
    await this.rawStore.migrate();
  }

  /**
   * The Koa middleware: checks every request's session (revoked, expired → logged out on the
   * spot), records activity, and serves the HTTP API under `apiPrefix`. Mount it after koa-session.
   * Starts the background sweep.
   */
  middleware(): Middleware {
    this.sweeper.start();
    if (this.store instanceof CachedStore) this.store.start();
    return createMiddleware(this);
  }

  /**
   * Logs `userId` in on this request: regenerates the session (the pre-login cookie becomes
   * useless), links it to a new tracked record and emits `sessionCreated`. Call it before writing
   * your own data into `ctx.session`, which starts empty. Beyond `maxSessionsPerUser` live
   * sessions, the user's least recently active ones are revoked (see {@link SessionEndedEvent.cause}).
   */
  async login(ctx: Context, userId: string | number): Promise<TrackedSession> {
    const id = userIdOf(userId);
    await this.endTracked(ctx, 'logged-out');
    const session = await regenerateSession(ctx);
    const token = newToken();
    session[this.options.sessionKey] = token;
    const record = newRecord(ctx, id, token, currentStoreKey(ctx), this.options.now());
    await this.store.insert(record);
    this.requests.set(ctx, { record });
    // The request may have come from an ended session: this answer is a login, not an end.
    ctx.remove(SESSION_ENDED_HEADER);
    const tracked = toTrackedSession(record);
    this.emit('sessionCreated', { session: tracked });
    await this.capSessions(id, record.id, ctx);
    return tracked;
  }

  /**
   * Keeps a user within `maxSessionsPerUser` live sessions after a login: ends the least recently
   * active ones beyond it (never `keepId`, the new login) as `revoked`. Concurrent logins may each
   * end one; the user then has slightly fewer sessions than the cap, never more for long.
   */
  private async capSessions(userId: string, keepId: string, ctx: Context): Promise<void> {
    const max = this.options.maxSessionsPerUser;
    if (max === null) return;
    const live = await this.listLive(userId);
    if (live.length <= max) return;
    for (const record of sortForList(live, keepId).slice(max)) {
      const ended = await this.store.end(record.id, 'revoked', this.options.now());
      if (ended) await this.ended(ended, 'revoked', ctx, 'maxSessionsPerUser');
    }
  }

  /**
   * Logs the request's session out: deletes its record, emits `sessionEnded` (`logged-out`) and
   * resets the session (cookie cleared, external store entry destroyed). Idempotent.
   */
  async logout(ctx: Context): Promise<void> {
    await this.endTracked(ctx, 'logged-out');
    await this.resetSession(ctx, 'logged-out');
  }

  /**
   * Logs the request's browser session out without touching records: clears its data, resets
   * the cookie, destroys its external store entry, and remembers why for the API's 401 and the
   * `Session-Ended` header. With `endedTokenHash` (a revoked or expired record, kept for
   * `retention`) the fresh session keeps a pointer to that record, so the browser's later
   * requests get the same precise reason instead of `unauthenticated`.
   */
  async resetSession(ctx: Context, reason: EndReason, endedTokenHash?: string, endedAt: number = this.options.now()): Promise<void> {
    const session = await regenerateSession(ctx);
    if (endedTokenHash && reason !== 'logged-out') session[this.endedKey] = endedTokenHash;
    this.markEnded(ctx, reason, endedAt);
  }

  /** Marks the request as one whose session has ended: the API's 401 and the header say why. */
  markEnded(ctx: Context, reason: EndReason, endedAt: number = this.options.now()): void {
    this.requests.set(ctx, { ended: reason, endedAt });
    ctx.set(SESSION_ENDED_HEADER, reason);
  }

  /**
   * Ends the request's live session as `expired` at the client's request (a ping whose merged
   * idle time reached the deadline): records it, emits `sessionEnded`, logs the browser out.
   */
  async expire(ctx: Context, record: SessionRecord): Promise<void> {
    const ended = await this.store.end(record.id, 'expired', this.options.now());
    if (ended) await this.ended(ended, 'expired', ctx);
    await this.resetSession(ctx, 'expired', record.tokenHash);
  }

  /** The request's live tracked session, or undefined when it has none. */
  current(ctx: Context): TrackedSession | undefined {
    const record = this.requests.get(ctx)?.record;
    return record && toTrackedSession(record);
  }

  /** Internal per-request state, shared with the middleware and routes. */
  requestState(ctx: Context): RequestState {
    let state = this.requests.get(ctx);
    if (!state) this.requests.set(ctx, (state = {}));
    return state;
  }

  /**
   * A user's active sessions, newest activity first (server-side API). Sessions past their
   * deadline (idle or `maxAge`) are left out even before the sweep has ended them.
   */
  async listSessions(userId: string | number): Promise<TrackedSession[]> {
    return (await this.listLive(userIdOf(userId))).map(toTrackedSession);
  }

  /**
   * One page of {@link listSessions}: `limit` sessions (1–200, default 100) after `cursor` (the
   * previous page's `nextCursor`). Throws a RangeError for a bad limit or cursor.
   */
  async listSessionsPage(userId: string | number, options: { limit?: number; cursor?: string } = {}): Promise<TrackedSessionPage> {
    const records = await this.listLive(userIdOf(userId));
    let page;
    try {
      page = pageOf(records, options);
    } catch (err) {
      throw new RangeError(`sessionwatch: listSessionsPage: ${(err as Error).message}`);
    }
    return { sessions: page.records.map(toTrackedSession), nextCursor: page.nextCursor };
  }

  /**
   * The HTTP list: a page of a user's active sessions, `currentId` first, then newest activity
   * first. Throws `PagingError` for a bad `limit` or `cursor` (the route's 400).
   */
  async sessionInfos(userId: string, currentId: string | undefined, paging: { limit?: unknown; cursor?: unknown } = {}): Promise<SessionListResponse> {
    const page = pageOf(await this.listLive(userId), { ...paging, currentId });
    return { sessions: page.records.map((r) => toSessionInfo(r, currentId)), nextCursor: page.nextCursor };
  }

  /**
   * Active records that a request would still accept now: the store's active list minus those
   * past the same deadline a request is checked against (the sweep ends them later).
   */
  private async listLive(userId: string): Promise<SessionRecord[]> {
    const now = this.options.now();
    return (await this.store.listActive(userId)).filter((record) => !isExpired(record, this.options.policy, now));
  }

  /**
   * Revokes one session of a user: its next request is logged out. Returns false when the id is
   * unknown, already ended, or belongs to another user (never revoked then).
   */
  async revokeSession(userId: string | number, id: string, ctx?: Context): Promise<boolean> {
    const owner = userIdOf(userId);
    const record = await this.store.findById(id);
    if (!record || record.userId !== owner || record.endedAt !== null) return false;
    const ended = await this.store.end(id, 'revoked', this.options.now());
    if (!ended) return false;
    await this.ended(ended, 'revoked', ctx);
    return true;
  }

  /**
   * Revokes all sessions of a user (e.g. after a password change), except `exceptId` when given.
   * Returns how many were revoked.
   */
  async revokeAll(userId: string | number, options: { exceptId?: string; ctx?: Context } = {}): Promise<number> {
    const ended = await this.store.endAllOfUser(userIdOf(userId), 'revoked', this.options.now(), options.exceptId);
    await Promise.all(ended.map((record) => this.ended(record, 'revoked', options.ctx)));
    return ended.length;
  }

  /** Ends expired records and deletes old ended ones now (the background sweep calls this). */
  async sweep(): Promise<SweepResult> {
    const now = this.options.now();
    const { policy, retentionMs } = this.options;
    const result = await this.store.sweep({
      idleBefore: now - policy.expireAfterMs - policy.touchIntervalMs,
      createdBefore: policy.maxAgeMs === null ? null : now - policy.maxAgeMs,
      endedBefore: now - retentionMs,
      now,
    });
    await Promise.all(result.expired.map((record) => this.ended(record, 'expired')));
    return result;
  }

  /** Stops the sweep and closes the database connections. */
  async close(): Promise<void> {
    this.sweeper.stop();
    await this.store.close();
  }

  /**
   * Emits `sessionEnded` and destroys the session's external store entry, when there is one and
   * the store is known. A failure to destroy is ignored: the record has ended, so the entry can no
   * longer authenticate anyone, and it expires with the store's own TTL.
   */
  async ended(record: SessionRecord, reason: EndReason, ctx?: Context, cause?: SessionEndedEvent['cause']): Promise<void> {
    const store = this.options.sessionStore ?? (ctx && externalStoreOf(ctx));
    if (store && record.storeKey) {
      try {
        await store.destroy(record.storeKey, { ctx });
      } catch {
        /* see above */
      }
    }
    this.emit('sessionEnded', { session: toTrackedSession(record), reason, ...(cause && { cause }) });
  }

  /** Deletes the record of the request's session, if it has a live one. */
  private async endTracked(ctx: Context, reason: 'logged-out'): Promise<void> {
    const record = this.requests.get(ctx)?.record;
    if (!record) return;
    this.requests.delete(ctx);
    const deleted = await this.store.delete(record.id);
    if (deleted) this.emit('sessionEnded', { session: toTrackedSession(deleted), reason });
  }
}

/**
 * Creates a {@link SessionWatch}: validates the options (throws a TypeError or RangeError naming
 * the bad one) and connects the store. Call `await sw.migrate()` before serving.
 */
export function createSessionWatch(options?: SessionWatchOptions): SessionWatch {
  return new SessionWatch(options);
}
