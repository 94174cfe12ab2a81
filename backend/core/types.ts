/**
 * The narrow interface between the request path (middleware, routes) and the session engine:
 * what a request needs to check, end and answer a session, and nothing of the public API.
 */
import type { Context } from 'koa';
import type { EndReason, RevokedBy, SessionListResponse } from '../../shared/protocol';
import type { StoredAddress } from '../insight/ip-privacy';
import type { PushHub } from '../push/hub';
import type { SessionWatchConfigError } from '../errors';
import type { ResolvedOptions } from '../options';
import type { SecurityEventRecord, SessionRecord, Store, IdpMatch } from '../store/types';
import type { RecordPage } from '../tracking/paging';
import type { TrackedSession } from '../tracking/records';
import type { PolicySource, SessionPolicy } from '../inactivity/session-policy';
import type { IdpLogin } from '../oidc/idp-login';

/** Options of `sw.login(ctx, userId, options)`. */
export interface LoginOptions {
  /**
   * Limits of this session only (e.g. "keep me signed in"): each field given wins over the
   * `policy` option's result, which wins over the global options.
   */
  policy?: SessionPolicy;
  /**
   * The OpenID Connect sign-in this login comes from: the ID token's claims (`tokens.claims()`
   * with openid-client), of which `iss`, `sub` and `sid` are kept, so that the provider's
   * back-channel logout ends this session (see the `backChannelLogout` option).
   */
  idp?: IdpLogin;
  /**
   * Keep the data already in `ctx.session` (passport's option of the same name): the session gets
   * a new cookie (and external store key) as always, but what the app stored before the login
   * (a `returnTo`, a cart) stays. Default false: the session starts empty. A login right after
   * passport's `ctx.login()` for the same user always keeps passport's data.
   */
  keepSessionInfo?: boolean;
}

/** Payload of the `sessionCreated` event. */
export interface SessionCreatedEvent {
  session: TrackedSession;
  /**
   * True when the security log holds no earlier sign-in of this user from the same browser, OS
   * and device type (within `historyRetention`): worth telling the user ("a new sign-in to your
   * account"). A user's first login ever is one too.
   */
  newDevice: boolean;
}

/** Payload of the `sessionEnded` event. */
export interface SessionEndedEvent {
  session: TrackedSession;
  reason: EndReason;
  /**
   * With `revoked`: who revoked it (`self`, `other-session`, `admin` or `server`, see
   * `RevokedBy`), as the security log records it.
   */
  by?: RevokedBy;
  /**
   * Set when sessionwatch itself revoked the session to keep the user within
   * `maxSessionsPerUser` (a newer login made it the least recently active one too many).
   */
  cause?: 'maxSessionsPerUser';
}

/** Events of a `SessionWatch` instance. */
export interface SessionWatchEvents {
  sessionCreated: [SessionCreatedEvent];
  sessionEnded: [SessionEndedEvent];
}

/** One page of a user's security log. */
export interface EventPage {
  events: SecurityEventRecord[];
  nextCursor: string | null;
}

/**
 * What sessionwatch knows about the current request.
 *
 * @internal
 */
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
  /** True when {@link record} was created during this request (`sw.login`, or a login followed). */
  loggedIn?: boolean;
  /** True when another library (passport) regenerated the session during this request: a login or a logout. */
  renewed?: boolean;
  /**
   * True when sessionwatch cleared the request's session (`resetSession`) and nothing logged in
   * since: the middleware settles what it leaves behind once the app has answered.
   */
  loggedOut?: boolean;
}

/**
 * What the middleware and the routes use. Implemented by `SessionCore`; they never see the public
 * `SessionWatch` class.
 *
 * @internal
 */
export interface Core {
  readonly options: ResolvedOptions;
  /** The tracked-session store as requests use it: fail-closed, cached when enabled. */
  readonly store: Store;
  /** This instance's push streams (`GET {apiPrefix}/events`). */
  readonly push: PushHub;
  /**
   * Reads the records of `ids` that have a push stream here (null: all of them) and tells the
   * streams of those that ended. Never rejects: a database that fails leaves the browsers' own checks.
   */
  recheckStreams(ids: string[] | null): Promise<void>;
  /**
   * Key inside `ctx.session` where sessionwatch 0.2 kept the ended record's token hash of a browser
   * whose session it ended; read still, never written (the `<cookie>.ended` cookie holds it now).
   */
  readonly endedKey: string;
  /**
   * The record of a token hash if the cache holds it and may serve it now: the cache's own object,
   * found synchronously (see `CachedStore.peek`); undefined otherwise (or with `cache: false`),
   * and then `store.findByTokenHash` reads it.
   */
  cachedRecord(tokenHash: string): SessionRecord | undefined;
  /** A request's address (`ctx.ip`): validated, and as stored (`ipPrivacy`). */
  addressOf(rawIp: string): StoredAddress;
  /** Moves a live session's stored address (and location) to the request's; updates `record`. */
  relocate(record: SessionRecord, address: StoredAddress): Promise<void>;
  /** One page of a user's security log (throws `PagingError` for a bad `limit` or `cursor`). */
  history(userId: string, paging: { limit?: unknown; cursor?: unknown }): Promise<EventPage>;
  /** The request's state, created empty on first use. */
  state(ctx: Context): RequestState;
  /** A configuration error, logged once per `key`, to be thrown. */
  configError(key: string, message: string): SessionWatchConfigError;
  /** An option that threw: what it threw said once in the log; the error to throw names the option only. */
  optionThrew(option: string, err: unknown): SessionWatchConfigError;
  /** Advice about the setup (nothing failed), logged once per `key`. */
  advise(key: string, message: string): void;
  /** Marks the request as one whose session has ended: the API's 401 and the header say why. */
  markEnded(ctx: Context, reason: EndReason, endedAt?: number): void;
  /** Logs the browser session out without touching records (see `SessionCore.resetSession`). */
  resetSession(ctx: Context, reason: EndReason, endedTokenHash?: string, endedAt?: number): Promise<void>;
  /** After a record ended: destroys its external store entry, emits `sessionEnded`. */
  ended(record: SessionRecord, reason: EndReason, ctx?: Context): Promise<void>;
  /** Ends the request's live session as `expired` and logs the browser out. */
  expire(ctx: Context, record: SessionRecord): Promise<void>;
  /** Logs the request's session out (record deleted, browser session reset). */
  logout(ctx: Context): Promise<void>;
  /**
   * Tracks a login made by another library (passport) on this request: a new record of `userId`
   * for the session as it is (no regenerate: the library renewed it), replacing the request's own.
   */
  trackLogin(ctx: Context, userId: string): Promise<void>;
  /**
   * Tracks a passport login sessionwatch never saw (`passport.untracked: 'track'`), as
   * {@link trackLogin}; false when this very cookie session was adopted before (a copy of it,
   * replayed): it must be logged out instead.
   */
  adoptLogin(ctx: Context, userId: string): Promise<boolean>;
  /**
   * A logout made by another library (passport's `ctx.logout()`): the request's record is deleted
   * (`logged-out`) and its token leaves the session, whose other data the library decided about.
   */
  endLogin(ctx: Context): Promise<void>;
  /** Revokes one session of `userId`; false when unknown, ended or another user's. */
  revokeSession(userId: string, id: string, ctx?: Context): Promise<boolean>;
  /** Revokes the sessions signed in through `issuer` with that `sid` (or of that `subject`); returns how many. */
  revokeIdp(issuer: string, match: IdpMatch, ctx?: Context): Promise<number>;
  /**
   * Gives the live sessions of `userId` (or `sessionId` only) the limits of `policy`; returns how
   * many changed. A bad policy throws a TypeError or RangeError naming `source`.
   */
  setPolicy(userId: string, policy: unknown, sessionId?: string, source?: PolicySource): Promise<number>;
  /** Revokes every session of `userId` but `exceptId`; returns how many. */
  revokeAll(userId: string, options: { exceptId?: string; ctx?: Context }): Promise<number>;
  /** One page of every user's live sessions (throws `PagingError` for a bad `limit` or `cursor`). */
  listAllSessionsPage(paging: { userId?: string; limit?: unknown; cursor?: unknown }): Promise<RecordPage>;
  /** The HTTP list's page (throws `PagingError` for a bad `limit` or `cursor`). */
  sessionInfos(userId: string, currentId: string | undefined, paging?: { limit?: unknown; cursor?: unknown }): Promise<SessionListResponse>;
}
