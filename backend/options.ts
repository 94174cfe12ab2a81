import type { Knex } from 'knex';
import { DEFAULT_EXPIRE_AFTER, DEFAULT_API_PREFIX, DEFAULT_WARN_AFTER } from '../shared/protocol';
import type { Store } from './store/types';
import type { ExternalSessionStore } from './tracking/koa-session-adapter';
import { compilePassive, type PassiveRule } from './inactivity/passive';
import { defaultTouchInterval, type ActivityPolicy } from './inactivity/policy';
import type { GlobalLimits, SessionPolicyFunction } from './inactivity/session-policy';
import { DEFAULT_DATABASE_URL } from './store/connect';
import { parseDatabaseUrl } from './store/database-url';
import { assertKnownKeys, assertWarnBeforeExpire, describeValue, positiveSeconds as checkSeconds } from '../shared/option-checks';
import { DEFAULT_TABLE_NAME } from './store/migrations';
import { DEFAULT_CACHE_ENTRIES } from './store/cached-store';
import { isKnex, isStore } from './store/assemble';
import type { Context } from 'koa';
import { checkLocationOptions, type GeoipOptions, type LocateFunction } from './insight/locator';
import type { IpPrivacy } from './insight/ip-privacy';
import { resolvePassportOptions, type PassportOptions, type ResolvedPassportOptions } from './passport/options';
import { resolveBackChannelLogout, type BackChannelLogoutOptions, type ResolvedBackChannelLogout } from './oidc/options';

/** Options of {@link createSessionWatch}. Every one is optional; times are in seconds. */
export interface SessionWatchOptions {
  /**
   * Where tracked sessions live: a database URL, a Knex instance the app already has, or a
   * {@link Store}. URLs: `postgres://…` / `postgresql://…` (needs the `pg` package),
   * `sqlite:<file>` relative to the working directory or absolute (`sqlite:./data/s.sqlite`,
   * `sqlite:/var/lib/app/s.sqlite`), or `sqlite::memory:` (both need `better-sqlite3`). Anything
   * else throws a TypeError at construction. Default: `sqlite:./data/sessionwatch.sqlite`.
   */
  database?: string | Knex | Store;
  /** Postgres schema for the table (created by `migrate()`); default the connection's search path. */
  schema?: string;
  /** Table of tracked sessions. Default `sessionwatch_sessions`. */
  tableName?: string;
  /** Mount point of the HTTP API (the client's option of the same name). Default `/session`. */
  apiPrefix?: string;
  /**
   * Key inside `ctx.session` holding the secret token that links a session to its record.
   * Default `sessionwatch`. koa-session does not save keys starting with `_`, so those are refused.
   * (A browser whose session sessionwatch ended keeps the ended record's token hash, never the
   * token, in the cookie `<koa-session key>.ended`, so its later requests still get the precise
   * end reason.)
   */
  sessionKey?: string;
  /**
   * The external store given to koa-session, if any, so that revoking a session from elsewhere
   * (or from `revokeAll()` outside a request) destroys its store entry at once. Inside requests
   * sessionwatch also finds it through `ctx.sessionOptions.store`.
   */
  sessionStore?: ExternalSessionStore;
  /** Seconds of inactivity before the client warns. Default 1740. */
  warnAfter?: number;
  /** Seconds of inactivity after which the session ends. Default 1800. */
  expireAfter?: number;
  /** Absolute lifetime in seconds since login, whatever the activity. Default off (`null`). */
  maxAge?: number | null;
  /**
   * Seconds between two activity writes of one session from ordinary requests.
   * Default `min(60, expireAfter / 20)`, of each session's own `expireAfter` when a `policy` set
   * it; a value given here holds for every session.
   */
  touchInterval?: number;
  /**
   * Limits per session, decided at each login from the user and the login request: any of
   * `warnAfter`, `expireAfter` and `maxAge` (seconds; `maxAge: null` for none), the rest from the
   * global options. Sync or async. The resolved values are stored on the session's record, so
   * every instance and every restart applies them: the request check, the sweep, the activity
   * throttle and the ping answer (which the browser client takes its settings from).
   * `sw.login(ctx, userId, { policy })` overrides the result field by field ("keep me signed in").
   * A bad result, or a throw, fails the login with an error naming the field; nothing is written.
   * Default: none (every session uses the global options).
   *
   * @example
   * ```ts
   * const sw = createSessionWatch({
   *   policy: async ({ userId }) => ((await isCardholderStaff(userId)) ? { warnAfter: 840, expireAfter: 900 } : undefined),
   * });
   * // "Keep me signed in": 14 days of inactivity, no absolute limit.
   * await sw.login(ctx, user.id, { policy: { warnAfter: 14 * 86400 - 60, expireAfter: 14 * 86400, maxAge: null } });
   * ```
   */
  policy?: SessionPolicyFunction;
  /** Requests that do not count as activity (polling, health checks…). The ping is always passive. */
  passive?: PassiveRule | PassiveRule[];
  /** Seconds between background sweeps that end expired records; `0` or `false` turns it off. Default 60. */
  sweepInterval?: number | false;
  /**
   * Seconds an ended (revoked or expired) record is kept, so that its cookie gets the precise
   * `session_revoked` / `session_expired` answer. Default 7 days.
   */
  retention?: number;
  /**
   * Origins, besides the app's own, allowed to send state-changing requests to the API
   * (e.g. `https://app.example.com`). Default none.
   */
  trustedOrigins?: string[];
  /**
   * Most live sessions one user may have. A login beyond it ends the user's least recently active
   * sessions (reason `revoked`, each with a `sessionEnded` event whose `cause` is
   * `'maxSessionsPerUser'`), so a script logging in over and over cannot grow one user's list
   * without bound. A positive integer, or `null` for no cap. Default 100.
   */
  maxSessionsPerUser?: number | null;
  /**
   * `Cache-Control: no-store` on the app's authenticated pages, so that Back after a logout (or the
   * next user of a shared computer) does not show them from the browser's cache. `true` (default):
   * on responses to a request with a live tracked session whose Content-Type is `text/html` —
   * never on scripts, styles or images, which stay cacheable. A function chooses the responses
   * itself (called after the app ran, for every response of the app). `false` turns it off. A
   * `Cache-Control` the app set itself is never replaced.
   */
  noStore?: boolean | ((ctx: Context) => boolean);
  /**
   * Keep recently used records in memory so most requests cost no query (default `true` for a
   * database URL or Knex instance, `false` for a custom Store). Exact on one process; on Postgres,
   * instances invalidate each other's caches with LISTEN/NOTIFY, and a cache whose listener is
   * disconnected serves nothing. With SQLite, run one process per database file.
   */
  cache?: boolean | { maxEntries?: number };
  /**
   * Seconds a database call may take before the request fails closed with
   * `503 {"error":"unavailable"}`. Default 5.
   */
  queryTimeout?: number;
  /**
   * Where sessionwatch reports what needs a human: database errors (each distinct one once until
   * the database works again), a missing table ("run migrate()", once), koa-session mounted in the
   * wrong order (once). `false` silences it. Default `console`.
   */
  logger?: SessionWatchLogger | false;
  /**
   * Server secret (at least 16 characters) under which each ping answer carries an opaque,
   * stable per-user value (`user`, an HMAC of the user id): after a session ends, the locked tabs
   * unlock in place when the same user signs in again, without page scripts learning the user id.
   * Every instance needs the same secret. Default: the app's `app.keys[0]` (which koa-session's
   * signed cookies already need); with neither, ping answers carry `user: null`, said once in the
   * log, and a sign-in after an end reloads the locked tabs instead of unlocking them.
   */
  secret?: string;
  /**
   * Turns on the admin API (`GET {apiPrefix}/admin/sessions`, `DELETE {apiPrefix}/admin/sessions/:id`,
   * `DELETE {apiPrefix}/admin/users/:userId/sessions`): called on each of its requests that has a
   * live session; `true` lets it through, `false` answers `403 forbidden`. Without it those routes
   * do not exist (404). A throw fails the request like any error of the app.
   *
   * @example
   * ```ts
   * createSessionWatch({ isAdmin: (ctx) => ctx.session?.role === 'admin' });
   * ```
   */
  isAdmin?: (ctx: Context) => boolean | Promise<boolean>;
  /**
   * Where sessions are: a MaxMind GeoLite2 / GeoIP2 City (or Country) database, read with the
   * `maxmind` package (`npm install maxmind`; an optional peer). The file is checked at
   * construction, opened by `migrate()` (a missing package or a bad file rejects it with the
   * reason). Addresses are looked up at login and when a session's address changes, never on
   * other requests, and remembered per address. Restart to pick up an updated database. Default:
   * no location (`location: null`).
   *
   * @example
   * ```ts
   * createSessionWatch({ geoip: { database: '/var/lib/GeoIP/GeoLite2-City.mmdb' } });
   * ```
   */
  geoip?: GeoipOptions;
  /**
   * Your own location source instead of `geoip` (a service, another database): the location of
   * an address, or null when unknown; sync or async. Given the full address even with
   * `ipPrivacy: 'truncate'` (only the truncated one is stored). A throw, a wrong shape or more
   * than 1 s leaves the location empty (said once in the log); a login never fails for it.
   *
   * @example
   * ```ts
   * createSessionWatch({ locate: async (ip) => (await myGeoService.lookup(ip)) ?? null });
   * ```
   */
  locate?: LocateFunction;
  /**
   * How much of each client address is stored (sessions list, `TrackedSession.ip`, security log):
   * `full` (default) or `truncate`: IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48
   * (`2001:db8:1::`), before anything is written. The location is looked up from the full address
   * first, so it stays as precise. Applies to addresses stored from then on.
   */
  ipPrivacy?: IpPrivacy;
  /**
   * Seconds the security log (`sw.history`, `GET {apiPrefix}/history`) keeps an entry; older ones
   * are deleted by the sweep. It is also how far back "a sign-in from a new device" looks.
   * Default 90 days.
   */
  historyRetention?: number;
  /**
   * How sessionwatch follows logins made with passport (koa-passport): on by default, `false` to
   * turn it off. Every passport login (`ctx.login()`, `passport.authenticate()` with any
   * strategy) becomes a tracked session at the end of its request and `ctx.logout()` ends it;
   * whenever sessionwatch ends a session, passport's view of the request ends too
   * (`ctx.isAuthenticated()` false, `ctx.state.user` gone), whatever the order of the middleware.
   * See {@link PassportOptions}.
   *
   * @example
   * ```ts
   * // serializeUser stores { id, tenant }: tell sessionwatch which part is the user id.
   * createSessionWatch({ passport: { userId: (user) => (user as { id: number }).id } });
   * ```
   */
  passport?: PassportOptions | false;
  /**
   * OpenID Connect Back-Channel Logout 1.0: the OpenID providers whose logout tokens end this
   * app's sessions, posted to `{apiPrefix}/backchannel-logout`. Sessions must be signed in with
   * `sw.login(ctx, userId, { idp: tokens.claims() })`. Default: off (the route answers 404).
   */
  backChannelLogout?: BackChannelLogoutOptions;
  /** Clock in epoch milliseconds; for tests. Default `Date.now`. */
  now?: () => number;
}

/** The `logger` option: anything with an `error` method, such as `console` or a pino logger. */
export interface SessionWatchLogger {
  error(message: string, error?: unknown): void;
}

/** Every key {@link SessionWatchOptions} has: any other throws a TypeError naming the closest. */
export const OPTION_KEYS = [
  'database',
  'schema',
  'tableName',
  'apiPrefix',
  'sessionKey',
  'sessionStore',
  'warnAfter',
  'expireAfter',
  'maxAge',
  'touchInterval',
  'policy',
  'passive',
  'sweepInterval',
  'retention',
  'trustedOrigins',
  'maxSessionsPerUser',
  'noStore',
  'cache',
  'queryTimeout',
  'logger',
  'secret',
  'isAdmin',
  'geoip',
  'locate',
  'ipPrivacy',
  'historyRetention',
  'passport',
  'backChannelLogout',
  'now',
] as const satisfies ReadonlyArray<keyof SessionWatchOptions>;

/** Old option names (0.1) and their new ones: a clear error rather than an unknown-option guess. */
const RENAMED_OPTIONS = { prefix: 'apiPrefix' } as const;

/** Options after validation, with defaults applied; times in milliseconds. */
export interface ResolvedOptions {
  database: string | Knex | Store;
  schema?: string;
  tableName: string;
  apiPrefix: string;
  sessionKey: string;
  sessionStore?: ExternalSessionStore;
  warnAfter: number;
  expireAfter: number;
  policy: ActivityPolicy;
  /** The `policy` option: limits per session, decided at login. */
  sessionPolicy?: SessionPolicyFunction;
  /** The global limits a session's own start from (seconds). */
  globalLimits: GlobalLimits;
  isPassive: (ctx: Context) => boolean;
  sweepIntervalMs: number;
  retentionMs: number;
  trustedOrigins: Set<string>;
  /** Live sessions per user before a login ends the least recently active; null when off. */
  maxSessionsPerUser: number | null;
  /**
   * Which responses of the app get `Cache-Control: no-store` (unless they set their own): the
   * default rule (HTML of a request with a live session), the app's own choice, or none.
   */
  noStore: 'authenticated-html' | ((ctx: Context) => boolean) | false;
  queryTimeoutMs: number;
  /** Cache settings, or false when off. */
  cache: { maxEntries: number } | false;
  logger: SessionWatchLogger;
  /** The `secret` option; undefined: `app.keys[0]` at request time. */
  secret?: string;
  /** The `isAdmin` option, or null: no admin API. */
  isAdmin: ((ctx: Context) => boolean | Promise<boolean>) | null;
  /** The location source (`geoip` or `locate`), or null: none. */
  location: { geoip: GeoipOptions } | { locate: LocateFunction } | null;
  ipPrivacy: IpPrivacy;
  historyRetentionMs: number;
  /** How passport logins are followed, or null: not at all (`passport: false`). */
  passport: ResolvedPassportOptions | null;
  /** The OpenID providers of back-channel logout, or null: off. */
  backChannelLogout: ResolvedBackChannelLogout;
  now: () => number;
}

const DEFAULT_SWEEP_INTERVAL = 60;
const DEFAULT_RETENTION = 7 * 24 * 3600;
const DEFAULT_HISTORY_RETENTION = 90 * 24 * 3600;
/** What a custom Store needs since 0.3 (the security log and the last address). */
const STORE_METHODS_SINCE_0_3 = [
  'relocate',
  'rewriteAddresses',
  'addEvents',
  'listEvents',
  'hasLogin',
  'setStoreKey',
  'endAllOfIdp',
] as const;
const DEFAULT_MAX_SESSIONS_PER_USER = 100;
/** Shortest `secret` accepted: 16 characters (an HMAC key, not a password). */
const MIN_SECRET_LENGTH = 16;
/** WCAG 2.2.1: users get at least 20 seconds to extend a time limit. */
const MIN_WARNING_SECONDS = 20;

/** A positive number of seconds, or `fallback` when not given. */
function positiveSeconds(name: string, value: unknown, fallback: number): number {
  return checkSeconds(name, value) ?? fallback;
}

function nonNegativeSeconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === 0) return 0;
  return positiveSeconds(name, value, fallback);
}

function identifier(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value)) {
    throw new TypeError(`sessionwatch: option "${name}" must be an SQL identifier such as "${fallback}" (got ${describeValue(value)})`);
  }
  return value;
}

function origin(value: unknown, index: number): string {
  try {
    if (typeof value !== 'string') throw new Error();
    const parsed = new URL(value);
    if (parsed.origin === 'null' || parsed.origin !== value.replace(/\/$/, '')) throw new Error();
    return parsed.origin;
  } catch {
    throw new TypeError(
      `sessionwatch: trustedOrigins[${index}] must be an origin like "https://app.example.com" (got ${describeValue(value)})`,
    );
  }
}

function maxSessionsPerUser(value: unknown): number | null {
  if (value === undefined) return DEFAULT_MAX_SESSIONS_PER_USER;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`sessionwatch: option "maxSessionsPerUser" must be a positive integer or null (got ${describeValue(value)})`);
  }
  return value;
}

function adminCheck(value: unknown): ResolvedOptions['isAdmin'] {
  if (value === undefined) return null;
  if (typeof value !== 'function') {
    throw new TypeError(`sessionwatch: option "isAdmin" must be a function (ctx) => boolean (got ${describeValue(value)})`);
  }
  return value as (ctx: Context) => boolean | Promise<boolean>;
}

function noStore(value: unknown): ResolvedOptions['noStore'] {
  if (value === undefined || value === true) return 'authenticated-html';
  if (value === false) return false;
  if (typeof value === 'function') return value as (ctx: Context) => boolean;
  throw new TypeError(`sessionwatch: option "noStore" must be a boolean or a function (ctx) => boolean (got ${describeValue(value)})`);
}

function resolveCache(value: SessionWatchOptions['cache'], customStore: boolean): ResolvedOptions['cache'] {
  if (value === undefined) return customStore ? false : { maxEntries: DEFAULT_CACHE_ENTRIES };
  if (value === false) return false;
  if (value === true) return { maxEntries: DEFAULT_CACHE_ENTRIES };
  const maxEntries = value?.maxEntries ?? DEFAULT_CACHE_ENTRIES;
  if (typeof value !== 'object' || !Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('sessionwatch: option "cache" must be a boolean or { maxEntries: positive integer }');
  }
  return { maxEntries };
}

/** Validates options once, at construction, and applies defaults. Throws TypeError / RangeError naming the option. */
export function resolveOptions(options: SessionWatchOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('sessionwatch: options must be an object');
  }
  assertKnownKeys(options, OPTION_KEYS, RENAMED_OPTIONS);
  const database = options.database ?? DEFAULT_DATABASE_URL;
  if (typeof database === 'string') parseDatabaseUrl(database);
  else if (isStore(database)) {
    const missing = STORE_METHODS_SINCE_0_3.filter(
      (method) => typeof (database as unknown as Record<string, unknown>)[method] !== 'function',
    );
    if (missing.length) {
      throw new TypeError(
        `sessionwatch: the Store given as "database" lacks ${missing.join(', ')} (the security log, last address and login flows of 0.3; see the Store interface and MemoryStore)`,
      );
    }
  } else if (!isKnex(database)) {
    throw new TypeError(`sessionwatch: option "database" must be a URL, a Knex instance or a Store (got ${describeValue(database)})`);
  }
  const apiPrefix = options.apiPrefix ?? DEFAULT_API_PREFIX;
  if (typeof apiPrefix !== 'string' || !/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/.test(apiPrefix)) {
    throw new TypeError(
      `sessionwatch: option "apiPrefix" must be a path like "/session" without a trailing slash (got ${describeValue(apiPrefix)})`,
    );
  }
  const sessionKey = options.sessionKey ?? 'sessionwatch';
  if (typeof sessionKey !== 'string' || sessionKey === '' || sessionKey.startsWith('_') || sessionKey === 'isNew') {
    throw new TypeError(
      'sessionwatch: option "sessionKey" must be a non-empty string not starting with "_" (koa-session does not save those)',
    );
  }
  const warnAfter = positiveSeconds('warnAfter', options.warnAfter, DEFAULT_WARN_AFTER);
  const expireAfter = positiveSeconds('expireAfter', options.expireAfter, DEFAULT_EXPIRE_AFTER);
  assertWarnBeforeExpire(warnAfter, expireAfter);
  if (expireAfter - warnAfter < MIN_WARNING_SECONDS) {
    process.emitWarning(
      `sessionwatch: expireAfter - warnAfter is ${expireAfter - warnAfter}s; WCAG 2.2.1 asks for at least ${MIN_WARNING_SECONDS}s to extend the session`,
      { code: 'SESSIONWATCH_SHORT_WARNING' },
    );
  }
  const maxAge = options.maxAge === null || options.maxAge === undefined ? null : positiveSeconds('maxAge', options.maxAge, 0);
  if (maxAge !== null && maxAge <= expireAfter) {
    // Legitimate in tests and demos, almost never in production: say so rather than refuse.
    process.emitWarning(
      `sessionwatch: maxAge (${maxAge}s) is not longer than expireAfter (${expireAfter}s): every session ends at maxAge ` +
        'whatever the activity, so the inactivity limit never applies. Did you mean seconds for both?',
      { code: 'SESSIONWATCH_SHORT_MAX_AGE' },
    );
  }
  const touchInterval = nonNegativeSeconds('touchInterval', options.touchInterval, defaultTouchInterval(expireAfter));
  if (touchInterval >= expireAfter) {
    throw new RangeError(`sessionwatch: option "touchInterval" (${touchInterval}) must be less than "expireAfter" (${expireAfter})`);
  }
  if (options.policy !== undefined && typeof options.policy !== 'function') {
    throw new TypeError(
      `sessionwatch: option "policy" must be a function ({ userId, ctx }) => { warnAfter?, expireAfter?, maxAge? } (got ${describeValue(options.policy)})`,
    );
  }
  const sweepInterval =
    options.sweepInterval === false ? 0 : nonNegativeSeconds('sweepInterval', options.sweepInterval, DEFAULT_SWEEP_INTERVAL);
  const retention = nonNegativeSeconds('retention', options.retention, DEFAULT_RETENTION);
  if (options.trustedOrigins !== undefined && !Array.isArray(options.trustedOrigins)) {
    throw new TypeError('sessionwatch: option "trustedOrigins" must be an array of origins');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('sessionwatch: option "now" must be a function returning epoch milliseconds');
  }
  const store = options.sessionStore;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.destroy !== 'function')) {
    throw new TypeError('sessionwatch: option "sessionStore" must be a koa-session store with get/set/destroy');
  }
  const logger = options.logger === undefined ? console : options.logger === false ? { error() {} } : options.logger;
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function') {
    throw new TypeError(
      `sessionwatch: option "logger" must be false or an object with an error(message, error) method (got ${describeValue(logger)})`,
    );
  }
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret.length < MIN_SECRET_LENGTH)) {
    throw new TypeError(
      `sessionwatch: option "secret" must be a string of at least ${MIN_SECRET_LENGTH} characters (got ${
        // Never echo a secret, even a bad one.
        typeof options.secret === 'string' ? `${options.secret.length} characters` : describeValue(options.secret)
      })`,
    );
  }
  if (options.ipPrivacy !== undefined && options.ipPrivacy !== 'full' && options.ipPrivacy !== 'truncate') {
    throw new TypeError(`sessionwatch: option "ipPrivacy" must be "full" or "truncate" (got ${describeValue(options.ipPrivacy)})`);
  }
  return {
    database,
    schema: options.schema === undefined ? undefined : identifier('schema', options.schema, 'public'),
    tableName: identifier('tableName', options.tableName, DEFAULT_TABLE_NAME),
    apiPrefix,
    sessionKey,
    sessionStore: store,
    warnAfter,
    expireAfter,
    // Whole milliseconds, as a session's own limits are (session-policy.ts): stored times are whole
    // milliseconds, and the sweep's cutoffs agree with isExpired exactly only then.
    policy: {
      expireAfterMs: Math.round(expireAfter * 1000),
      touchIntervalMs: Math.ceil(touchInterval * 1000),
      maxAgeMs: maxAge === null ? null : Math.round(maxAge * 1000),
    },
    sessionPolicy: options.policy,
    globalLimits: { warnAfter, expireAfter, maxAge, touchInterval: options.touchInterval === undefined ? undefined : touchInterval },
    isPassive: compilePassive(options.passive),
    sweepIntervalMs: sweepInterval * 1000,
    retentionMs: retention * 1000,
    trustedOrigins: new Set((options.trustedOrigins ?? []).map(origin)),
    maxSessionsPerUser: maxSessionsPerUser(options.maxSessionsPerUser),
    noStore: noStore(options.noStore),
    queryTimeoutMs: positiveSeconds('queryTimeout', options.queryTimeout, 5) * 1000,
    cache: resolveCache(options.cache, isStore(database)),
    logger,
    secret: options.secret,
    isAdmin: adminCheck(options.isAdmin),
    location: checkLocationOptions(options.geoip, options.locate),
    ipPrivacy: options.ipPrivacy ?? 'full',
    historyRetentionMs: positiveSeconds('historyRetention', options.historyRetention, DEFAULT_HISTORY_RETENTION) * 1000,
    passport: resolvePassportOptions(options.passport),
    backChannelLogout: resolveBackChannelLogout(options.backChannelLogout),
    now: options.now ?? Date.now,
  };
}
