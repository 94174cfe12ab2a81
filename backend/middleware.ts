import type { Context, Middleware, Next } from 'koa';
import { apiPath, endReasonOfError, ERROR, ROUTES, SESSION_ENDED_HEADER, type EndReason, type ErrorBody } from '../shared/protocol';
import type { Core } from './core/types';
import type { SessionRecord } from './store/types';
import { SessionWatchHttpError } from './errors';
import { hashToken } from './tracking/tokens';
import { UNKNOWN_IP } from './tracking/records';
import {
  endedTokenHashOf,
  koaSessionOrder,
  requestStoreKey,
  sessionOf,
  setEndedTokenHash,
  settleEndedSession,
  unusableSession,
  type KoaSession,
} from './tracking/koa-session-adapter';
import { checkPassportOfRecord, followLogin, untrackedPassportLogin, watchPassport } from './passport/follow';
import { passportLoginOf } from './passport/view';
import { isExpired, recordPolicy, shouldTouch, type ActivityPolicy } from './inactivity/policy';
import type { StoredAddress } from './insight/ip-privacy';
import { createRoutes } from './routes';
import { applyNoStore } from './http/no-store';

/** What the app must change when koa-session is not in place, by case. */
const ORDER_MESSAGES = {
  missing:
    'sessionwatch needs koa-session, which is not set up on this app: add `app.use(session(app))`, then mount sw.middleware() after koa-session',
  after:
    'sessionwatch: koa-session is mounted after sessionwatch: mount sw.middleware() after koa-session ' +
    '(`app.use(session(app)); app.use(sw.middleware());`)',
  foreign:
    'sessionwatch: ctx.session holds an object that is not a koa-session session (no regenerate() method) and koa-session ' +
    'is not set up: mount koa-session (`app.use(session(app))`) before sw.middleware(), or give your session layer a regenerate()',
} as const;

/**
 * True for the code of a session that ended (`session_revoked`…): the 401 says since when. Not
 * `unauthenticated` (a logout, or no session at all): there is nothing to date.
 */
function isEndedCode(code: string): boolean {
  const reason = endReasonOfError(code);
  return reason !== null && reason !== 'logged-out';
}

/** Headers of every answer under `apiPrefix`. */
const API_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

/** Whether a request counts as the user's activity (see `createMiddleware`). */
type Activity = (ctx: Context) => boolean;

/** Codes whose `message` is part of the answer: it tells the caller (or the developer) what to fix. */
const WITH_MESSAGE = new Set<string>([ERROR.badRequest, ERROR.forbidden, ERROR.misconfigured]);

/**
 * Builds the per-request middleware of a `SessionWatch`: the session check, then the API routes,
 * then the app.
 *
 * A request whose session is cached and needs no write is checked synchronously (no promise),
 * then costs one `await` of the app (to add `Cache-Control: no-store` once it has answered) on
 * top of Koa's own promises.
 *
 * @internal
 */
export function createMiddleware(sw: Core): Middleware {
  const routes = createRoutes(sw);
  const { apiPrefix } = sw.options;
  const isApi = (path: string) => path === apiPrefix || path.startsWith(`${apiPrefix}/`);
  // A ping reports activity itself; a logout ends the session (and may say its deadline passed); a
  // push stream is open whatever the user does.
  const apiPassive = new Set([apiPath(apiPrefix, ROUTES.ping), apiPath(apiPrefix, ROUTES.logout), apiPath(apiPrefix, ROUTES.events)]);
  /**
   * Whether the request counts as the user's activity: not passive (the option), and under the
   * prefix only a route the API has (a client with a wrong `apiPrefix`, pinging a 404 every
   * interval, would otherwise keep its session alive for good).
   */
  const isActivity: Activity = (ctx) =>
    !isPassive(ctx) && (!isApi(ctx.path) || (!apiPassive.has(ctx.path) && routes.has(ctx.path, ctx.method)));
  /** The `passive` option's rules; one of the app's functions that throws is a JSON 500 naming the option. */
  const isPassive = (ctx: Context): boolean => {
    try {
      return sw.options.isPassive(ctx);
    } catch (err) {
      throw sw.optionThrew('passive', err);
    }
  };

  /** A sessionwatch error becomes its JSON answer; anything else is the app's, and propagates. */
  const answer = (ctx: Context, err: unknown): void => {
    if (!(err instanceof SessionWatchHttpError)) throw err;
    ctx.status = err.status;
    // Also on the app's paths (a 503 while the database is down): an error of ours is never cached.
    ctx.set(API_HEADERS);
    ctx.body = errorBody(sw, ctx, err);
  };

  /**
   * The app, then what it did to the session made true of the tracked session (a passport login
   * or logout: see `followLogin`) — also when it threw, since koa-session commits the session
   * either way — then `Cache-Control: no-store` on its answer when due.
   */
  const runApp = async (ctx: Context, next: Next): Promise<void> => {
    // Only the app's own routes may log in with passport: the API's (pings above all) skip this.
    watchPassport(sw, ctx, sessionOf(ctx));
    try {
      await next();
    } catch (err) {
      try {
        await followLogin(sw, ctx);
        await settle(ctx);
      } catch (followErr) {
        // The app's own error is the answer; a failure to follow its login is said in the log.
        if (!(followErr instanceof SessionWatchHttpError)) sw.advise('follow-login', `sessionwatch: ${String(followErr)}`);
      }
      keepEndReason(sw, ctx, err);
      answer(ctx, err);
      return;
    }
    try {
      await followLogin(sw, ctx);
      // Most requests have nothing to settle: no extra await for them.
      const settling = settle(ctx);
      if (settling) await settling;
      applyNoStore(sw, ctx);
    } catch (err) {
      answer(ctx, err);
    }
  };

  /** The API's routes, then what a logout among them left of the session settled. */
  const runApi = (ctx: Context, next: Next): Promise<void> =>
    routes(ctx, next).then(
      () => settle(ctx),
      (err: unknown) => {
        answer(ctx, err);
        return settle(ctx);
      },
    );

  /** After the check: the API's own paths go through the router; the app's skip route matching. */
  const dispatch = (ctx: Context, next: Next): Promise<void> => (isApi(ctx.path) ? runApi(ctx, next) : runApp(ctx, next));

  /**
   * A request whose session sessionwatch logged out (and that did not log in again): what the
   * cleared session leaves behind (see `settleEndedSession`) — no store entry when it is empty.
   */
  const settle = (ctx: Context): Promise<void> | undefined => {
    const { loggedOut, renewed } = sw.state(ctx);
    return loggedOut ? settleEndedSession(ctx, renewed) : undefined;
  };

  return function sessionwatch(ctx: Context, next: Next): Promise<void> {
    let pending: Promise<void> | undefined;
    // Every answer of the API, errors included: never cached, never sniffed into something else.
    if (isApi(ctx.path)) ctx.set(API_HEADERS);
    try {
      // Never run untracked: a session sessionwatch cannot see would never expire nor be revoked.
      const order = koaSessionOrder(ctx);
      if (order !== 'ok') throw sw.configError(`order:${order}`, ORDER_MESSAGES[order]);
      const unusable = unusableSession(ctx);
      if (unusable !== undefined) throw sw.configError('session:unusable', unusable);
      // The request's state, from here on: what `sw.login()` knows the request was checked by.
      sw.state(ctx);
      pending = checkSession(sw, ctx, isActivity);
    } catch (err) {
      answer(ctx, err);
      return Promise.resolve();
    }
    if (pending === undefined) return dispatch(ctx, next);
    return pending.then(
      () => dispatch(ctx, next),
      (err: unknown) => answer(ctx, err),
    );
  };
}

/** The JSON body of an API error; an ended session's 401 says how long ago it ended (`endedFor`). */
function errorBody(sw: Core, ctx: Context, err: SessionWatchHttpError): ErrorBody {
  if (WITH_MESSAGE.has(err.code)) return { error: err.code, message: err.message };
  const { endedAt } = sw.state(ctx);
  if (isEndedCode(err.code) && endedAt !== undefined) {
    return { error: err.code, endedFor: Math.max(0, Math.round(sw.options.now() - endedAt) / 1000) };
  }
  return { error: err.code };
}

/**
 * The app threw. When Koa's own error handling answers, it drops every header set so far but
 * those of the error: the end reason rides on the error, so that the app's error answer still
 * says why the session ended.
 */
function keepEndReason(sw: Core, ctx: Context, err: unknown): void {
  const ended = sw.state(ctx).ended;
  if (ended && typeof err === 'object' && err !== null) {
    try {
      const carrier = err as { headers?: Record<string, string> };
      carrier.headers = { ...carrier.headers, [SESSION_ENDED_HEADER]: ended };
    } catch {
      /* a frozen error: Koa answers without the header */
    }
  }
}

/**
 * Finds the request's tracked session and enforces it: a revoked, expired or unknown session is
 * logged out on this very request (data cleared, cookie reset, external store entry destroyed);
 * a live one records activity unless the request is passive (throttled by `touchInterval`).
 *
 * Returns undefined when it is done without waiting for anything — the common case, a live
 * session whose record is cached and needs no write: hashed once, found in memory (the cache's
 * own object, not a copy), checked by the pure policy — else a promise of the rest.
 */
function checkSession(sw: Core, ctx: Context, isActivity: Activity): Promise<void> | undefined {
  const session = sessionOf(ctx);
  const token = session?.[sw.options.sessionKey];
  if (typeof token !== 'string') {
    const passportLogin = passportLoginOf(sw.options.passport, session);
    if (passportLogin !== undefined) return untrackedPassportLogin(sw, ctx, passportLogin);
    const endedTokenHash = endedTokenHashOf(ctx) ?? session?.[sw.endedKey];
    if (typeof endedTokenHash === 'string') return explainTombstone(sw, ctx, endedTokenHash);
    if (session?.isNew) return explainMissingStoreEntry(sw, ctx);
    return undefined;
  }
  const tokenHash = hashToken(token);
  const cached = sw.cachedRecord(tokenHash);
  if (cached !== undefined && cached.endedAt === null) {
    const time = sw.options.now();
    // Each session by its own limits (stored on its record), else the global ones.
    const policy = recordPolicy(cached, sw.options.policy);
    if (!isExpired(cached, policy, time)) return enforceLive(sw, ctx, session!, cached, policy, time, isActivity);
  }
  // Not cached, ended, or past its deadline by the cached copy: decided on the stored record.
  return checkStored(sw, ctx, session!, tokenHash, isActivity);
}

/** {@link checkSession} from the store: a cache miss, or a session that may have to end. */
async function checkStored(sw: Core, ctx: Context, session: KoaSession, tokenHash: string, isActivity: Activity): Promise<void> {
  const policyOf = (record: SessionRecord) => recordPolicy(record, sw.options.policy);
  let record = await sw.store.findByTokenHash(tokenHash);
  const time = sw.options.now();
  // A cached copy may lag behind activity recorded elsewhere: check the database before ending it.
  if (record && record.endedAt === null && isExpired(record, policyOf(record), time)) {
    record = await sw.store.findByTokenHash(tokenHash, { fresh: true });
  }
  let ended: EndReason | undefined;
  if (!record) ended = 'logged-out';
  else if (record.endedAt !== null) ended = record.endReason ?? 'revoked';
  else if (isExpired(record, policyOf(record), time)) {
    ended = 'expired';
    const expired = await sw.store.end(record.id, 'expired', time);
    if (expired) await sw.ended(expired, 'expired', ctx);
  }
  if (ended) {
    await sw.resetSession(ctx, ended, record?.tokenHash, record?.endedAt ?? time);
    return;
  }
  await enforceLive(sw, ctx, session, record!, policyOf(record!), time, isActivity);
}

/**
 * A live session: the request's state holds its record — unless passport's login in the session
 * says otherwise (see `checkPassportOfRecord`), which logs it out. A request from another address
 * than the stored one moves it at once (rare: the only extra write); the same address costs a
 * memoized lookup and no write. An unknown address (a bad X-Forwarded-For) never replaces a known
 * one. Then the activity write, when due and the request is not passive. Undefined when nothing is
 * written (no promise).
 */
function enforceLive(
  sw: Core,
  ctx: Context,
  session: KoaSession,
  record: SessionRecord,
  policy: ActivityPolicy,
  time: number,
  isActivity: Activity,
): Promise<void> | undefined {
  sw.state(ctx).record = record;
  const passportEnded = checkPassportOfRecord(sw, ctx, session, record);
  if (passportEnded) return passportEnded;
  const address = sw.addressOf(ctx.ip);
  const moved = address.stored !== record.ip && address.stored !== UNKNOWN_IP;
  const touch = shouldTouch(record, policy, time) && isActivity(ctx);
  if (!moved && !touch) return undefined;
  return writeLive(sw, record, moved ? address : undefined, touch ? time : undefined);
}

/** The writes of {@link enforceLive}: the address moved, the activity at `touchAt`. */
async function writeLive(sw: Core, record: SessionRecord, address: StoredAddress | undefined, touchAt: number | undefined): Promise<void> {
  if (address) await sw.relocate(record, address);
  if (touchAt !== undefined) {
    const lastActivity = await sw.store.touch(record.id, touchAt);
    // Forward only: the record may be the cache's own copy, which the store moved already.
    if (lastActivity !== undefined) record.lastActivity = Math.max(record.lastActivity, lastActivity);
  }
}

/**
 * A browser whose session sessionwatch ended keeps the token hash of the ended record in a cookie
 * of its own (see `SessionCore.resetSession`; sessions of 0.2 kept it inside the session): every
 * later request gets the precise reason from the record, on any instance, while the record is
 * retained. Nothing is regenerated nor written: the session holds no data of the ended login, and
 * the app may be using it (a login form).
 */
async function explainTombstone(sw: Core, ctx: Context, tokenHash: string): Promise<void> {
  const record = await sw.store.findByTokenHash(tokenHash);
  if (record && record.endedAt !== null) {
    sw.markEnded(ctx, record.endReason ?? 'revoked', record.endedAt);
    return;
  }
  // Past retention (or never ended): the browser is simply logged out.
  setEndedTokenHash(ctx, null);
  const session = sessionOf(ctx);
  if (session && sw.endedKey in session) delete session[sw.endedKey];
}

/**
 * A request whose cookie names an external store entry koa-session no longer has. Looking the
 * cookie's key up (an indexed query, only in that case) tells why:
 * - the record ended (revoking a session from elsewhere destroys its store entry at once): the
 *   precise `session_revoked` / `session_expired` answer;
 * - the record is live: the store lost the entry (a Redis restarted empty, evicted or flushed).
 *   The login is over — its data is gone — so the record ends as `lost` at once (not listed as
 *   active until a sweep, and the browser told why rather than "logged out").
 * Either way the cookie is reset.
 */
async function explainMissingStoreEntry(sw: Core, ctx: Context): Promise<void> {
  const storeKey = requestStoreKey(ctx);
  if (!storeKey) return;
  const record = await sw.store.findByStoreKey(storeKey);
  if (!record) return;
  if (record.endedAt === null) {
    const time = sw.options.now();
    const lost = await sw.store.end(record.id, 'lost', time);
    if (lost) await sw.ended(lost, 'lost', ctx);
    await sw.resetSession(ctx, 'lost', record.tokenHash, lost?.endedAt ?? time);
    return;
  }
  await sw.resetSession(ctx, record.endReason ?? 'revoked', record.tokenHash, record.endedAt);
}
