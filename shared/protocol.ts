/**
 * The HTTP contract between the sessionwatch server middleware and the browser client.
 *
 * Both sides import this module, so a path, a status code or an error code is written once.
 * Everything here is plain data: no Node or browser APIs, safe to bundle anywhere.
 */

/** Default mount point of the HTTP API (option `apiPrefix`, the same on the server and the client). */
export const DEFAULT_API_PREFIX = '/session';

/** Route paths relative to `apiPrefix`. */
export const ROUTES = {
  /** `GET` lists the caller's sessions; `DELETE` revokes all of them but the current one. */
  sessions: '/sessions',
  /** `DELETE /sessions/:id` revokes one session of the caller. */
  session: '/sessions/:id',
  /** `POST` merges the client's idle time and answers the server's view of it. */
  ping: '/ping',
  /** `POST` logs the current session out and removes its record. */
  logout: '/logout',
  /** Administrators (server option `isAdmin`): `GET` lists every user's sessions. */
  adminSessions: '/admin/sessions',
  /** Administrators: `DELETE` revokes any session. */
  adminSession: '/admin/sessions/:id',
  /** Administrators: `DELETE` revokes every session of a user. */
  adminUserSessions: '/admin/users/:userId/sessions',
  /**
   * Administrators: `PUT` a {@link PolicyRequest} sets the limits of every live session of a user
   * at once (their tabs are told through the push stream); `{}` puts them back on the global options.
   */
  adminUserPolicy: '/admin/users/:userId/policy',
  /** Administrators: `PUT` a {@link PolicyRequest} sets the limits of one live session. */
  adminSessionPolicy: '/admin/sessions/:id/policy',
  /** `GET` pages the caller's security log (`?limit=&cursor=`), newest first. */
  history: '/history',
  /** Administrators: `GET` pages a user's security log. */
  adminUserHistory: '/admin/users/:userId/history',
  /**
   * OpenID providers (server option `backChannelLogout`): `POST` a logout token
   * (`application/x-www-form-urlencoded`, `logout_token=…`) to end the sessions of that sign-in.
   */
  backChannelLogout: '/backchannel-logout',
  /**
   * `GET` opens the session's push stream (server-sent events, `text/event-stream`): the
   * {@link PUSH_EVENTS} of the session, as they happen. Never activity.
   */
  events: '/events',
} as const;

/** Joins `apiPrefix` and a route path: `apiPath('/session', ROUTES.ping)` → `/session/ping`. */
export function apiPath(apiPrefix: string, route: string): string {
  return apiPrefix.replace(/\/+$/, '') + route;
}

/** Machine-readable error codes, sent as `{"error": code}` with the status in {@link ERROR_STATUS}. */
export const ERROR = {
  /** No logged-in session on the request. */
  unauthenticated: 'unauthenticated',
  /** The session was revoked (from another session, or by the app); it has just been logged out. */
  sessionRevoked: 'session_revoked',
  /** The session was idle for `expireAfter` (or older than `maxAge`); it has just been logged out. */
  sessionExpired: 'session_expired',
  /**
   * The app's session store no longer has the session (e.g. Redis restarted empty) while its
   * tracked record was live: the record is ended and the browser logged out.
   */
  sessionLost: 'session_lost',
  /** Unknown session id, or one that belongs to another user: the two are never told apart. */
  notFound: 'not_found',
  /** A path under the prefix that the API does not have. */
  routeNotFound: 'route_not_found',
  /** A route of the API called with a method it does not take; the `Allow` header lists those it does. */
  methodNotAllowed: 'method_not_allowed',
  /** Malformed request: bad JSON, wrong type, out of range, too large. Comes with a `message`. */
  badRequest: 'bad_request',
  /** A state-changing request from another site (CSRF protection). */
  forbidden: 'forbidden',
  /** The session database cannot be reached: the request fails closed. */
  unavailable: 'unavailable',
  /**
   * A programming or deployment error of the app (koa-session not mounted before sessionwatch,
   * the sessions table missing): comes with a `message` saying what to do.
   */
  misconfigured: 'misconfigured',
} as const;

export type ErrorCode = (typeof ERROR)[keyof typeof ERROR];

/** HTTP status of each error code. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  unauthenticated: 401,
  session_revoked: 401,
  session_expired: 401,
  session_lost: 401,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  bad_request: 400,
  forbidden: 403,
  unavailable: 503,
  misconfigured: 500,
};

/** Body of every error response. */
export interface ErrorBody {
  error: ErrorCode;
  message?: string;
  /**
   * With `session_revoked` / `session_expired` / `session_lost`: seconds since the session ended. A page loaded
   * after that moment never had the session (the server treated its request as logged out).
   */
  endedFor?: number;
}

/**
 * Why a tracked session ended: `expired` (idle for `expireAfter`, or `maxAge` reached), `revoked`
 * (by the user from another session, or by the app), `logged-out` (the user's own logout, or no
 * session at all), `lost` (the app's session store lost the session's data while it was live).
 */
export const END_REASONS = ['expired', 'revoked', 'logged-out', 'lost'] as const;

/** Why a tracked session ended (see {@link END_REASONS}). */
export type EndReason = (typeof END_REASONS)[number];

/** The error code a request on an ended session receives, by end reason. */
export const END_REASON_ERROR: Record<EndReason, ErrorCode> = {
  expired: ERROR.sessionExpired,
  revoked: ERROR.sessionRevoked,
  'logged-out': ERROR.unauthenticated,
  lost: ERROR.sessionLost,
};

const REASON_BY_ERROR = new Map<unknown, EndReason>(
  (Object.entries(END_REASON_ERROR) as [EndReason, ErrorCode][]).map(([reason, code]) => [code, reason]),
);

/**
 * The end reason an error code means (`session_revoked` → `revoked`, `unauthenticated` →
 * `logged-out`…), or null for any other code or value: the inverse of {@link END_REASON_ERROR}.
 */
export function endReasonOfError(code: unknown): EndReason | null {
  return REASON_BY_ERROR.get(code) ?? null;
}

/** True for a string that is an {@link EndReason} (headers and tab messages are untrusted). */
export function isEndReason(value: unknown): value is EndReason {
  return (END_REASONS as readonly unknown[]).includes(value);
}

/** Device class derived from the user agent. */
export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'other';

/** A name and version pair parsed from the user agent; either may be null when unknown. */
export interface NamedVersion {
  name: string | null;
  version: string | null;
}

/**
 * Where an IP address is, from the server's `geoip` database or its `locate` function. English
 * names; any field may be null when the database does not know it (a country without a city).
 */
export interface Location {
  city: string | null;
  country: string | null;
  /** ISO 3166-1 alpha-2 (`SE`, `GB`). */
  countryCode: string | null;
}

/** One entry of `GET {apiPrefix}/sessions`. Timestamps are ISO-8601 in UTC. */
export interface SessionInfo {
  /** Opaque public id: never the cookie value nor the store key. */
  id: string;
  /** True for the session that made the request. */
  current: boolean;
  /**
   * The address the session was last used from (`''` when unknown); with the server's
   * `ipPrivacy: 'truncate'`, its network only (`203.0.113.0`, `2001:db8:1::`).
   */
  ip: string;
  /** Where {@link ip} is; null without a location source or for an address it does not know. */
  location: Location | null;
  browser: NamedVersion;
  os: NamedVersion;
  device: DeviceType;
  createdAt: string;
  lastActivity: string;
}

/**
 * `200` body of `GET {apiPrefix}/sessions?limit=&cursor=`: current session first (on the first page),
 * then newest activity first.
 */
export interface SessionListResponse {
  sessions: SessionInfo[];
  /**
   * Opaque cursor of the next page (pass it back as `?cursor=`), or `null` on the last page.
   * Keyset paging: a session whose activity moves while paging may show twice or not at all.
   */
  nextCursor: string | null;
}

/**
 * Page sizes of `GET {apiPrefix}/sessions` (`?limit=`). The default equals the server's default
 * `maxSessionsPerUser`, so with default settings one page holds every session.
 */
export const SESSION_LIST_LIMIT = { default: 100, max: 200 } as const;

/** One entry of `GET {apiPrefix}/admin/sessions`: a session of any user, and whose. */
export interface AdminSessionInfo extends SessionInfo {
  userId: string;
}

/** `200` body of `GET {apiPrefix}/admin/sessions?userId=&limit=&cursor=`: newest activity first. */
export interface AdminSessionListResponse {
  sessions: AdminSessionInfo[];
  /** Opaque keyset cursor of the next page (`?cursor=`), or `null` on the last page. */
  nextCursor: string | null;
}

/** Page sizes of `GET {apiPrefix}/admin/sessions` (`?limit=`). */
export const ADMIN_SESSION_LIST_LIMIT = { default: 50, max: 200 } as const;

/**
 * What a security log entry records: a sign-in, or how a session ended (see {@link EndReason}:
 * `logout` is `logged-out`).
 */
export const SECURITY_EVENT_TYPES = ['login', 'logout', 'revoked', 'expired', 'lost'] as const;

/** See {@link SECURITY_EVENT_TYPES}. */
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/**
 * Who revoked a session: `self` (from that very session), `other-session` (the same user from
 * another of their sessions: "sign out everywhere else", a password change), `admin` (another
 * user: an administrator), `server` (the app's server code outside any user's request, or the
 * `maxSessionsPerUser` cap) or `idp` (the OpenID provider the session signed in with, through
 * OpenID Connect back-channel logout).
 */
export const REVOKED_BY = ['self', 'other-session', 'admin', 'server', 'idp'] as const;

/** See {@link REVOKED_BY}. */
export type RevokedBy = (typeof REVOKED_BY)[number];

/** One entry of the security log (`GET {apiPrefix}/history`). */
export interface SecurityEvent {
  /** Opaque id of the entry. */
  id: string;
  type: SecurityEventType;
  /** When it happened (ISO-8601, UTC). */
  at: string;
  /** The public id of the session it is about (as in the sessions list while it is live). */
  session: string;
  /** The session's address at that moment (stored as the server's `ipPrivacy` says). */
  ip: string;
  location: Location | null;
  browser: NamedVersion;
  os: NamedVersion;
  device: DeviceType;
  /** With `revoked`: who revoked it; null for the other types. */
  by: RevokedBy | null;
  /**
   * With `revoked` by `other-session`: which of the user's sessions did it (its public id); null
   * otherwise (in the admin variant, also the administrator's session with `admin`).
   */
  bySession: string | null;
  /**
   * With `login`: true when the user had no sign-in with the same browser, OS and device type
   * in the log (within its retention); null for the other types.
   */
  newDevice: boolean | null;
}

/** An entry of the admin variant (`GET {apiPrefix}/admin/users/:userId/history`): also which administrator. */
export interface AdminSecurityEvent extends SecurityEvent {
  /** With `revoked` by `admin`: the administrator's user id; null otherwise. */
  byUser: string | null;
}

/** `200` body of `GET {apiPrefix}/history?limit=&cursor=`: newest first. */
export interface HistoryResponse {
  events: SecurityEvent[];
  /** Opaque cursor of the next page (`?cursor=`), or `null` on the last page. */
  nextCursor: string | null;
}

/** `200` body of `GET {apiPrefix}/admin/users/:userId/history?limit=&cursor=`: newest first. */
export interface AdminHistoryResponse {
  events: AdminSecurityEvent[];
  /** Opaque cursor of the next page (`?cursor=`), or `null` on the last page. */
  nextCursor: string | null;
}

/** Page sizes of `GET {apiPrefix}/history` (`?limit=`). */
export const HISTORY_LIMIT = { default: 50, max: 200 } as const;

/** `200` body of `DELETE {apiPrefix}/sessions` and `DELETE {apiPrefix}/admin/users/:userId/sessions`. */
export interface RevokeOthersResponse {
  revoked: number;
}

/**
 * Body of `PUT {apiPrefix}/admin/users/:userId/policy` and `PUT {apiPrefix}/admin/sessions/:id/policy`:
 * the session's new limits in seconds, as a login's `policy` gives them. A field left out takes the
 * global option of the same name (not the session's current value); `maxAge: null`: no absolute
 * lifetime.
 */
export interface PolicyRequest {
  warnAfter?: number;
  expireAfter?: number;
  maxAge?: number | null;
}

/** `200` body of the policy routes: how many live sessions now have the new limits. */
export interface PolicyChangeResponse {
  changed: number;
}

/** Body of `POST {apiPrefix}/ping`. */
export interface PingRequest {
  /** Seconds since the last user activity the client saw (in any of its tabs). */
  idleFor: number;
}

/** Optional body of `POST {apiPrefix}/logout`. */
export interface LogoutRequest {
  /**
   * `expired`: the client's idle deadline passed. The server records the end as `expired` when
   * its own idle time agrees, as `logged-out` otherwise; the session ends either way.
   */
  reason?: 'expired';
}

/** `200` body of `POST {apiPrefix}/ping`. */
export interface PingResponse {
  /** Seconds since the last activity the server knows of, after merging the client's `idleFor`. */
  idleFor: number;
  /** Seconds of inactivity after which the client warns. */
  warnAfter: number;
  /** Seconds of inactivity after which the session ends. */
  expireAfter: number;
  /**
   * Seconds until the session's absolute end (`maxAge` after login), whatever the activity; null
   * when the server has no `maxAge`. The client warns before it, without offering to extend.
   */
  maxAgeLeft: number | null;
  /** The session's public id (as in the sessions list): tabs tell sessions apart by it. */
  session: string;
  /** When the session was created (ISO-8601, UTC): in one browser, a newer session replaces an older one. */
  createdAt: string;
  /**
   * Opaque value, stable per user (an HMAC of the user id under the server's `secret`): tabs
   * compare it to tell "the same user signed in again" without learning who. `null` when the
   * server has no secret: then a sign-in after an end reloads the locked tabs instead of
   * unlocking them.
   */
  user: string | null;
}

/** Largest accepted `idleFor` (one year, in seconds): anything above is a client bug. */
export const MAX_IDLE_FOR = 365 * 24 * 3600;

/** Largest accepted JSON body on the API, in bytes. */
export const MAX_BODY_BYTES = 1024;

/** Default seconds of inactivity before the warning. */
export const DEFAULT_WARN_AFTER = 1740;

/** Default seconds of inactivity before the session ends. */
export const DEFAULT_EXPIRE_AFTER = 1800;

/**
 * Response header naming why sessionwatch has just ended the request's session:
 * `expired`, `revoked`, `logged-out` or `lost` (an {@link EndReason}). Sent on every response to such a
 * request, the app's own routes included, and again on every later request of that browser
 * while the ended record is retained. Same-origin only: it is not listed in
 * `Access-Control-Expose-Headers`, as the client only talks to its own origin.
 */
export const SESSION_ENDED_HEADER = 'Session-Ended';

/**
 * The events of the push stream (`GET {apiPrefix}/events`), each an SSE `event:` name whose `data:`
 * is JSON: `open` ({@link PushOpen}) once the stream is the session's; `ended` ({@link PushEnded})
 * when the session ends, from this instance or another, after which the stream closes; `policy`
 * ({@link PushPolicy}) when the session's limits changed (`sw.setPolicy`, the admin policy routes),
 * the stream staying open.
 */
export const PUSH_EVENTS = { open: 'open', ended: 'ended', policy: 'policy' } as const;

/** `data` of the push stream's `open` event. */
export interface PushOpen {
  /** The public id of the session the stream is of. */
  session: string;
}

/** `data` of the push stream's `ended` event. */
export interface PushEnded {
  reason: EndReason;
  /** With `revoked`: who revoked it. */
  by?: RevokedBy;
}

/**
 * `data` of the push stream's `policy` event: the session's limits now, in seconds (as a
 * {@link PingResponse} gives `warnAfter` and `expireAfter`; `maxAge` is the lifetime since login,
 * null for none). A cue as much as a value: the client asks the server (a ping), whose answer holds
 * the deadlines on its own clock.
 */
export interface PushPolicy {
  warnAfter: number;
  expireAfter: number;
  maxAge: number | null;
}

/**
 * Seconds between two heartbeat comments on an idle push stream: below the idle timeouts of common
 * proxies and load balancers (nginx `proxy_read_timeout` 60 s, AWS ALB 60 s, Heroku 55 s), so
 * none of them closes a stream that has nothing to say.
 */
export const PUSH_HEARTBEAT_S = 25;

/**
 * Seconds a browser waits before reconnecting a push stream that dropped (the SSE `retry:` the
 * stream announces).
 */
export const PUSH_RETRY_S = 3;

/**
 * Seconds a ping's merged idle time may fall short of `expireAfter` and still end the session as
 * `expired`: it absorbs the network latency between the client's deadline and the server.
 */
export const EXPIRY_TOLERANCE_S = 1;
