import type { Context, Middleware, Next } from 'koa';
import { ERROR, type EndReason } from '../shared/protocol';
import { SessionWatchHttpError } from './errors';
import type { SessionWatch } from './sessionwatch';
import { hashToken } from './tracking/tokens';
import { requestStoreKey, sessionOf } from './tracking/koa-session-adapter';
import { isExpired, shouldTouch } from './inactivity/policy';
import { createRoutes } from './routes';

/**
 * Builds the per-request middleware of a {@link SessionWatch}: the session check, then the API
 * routes, then the app.
 */
export function createMiddleware(sw: SessionWatch): Middleware {
  const routes = createRoutes(sw);
  const { prefix } = sw.options;
  const isApi = (path: string) => path === prefix || path.startsWith(`${prefix}/`);
  return async function sessionwatch(ctx: Context, next: Next) {
    try {
      await checkSession(sw, ctx);
      // Only the API's own paths go through the router: the app's requests skip route matching.
      if (!isApi(ctx.path)) return await next();
      await routes(ctx, next);
    } catch (err) {
      if (!(err instanceof SessionWatchHttpError)) throw err;
      ctx.status = err.status;
      ctx.body = err.code === ERROR.badRequest || err.code === ERROR.forbidden
        ? { error: err.code, message: err.message }
        : { error: err.code };
    }
  };
}

/**
 * Finds the request's tracked session and enforces it: a revoked, expired or unknown session is
 * logged out on this very request (data cleared, cookie reset, external store entry destroyed);
 * a live one records activity unless the request is passive (throttled by `touchInterval`).
 */
async function checkSession(sw: SessionWatch, ctx: Context): Promise<void> {
  const { sessionKey, policy, isPassive, now } = sw.options;
  const state = sw.requestState(ctx);
  const session = sessionOf(ctx);
  const token = session?.[sessionKey];

  if (typeof token !== 'string') {
    if (session?.isNew) await explainMissingStoreEntry(sw, ctx);
    return;
  }
  const tokenHash = hashToken(token);
  let record = await sw.store.findByTokenHash(tokenHash);
  const time = now();
  // A cached copy may lag behind activity recorded elsewhere: check the database before ending it.
  if (record && record.endedAt === null && isExpired(record, policy, time)) {
    record = await sw.store.findByTokenHash(tokenHash, { fresh: true });
  }
  let ended: EndReason | undefined;
  if (!record) ended = 'logged-out';
  else if (record.endedAt !== null) ended = record.endReason ?? 'revoked';
  else if (isExpired(record, policy, time)) {
    ended = 'expired';
    const expired = await sw.store.end(record.id, 'expired', time);
    if (expired) await sw.ended(expired, 'expired', ctx);
  }
  if (ended) {
    await sw.resetSession(ctx, ended);
    return;
  }
  state.record = record;
  if (!isPassive(ctx) && !isApiPassive(sw, ctx) && shouldTouch(record!, policy, time)) {
    const lastActivity = await sw.store.touch(record!.id, time);
    if (lastActivity !== undefined) record!.lastActivity = lastActivity;
  }
}

/** The ping merges activity itself; it never counts as activity on its own. */
function isApiPassive(sw: SessionWatch, ctx: Context): boolean {
  return ctx.path === sw.pingPath;
}

/**
 * With an external store, revoking a session from elsewhere destroys its store entry at once, so
 * its next request arrives with a cookie koa-session no longer knows. Looking the cookie's key up
 * (an indexed query, only in that case) still gives that request the precise
 * `session_revoked` / `session_expired` answer, and resets its cookie.
 */
async function explainMissingStoreEntry(sw: SessionWatch, ctx: Context): Promise<void> {
  const storeKey = requestStoreKey(ctx);
  if (!storeKey) return;
  const record = await sw.store.findByStoreKey(storeKey);
  if (!record || record.endedAt === null) return;
  await sw.resetSession(ctx, record.endReason ?? 'revoked');
}

/** Throws the 401 a request without a live session gets on the API. */
export function unauthenticated(sw: SessionWatch, ctx: Context): SessionWatchHttpError {
  const ended = sw.requestState(ctx).ended;
  if (ended === 'revoked') return new SessionWatchHttpError(ERROR.sessionRevoked);
  if (ended === 'expired') return new SessionWatchHttpError(ERROR.sessionExpired);
  return new SessionWatchHttpError(ERROR.unauthenticated);
}
