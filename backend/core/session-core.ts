import type { EventEmitter } from 'node:events';
import type { Context } from 'koa';
import {
  ADMIN_SESSION_LIST_LIMIT,
  HISTORY_LIMIT,
  SESSION_ENDED_HEADER,
  type EndReason,
  type Location,
  type SessionListResponse,
} from '../../shared/protocol';
import { actorOf, EVENT_OF_END, eventOf, type Actor } from '../insight/events';
import { storedIpOf, truncateIp, type StoredAddress } from '../insight/ip-privacy';
import { PushHub } from '../push/hub';
import { Locator } from '../insight/locator';
import type { SessionWatchConfigError } from '../errors';
import { isExpired, recordPolicy, sweepCutoffs } from '../inactivity/policy';
import { limitsInSeconds, resolveChangedLimits, resolveSessionLimits, type PolicySource } from '../inactivity/session-policy';
import { idpSessionOf } from '../oidc/idp-login';
import { loadJose } from '../oidc/logout-token';
import type { ResolvedOptions } from '../options';
import { assembleStore } from '../store/assemble';
import { isMissingTableError } from '../store/missing-table';
import { CachedStore } from '../store/cached-store';
import type {
  DeviceKey,
  IdpSession,
  SecurityEventRecord,
  SessionLimits,
  SessionRecord,
  Store,
  SweepResult,
  IdpMatch,
} from '../store/types';
import {
  clearSession,
  currentStoreKey,
  externalStoreOf,
  regenerateSession,
  requestCookieSession,
  sessionOf,
  setEndedTokenHash,
} from '../tracking/koa-session-adapter';
import { dropEmptyPassport, endPassportView, passportLoginOf } from '../passport/view';
import {
  decodeActivityCursor,
  decodeEventCursor,
  encodeActivityCursor,
  encodeEventCursor,
  pageLimit,
  pageOf,
  sortForList,
  type RecordPage,
} from '../tracking/paging';
import { newRecord, toSessionInfo, toTrackedSession, type TrackedSession } from '../tracking/records';
import { hashToken, newPublicId, newToken } from '../tracking/tokens';
import { LogOnce } from './log-once';
import type { Core, EventPage, LoginOptions, RequestState, SessionEndedEvent, SessionWatchEvents } from './types';

/**
 * The session engine behind a `SessionWatch`: the store layers, the per-request state, and every
 * operation that creates, checks or ends a tracked session. The public class validates its
 * arguments and delegates here; the middleware and routes see it only as {@link Core}.
 *
 * @internal
 */
export class SessionCore implements Core {
  readonly options: ResolvedOptions;
  readonly store: Store;
  readonly endedKey: string;
  /** The store as given or connected, unguarded: only `migrate()` uses it. */
  private readonly raw: Store;
  private readonly startStore: () => void;
  /** The record cache, when on (`cache` option): requests peek into it synchronously. */
  private readonly cache: CachedStore | undefined;
  /**
   * Where a request's state lives: a property of its Koa context, under a key of this instance
   * (several instances may serve one app). Cheaper than a WeakMap on every request.
   */
  private readonly stateKey = Symbol('sessionwatch request state');
  private readonly log: LogOnce;
  /** The location source (`geoip` / `locate`), or null. */
  private readonly locator: Locator | null;
  /** migrate() calls under way. */
  private migrating = 0;
  readonly addressOf: (rawIp: string) => StoredAddress;

  /** `events`: where `sessionCreated` and `sessionEnded` are emitted (the public `SessionWatch`). */
  constructor(
    options: ResolvedOptions,
    private readonly events: EventEmitter<SessionWatchEvents>,
  ) {
    this.options = options;
    this.log = new LogOnce(options.logger, options.tableName);
    // A missing table while migrate() runs is not news: the app is creating it (the cache's listener,
    // started by middleware(), may reach the database first on a fresh one).
    const layers = assembleStore(options, (error) => {
      if (!(this.migrating > 0 && isMissingTableError(error))) this.log.observeStore(error);
    });
    this.raw = layers.raw;
    this.store = layers.store;
    this.cache = layers.store instanceof CachedStore ? layers.store : undefined;
    this.startStore = () => layers.start();
    this.endedKey = `${options.sessionKey}:ended`;
    this.locator = options.location && new Locator(options.location, (key, message) => this.log.advise(key, message));
    this.addressOf = storedIpOf(options.ipPrivacy);
    // A session ended on another instance reaches the streams held here.
    this.cache?.onInvalidated((ids) => void this.recheckStreams(ids));
  }

  readonly push = new PushHub();

  async recheckStreams(ids: string[] | null): Promise<void> {
    const streamed = ids ? ids.filter((id) => this.push.has(id)) : this.push.sessionIds();
    for (const id of streamed) {
      let record: SessionRecord | undefined;
      try {
        record = await this.store.findById(id);
      } catch {
        return; // the database is down: the browsers' own checks will say so
      }
      if (!record) this.push.end(id, { reason: 'logged-out' });
      else if (record.endedAt !== null) this.push.end(id, { reason: record.endReason ?? 'revoked' });
      // Told only when they differ from what the stream's browser was last told (see PushHub.policy).
      else this.push.policy(id, limitsInSeconds(record, this.options.globalLimits));
    }
  }

  /** Starts the store's background work (the cache's invalidation listener). Idempotent. */
  start(): void {
    this.startStore();
  }

  /** Creates or updates the tables; opens the `geoip` database and loads `jose` for `backChannelLogout` (their setup errors reject here). */
  async migrate(): Promise<void> {
    this.migrating++;
    try {
      await this.raw.migrate();
    } finally {
      this.migrating--;
    }
    // Switching `ipPrivacy` on leaves no full address behind, in live or ended records or the log.
    if (this.options.ipPrivacy === 'truncate') await this.raw.rewriteAddresses(truncateIp);
    await this.locator?.ready();
    // Said at start rather than at the provider's first logout token: "npm install jose".
    if (this.options.backChannelLogout) await loadJose();
  }

  /**
   * Where an address is (null without a location source). A source that cannot start (no
   * `maxmind` package, a bad file) is the app's setup error: a 500 that says so.
   */
  private async locationOf(fullIp: string): Promise<Location | null> {
    if (!this.locator) return null;
    try {
      return await this.locator.locate(fullIp);
    } catch (err) {
      throw this.configError('geoip', err instanceof Error ? err.message : String(err));
    }
  }

  async relocate(record: SessionRecord, address: StoredAddress): Promise<void> {
    const location = await this.locationOf(address.full);
    if (await this.store.relocate(record.id, address.stored, location)) {
      record.ip = address.stored;
      record.location = location;
    }
  }

  /** Appends to the security log. */
  private async logEvents(events: SecurityEventRecord[]): Promise<void> {
    if (events.length) await this.store.addEvents(events);
  }

  /**
   * Emits an event of the public API. A listener that throws (or, through `listenerFailed`, an
   * async one that rejects) is the app's bug: said once in the log, and the login or the end goes
   * on — a half-done login (a record without its cookie) would be worse.
   */
  private emit<E extends keyof SessionWatchEvents>(event: E, payload: SessionWatchEvents[E][0]): void {
    try {
      (this.events as EventEmitter).emit(event, payload);
    } catch (err) {
      this.listenerFailed(event, err);
    }
  }

  /** A `sessionCreated` / `sessionEnded` listener threw or rejected. */
  listenerFailed(event: string, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.log.advise(`listener:${event}`, `sessionwatch: a "${event}" listener failed (${reason}); listeners must handle their own errors`);
  }

  advise(key: string, message: string): void {
    this.log.advise(key, message);
  }

  configError(key: string, message: string): SessionWatchConfigError {
    return this.log.configError(key, message);
  }

  optionThrew(option: string, err: unknown): SessionWatchConfigError {
    return this.log.optionThrew(option, err);
  }

  cachedRecord(tokenHash: string): SessionRecord | undefined {
    return this.cache?.peek(tokenHash);
  }

  /** The request's state if it has one yet. */
  private stateOf(ctx: Context): RequestState | undefined {
    return (ctx as unknown as Record<symbol, RequestState | undefined>)[this.stateKey];
  }

  /** Replaces the request's state (undefined: forgets it). */
  private setState(ctx: Context, state: RequestState | undefined): void {
    (ctx as unknown as Record<symbol, RequestState | undefined>)[this.stateKey] = state;
  }

  state(ctx: Context): RequestState {
    let state = this.stateOf(ctx);
    if (!state) this.setState(ctx, (state = {}));
    return state;
  }

  /** The request's live tracked session, or undefined. */
  current(ctx: Context): TrackedSession | undefined {
    const record = this.stateOf(ctx)?.record;
    return record && toTrackedSession(record);
  }

  /** Logs `userId` (validated) in on this request; see `SessionWatch.login`. */
  async login(ctx: Context, userId: string, options: LoginOptions = {}): Promise<TrackedSession> {
    // A request sw.middleware() never saw: the login would be tracked, but none of the session's
    // requests checked (a router mounted before the middleware, or no middleware at all).
    if (!this.stateOf(ctx)) {
      throw this.configError(
        'login:unseen',
        'sessionwatch: sw.login() was called on a request that sw.middleware() did not check: mount ' +
          '`app.use(sw.middleware())` right after koa-session, before your routes (and before any router that logs in)',
      );
    }
    // Decided before anything changes: a bad policy or `idp` fails the login with the old session intact.
    const limits = await this.limitsOf(ctx, userId, options.policy);
    const idp = options.idp === undefined ? null : idpSessionOf(options.idp);
    const providers = this.options.backChannelLogout?.providers;
    if (idp && !providers?.some((provider) => provider.issuer === idp.issuer)) {
      const configured = providers ? `its issuers are ${providers.map((p) => JSON.stringify(p.issuer)).join(', ')}` : 'it is not set';
      this.advise(
        `login:idp:${idp.issuer}`,
        `sessionwatch: a login through ${JSON.stringify(idp.issuer)} cannot be ended by that provider's back-channel logout: ` +
          `the backChannelLogout option must name that issuer exactly (${configured})`,
      );
    }
    // Right after passport's ctx.login() for this user, clearing the session would undo that login.
    const keep = options.keepSessionInfo === true || this.passportUserIs(ctx, userId);
    await this.endTracked(ctx);
    const own = new Set([this.options.sessionKey, this.endedKey]);
    await regenerateSession(ctx, (key) => keep && !own.has(key));
    return this.track(ctx, userId, limits, idp);
  }

  /** True when the request's session holds passport's login of `userId`. */
  private passportUserIs(ctx: Context, userId: string): boolean {
    const serialized = passportLoginOf(this.options.passport, sessionOf(ctx));
    return serialized !== undefined && this.options.passport!.userIdOf(serialized) === userId;
  }

  async adoptLogin(ctx: Context, userId: string): Promise<boolean> {
    // With cookie sessions the cookie is the whole session: a copy taken before the adoption would
    // be adopted again at every replay, and never end. The adopted cookie is remembered as an
    // ended record of its own (by the hash of its value, kept for `retention`), so that a copy is
    // refused; with an external store, the store entry itself becomes the tracked session.
    const cookie = requestCookieSession(ctx);
    const adopted = cookie === undefined ? undefined : hashToken(`adopted cookie session:${cookie}`);
    if (adopted !== undefined && (await this.store.findByTokenHash(adopted, { fresh: true }))) return false;
    await this.trackLogin(ctx, userId);
    const record = this.stateOf(ctx)?.record;
    if (adopted !== undefined && record) {
      const now = this.options.now();
      await this.store.insert({ ...record, id: newPublicId(), tokenHash: adopted, storeKey: null, endedAt: now, endReason: 'logged-out' });
    }
    return true;
  }

  async trackLogin(ctx: Context, userId: string): Promise<void> {
    const limits = await this.limitsOf(ctx, userId, undefined);
    await this.endTracked(ctx);
    await this.track(ctx, userId, limits, null);
  }

  /**
   * Links the request's session, as it is, to a new tracked record of `userId`: a new token in the
   * session, the record (with koa-session's current store key), its log entry, `sessionCreated`,
   * and the `maxSessionsPerUser` cap. The caller renewed the session first (`login`: regenerated;
   * a passport login: passport did).
   */
  private async track(ctx: Context, userId: string, limits: SessionLimits | null, idp: IdpSession | null): Promise<TrackedSession> {
    const session = sessionOf(ctx) ?? (await regenerateSession(ctx));
    const token = newToken();
    session[this.options.sessionKey] = token;
    delete session[this.endedKey];
    setEndedTokenHash(ctx, null);
    const address = this.addressOf(ctx.ip);
    const now = this.options.now();
    const where = { ip: address.stored, location: await this.locationOf(address.full) };
    const record = newRecord(ctx, userId, token, currentStoreKey(ctx), now, limits, where, idp);
    const newDevice = !(await this.knowsDevice(userId, record, now));
    await this.store.insert(record);
    await this.logEvents([eventOf(record, 'login', now, { newDevice })]);
    this.setState(ctx, { record, loggedIn: true });
    // The request may have come from an ended session: this answer is a login, not an end.
    ctx.remove(SESSION_ENDED_HEADER);
    const tracked = toTrackedSession(record);
    this.emit('sessionCreated', { session: tracked, newDevice });
    await this.capSessions(userId, record.id, ctx);
    return tracked;
  }

  async endLogin(ctx: Context): Promise<void> {
    await this.endTracked(ctx);
    const session = sessionOf(ctx);
    if (session) delete session[this.options.sessionKey];
    // What passport's logout leaves of its data (`passport: {}`) is nothing the app kept.
    if (this.options.passport) dropEmptyPassport(session, this.options.passport.key);
    this.markEnded(ctx, 'logged-out');
    // A session left with no data is settled as sessionwatch's own logouts are: no stored entry, no cookie.
    this.state(ctx).loggedOut = true;
  }

  /**
   * True when `userId` signed in from this kind of browser (browser, OS, device type) before: a
   * login in the security log within its retention, or — for sessions older than the log (right
   * after the upgrade that added it) — a live session.
   */
  private async knowsDevice(userId: string, device: DeviceKey, now: number): Promise<boolean> {
    if (await this.store.hasLogin(userId, device, now - this.options.historyRetentionMs)) return true;
    const same = (r: DeviceKey) => r.browserName === device.browserName && r.osName === device.osName && r.deviceType === device.deviceType;
    return (await this.store.listActive(userId)).some(same);
  }

  /** The new session's own limits (null: the global options), from the `policy` option and the login's own. */
  private async limitsOf(ctx: Context, userId: string, fromLogin: unknown): Promise<SessionLimits | null> {
    const { sessionPolicy, globalLimits } = this.options;
    let fromOption: unknown;
    if (sessionPolicy) {
      try {
        fromOption = await sessionPolicy({ userId, ctx });
      } catch (err) {
        throw new Error(`sessionwatch: the "policy" option threw for this login: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    }
    return resolveSessionLimits(globalLimits, fromOption, fromLogin);
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
      if (ended) await this.ended(ended, 'revoked', ctx, { cause: 'maxSessionsPerUser', actor: actorOf(ended, undefined) });
    }
  }

  async logout(ctx: Context): Promise<void> {
    // The request's session ended already (revoked, expired…): the answer keeps saying why.
    const earlier = this.stateOf(ctx);
    await this.endTracked(ctx);
    await this.resetSession(ctx, earlier?.ended ?? 'logged-out', undefined, earlier?.endedAt);
  }

  /**
   * Logs the request's browser session out without touching records: clears its data, resets
   * the cookie, destroys its external store entry, ends passport's view of the request (its user
   * gone from `ctx.state`, whichever middleware ran first), and remembers why for the API's 401 and the
   * `Session-Ended` header. With `endedTokenHash` (a revoked or expired record, kept for
   * `retention`) the fresh session keeps a pointer to that record, so the browser's later
   * requests get the same precise reason instead of `unauthenticated`.
   */
  async resetSession(ctx: Context, reason: EndReason, endedTokenHash?: string, endedAt: number = this.options.now()): Promise<void> {
    clearSession(ctx);
    endPassportView(ctx);
    setEndedTokenHash(ctx, endedTokenHash && reason !== 'logged-out' ? endedTokenHash : null);
    this.markEnded(ctx, reason, endedAt);
    // What the cleared session leaves behind is settled when the app has answered (settleEndedSession).
    this.state(ctx).loggedOut = true;
  }

  markEnded(ctx: Context, reason: EndReason, endedAt: number = this.options.now()): void {
    this.setState(ctx, { ended: reason, endedAt });
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

  /** A user's live sessions, newest activity first. */
  async listSessions(userId: string): Promise<TrackedSession[]> {
    return (await this.listLive(userId)).map(toTrackedSession);
  }

  /** One page of {@link listSessions}; throws `PagingError` for a bad limit or cursor. */
  async listSessionsPage(userId: string, paging: { limit?: unknown; cursor?: unknown; currentId?: string }): Promise<RecordPage> {
    return pageOf(await this.listLive(userId), paging);
  }

  async sessionInfos(
    userId: string,
    currentId: string | undefined,
    paging: { limit?: unknown; cursor?: unknown } = {},
  ): Promise<SessionListResponse> {
    const page = await this.listSessionsPage(userId, { ...paging, currentId });
    return { sessions: page.records.map((r) => toSessionInfo(r, currentId)), nextCursor: page.nextCursor };
  }

  /**
   * Active records that a request would still accept now: the store's active list minus those
   * past the same deadline a request is checked against (the sweep ends them later).
   */
  /**
   * One page of every user's live sessions (or `userId`'s), newest activity first: keyset paging
   * in the store, so any page costs an index range, whatever the table's size. Throws
   * `PagingError` for a bad `limit` or `cursor`. Records past their deadline (not swept yet) are
   * left out of the page, which may then be shorter than `limit`.
   */
  async listAllSessionsPage(paging: { userId?: string; limit?: unknown; cursor?: unknown }): Promise<RecordPage> {
    const limit = pageLimit(paging.limit, ADMIN_SESSION_LIST_LIMIT);
    const after = paging.cursor === undefined ? undefined : decodeActivityCursor(paging.cursor);
    const records = await this.store.listActivePage({ userId: paging.userId, limit: limit + 1, after });
    const page = records.slice(0, limit);
    const now = this.options.now();
    return {
      records: page.filter((record) => !isExpired(record, recordPolicy(record, this.options.policy), now)),
      nextCursor: records.length > limit ? encodeActivityCursor(page[limit - 1]) : null,
    };
  }

  private async listLive(userId: string): Promise<SessionRecord[]> {
    const now = this.options.now();
    return (await this.store.listActive(userId)).filter((record) => !isExpired(record, recordPolicy(record, this.options.policy), now));
  }

  async revokeSession(userId: string, id: string, ctx?: Context): Promise<boolean> {
    const record = await this.store.findById(id);
    if (!record || record.userId !== userId || record.endedAt !== null) return false;
    const ended = await this.store.end(id, 'revoked', this.options.now());
    if (!ended) return false;
    await this.ended(ended, 'revoked', ctx);
    return true;
  }

  async revokeAll(userId: string, options: { exceptId?: string; ctx?: Context } = {}): Promise<number> {
    const now = this.options.now();
    // Sessions past their deadline are not in any list: they end as what they are, and the count
    // is of the sessions the user saw.
    await this.endExpired(
      (await this.store.listActive(userId)).filter((record) => record.id !== options.exceptId),
      now,
      options.ctx,
    );
    const ended = await this.store.endAllOfUser(userId, 'revoked', now, options.exceptId);
    const caller = options.ctx && this.stateOf(options.ctx)?.record;
    await this.revoked(ended, (record) => actorOf(record, caller), now, options.ctx);
    return ended.length;
  }

  /**
   * Gives the live sessions of `userId` (only `sessionId`, when given) the limits of `policy` over
   * the global options (null or `{}`: the global options); see `SessionWatch.setPolicy`. Sessions
   * already past their deadline end as expired first (a longer policy never revives one); those
   * the new limits put past theirs end now, as expired, and count. Returns how many changed.
   */
  async setPolicy(userId: string, policy: unknown, sessionId?: string, source?: PolicySource): Promise<number> {
    // Checked before anything changes: a bad policy changes no session.
    const limits = resolveChangedLimits(this.options.globalLimits, policy, source);
    const live = await this.store.listActive(userId);
    await this.endExpired(
      live.filter((record) => sessionId === undefined || record.id === sessionId),
      this.options.now(),
    );
    const changed = await this.store.setLimits(userId, limits, sessionId);
    const ended = new Set(await this.endExpired(changed, this.options.now()));
    // The other instances learn it through the cache's invalidation (recheckStreams).
    for (const record of changed) if (!ended.has(record)) this.push.policy(record.id, limitsInSeconds(record, this.options.globalLimits));
    return changed.length;
  }

  /**
   * Ends as `expired` those of `records` past their deadline at `now` (as a request would, or the
   * sweep); returns those past it.
   */
  private async endExpired(records: SessionRecord[], now: number, ctx?: Context): Promise<SessionRecord[]> {
    const due = records.filter((record) => isExpired(record, recordPolicy(record, this.options.policy), now));
    if (due.length === 0) return due;
    const expired = (await Promise.all(due.map((record) => this.store.end(record.id, 'expired', now)))).filter(
      (record): record is SessionRecord => record !== undefined,
    );
    await this.expiredTogether(expired, now, ctx);
    return due;
  }

  /** After records expired together: their log entries in one insert, then each one's end. */
  private async expiredTogether(records: SessionRecord[], now: number, ctx?: Context): Promise<void> {
    await this.logEvents(records.map((record) => eventOf(record, 'expired', now)));
    await Promise.all(records.map((record) => this.ended(record, 'expired', ctx, { logged: true })));
  }

  /**
   * After records were revoked together: their security log entries in one insert (an
   * administrator ending a user's hundred sessions, a provider's logout), then each one's end.
   */
  private async revoked(records: SessionRecord[], actorFor: (record: SessionRecord) => Actor, now: number, ctx?: Context): Promise<void> {
    const revoked = records.map((record) => ({ record, actor: actorFor(record) }));
    await this.logEvents(revoked.map(({ record, actor }) => eventOf(record, 'revoked', now, { actor })));
    await Promise.all(revoked.map(({ record, actor }) => this.ended(record, 'revoked', ctx, { actor, logged: true })));
  }

  /**
   * OpenID Connect back-channel logout: revokes the live sessions signed in through `issuer`
   * with that provider session (`sid`), or all of that provider user's (`subject` only), as
   * revoked `by: 'idp'`. `ctx` (the provider's request) finds koa-session's external store.
   */
  async revokeIdp(issuer: string, match: IdpMatch, ctx?: Context): Promise<number> {
    const now = this.options.now();
    const ended = await this.store.endAllOfIdp(issuer, match, 'revoked', now);
    const actor: Actor = { by: 'idp', sessionId: null, userId: null };
    await this.revoked(ended, () => actor, now, ctx);
    return ended.length;
  }

  /** Ends expired records, deletes old ended ones and old security log entries now. */
  async sweep(): Promise<SweepResult> {
    const now = this.options.now();
    const { policy, retentionMs, historyRetentionMs } = this.options;
    const result = await this.store.sweep(sweepCutoffs(policy, retentionMs, now, historyRetentionMs));
    await this.expiredTogether(result.expired, now);
    return result;
  }

  /** One page of a user's security log, newest first; throws `PagingError` for a bad `limit` or `cursor`. */
  async history(userId: string, paging: { limit?: unknown; cursor?: unknown }): Promise<EventPage> {
    const limit = pageLimit(paging.limit, HISTORY_LIMIT);
    const after = paging.cursor === undefined ? undefined : decodeEventCursor(paging.cursor);
    // Entries past the retention are left out before the sweep has purged them.
    const since = this.options.now() - this.options.historyRetentionMs;
    const events = await this.store.listEvents({ userId, limit: limit + 1, after, since });
    const page = events.slice(0, limit);
    return { events: page, nextCursor: events.length > limit ? encodeEventCursor(page[limit - 1]) : null };
  }

  async close(): Promise<void> {
    this.push.close();
    await this.store.close();
  }

  /**
   * After a record ended: writes the security log entry (who revoked it: `actor`, else worked out
   * from the request's own session), destroys the session's external store entry when there is
   * one and the store is known, and emits `sessionEnded`. A failure to destroy is ignored: the
   * record has ended, so the entry can no longer authenticate anyone, and it expires with the
   * store's own TTL. `logged`: the caller wrote the entry already (the sweep, in one batch).
   */
  async ended(
    record: SessionRecord,
    reason: EndReason,
    ctx?: Context,
    extra: { cause?: SessionEndedEvent['cause']; actor?: Actor; logged?: boolean } = {},
  ): Promise<void> {
    const actor = reason === 'revoked' ? (extra.actor ?? actorOf(record, ctx && this.stateOf(ctx)?.record)) : undefined;
    if (!extra.logged) await this.logEvents([eventOf(record, EVENT_OF_END[reason], this.options.now(), { actor })]);
    const store = this.options.sessionStore ?? (ctx && externalStoreOf(ctx));
    if (store && record.storeKey) {
      try {
        await store.destroy(record.storeKey, { ctx });
      } catch {
        /* see above */
      }
    }
    this.push.end(record.id, { reason, ...(actor && { by: actor.by }) });
    this.emit('sessionEnded', {
      session: toTrackedSession(record),
      reason,
      ...(actor && { by: actor.by }),
      ...(extra.cause && { cause: extra.cause }),
    });
  }

  /** Deletes the record of the request's session, if it has a live one (a logout, or a new login). */
  private async endTracked(ctx: Context): Promise<void> {
    const record = this.stateOf(ctx)?.record;
    if (!record) return;
    this.setState(ctx, {});
    const deleted = await this.store.delete(record.id);
    if (!deleted) return;
    await this.logEvents([eventOf(deleted, 'logout', this.options.now())]);
    this.push.end(deleted.id, { reason: 'logged-out' });
    this.emit('sessionEnded', { session: toTrackedSession(deleted), reason: 'logged-out' });
  }
}
