import Router, { type RouterContext } from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import {
  apiPath,
  ERROR,
  MAX_IDLE_FOR,
  ROUTES,
  type HistoryResponse,
  type PingResponse,
  type RevokeOthersResponse,
  type SessionListResponse,
} from '../../shared/protocol';
import type { Core } from '../core/types';
import { SessionWatchHttpError, unauthenticated } from '../errors';
import { readJsonObject } from '../http/body';
import { assertSameOrigin } from '../http/csrf';
import { pingExpires, recordPolicy } from '../inactivity/policy';
import { limitsInSeconds } from '../inactivity/session-policy';
import { NO_SECRET_MESSAGE, tagSecret, userTag } from '../tracking/user-tag';
import { pageOr400, queryParams } from '../http/paging';
import { toSecurityEvent } from '../insight/events';
import { addAdminRoutes } from './admin';
import { addBackChannelLogoutRoute } from './backchannel';
import { addPushRoute } from './events';
import { revokeAndAnswer, withSession as guard, type SessionHandler } from './guard';

/** Validates the ping's `idleFor`: a finite number of seconds in [0, MAX_IDLE_FOR]. */
export function parseIdleFor(body: Record<string, unknown>): number {
  const idleFor = body.idleFor;
  if (!('idleFor' in body)) throw new SessionWatchHttpError(ERROR.badRequest, 'idleFor is required');
  if (typeof idleFor !== 'number' || !Number.isFinite(idleFor)) {
    throw new SessionWatchHttpError(ERROR.badRequest, 'idleFor must be a finite number of seconds');
  }
  if (idleFor < 0 || idleFor > MAX_IDLE_FOR) {
    throw new SessionWatchHttpError(ERROR.badRequest, `idleFor must be between 0 and ${MAX_IDLE_FOR}`);
  }
  return idleFor;
}

/** Validates the optional logout body: `{}` or `{"reason":"expired"}`. */
export function parseLogoutReason(body: Record<string, unknown>): 'expired' | undefined {
  const unknown = Object.keys(body).filter((key) => key !== 'reason');
  if (unknown.length) throw new SessionWatchHttpError(ERROR.badRequest, `unknown field ${JSON.stringify(unknown[0])}`);
  if (body.reason === undefined) return undefined;
  if (body.reason !== 'expired') throw new SessionWatchHttpError(ERROR.badRequest, 'reason must be "expired"');
  return 'expired';
}

/** True when the request carries a body (a logout may have none). */
function hasBody(ctx: Context): boolean {
  return Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
}

/** Seconds with millisecond precision. */
function seconds(ms: number): number {
  return Math.max(0, Math.round(ms) / 1000);
}

/**
 * The HTTP API (paths and payloads in `shared/protocol.ts`), mounted under `apiPrefix`. Every route
 * answers JSON; state-changing routes refuse cross-site requests.
 *
 * @internal
 */
export interface Api {
  (ctx: Context, next: Next): Promise<void>;
  /** True when the API has a route for this path and method (anything else is its 404 or 405). */
  has(path: string, method: string): boolean;
}

export function createRoutes(sw: Core): Api {
  const { apiPrefix, trustedOrigins, now } = sw.options;
  // Strict and case-sensitive: `DELETE /sessions/` (an empty id) must never mean `DELETE /sessions`.
  const router = new Router({ prefix: apiPrefix, strict: true, sensitive: true });
  const withSession = (kind: 'read' | 'write', handler: SessionHandler) => guard(sw, kind, handler);

  router.get(
    ROUTES.sessions,
    withSession('read', async (ctx, record) => {
      const { limit, cursor } = queryParams(ctx, ['limit', 'cursor']);
      const body: SessionListResponse = await pageOr400(() => sw.sessionInfos(record.userId, record.id, { limit, cursor }));
      ctx.body = body;
    }),
  );

  router.get(
    ROUTES.history,
    withSession('read', async (ctx, record) => {
      const { limit, cursor } = queryParams(ctx, ['limit', 'cursor']);
      const page = await pageOr400(() => sw.history(record.userId, { limit, cursor }));
      const body: HistoryResponse = { events: page.events.map(toSecurityEvent), nextCursor: page.nextCursor };
      ctx.body = body;
    }),
  );

  router.delete(
    ROUTES.sessions,
    withSession('write', async (ctx, record) => {
      const body: RevokeOthersResponse = { revoked: await sw.revokeAll(record.userId, { exceptId: record.id, ctx }) };
      ctx.body = body;
    }),
  );

  router.delete(
    ROUTES.session,
    withSession('write', async (ctx, record) => {
      await revokeAndAnswer(sw, ctx, record, record.userId, ctx.params.id);
    }),
  );

  const ping = withSession('write', async (ctx, record) => {
    const idleFor = parseIdleFor(await readJsonObject(ctx));
    const time = now();
    // This session's own limits (stored on its record), else the global ones.
    const policy = recordPolicy(record, sw.options.policy);
    if (pingExpires(record, idleFor * 1000, policy, time)) {
      // The cached copy may lag activity recorded by another instance: decide on the stored one.
      const stored = await sw.store.findByTokenHash(record.tokenHash, { fresh: true });
      if (!stored || stored.endedAt !== null) {
        await sw.resetSession(ctx, stored?.endReason ?? 'logged-out', stored?.tokenHash);
        throw unauthenticated(sw.state(ctx).ended);
      }
      if (pingExpires(stored, idleFor * 1000, policy, time)) {
        await sw.expire(ctx, stored);
        throw unauthenticated(sw.state(ctx).ended);
      }
    }
    const lastActivity = await sw.store.touch(record.id, Math.round(time - idleFor * 1000));
    // Revoked or ended between the check and the merge: answer as the next request would.
    if (lastActivity === undefined) throw new SessionWatchHttpError(ERROR.sessionRevoked);
    // Forward only: the record may be the cache's own copy, which the store moved already.
    record.lastActivity = Math.max(record.lastActivity, lastActivity);
    const { maxAgeMs } = policy;
    const secret = tagSecret(sw.options.secret, ctx);
    if (secret === undefined) sw.advise('secret', NO_SECRET_MESSAGE);
    const { warnAfter, expireAfter } = limitsInSeconds(record, sw.options.globalLimits);
    const body: PingResponse = {
      idleFor: seconds(time - lastActivity),
      warnAfter,
      expireAfter,
      maxAgeLeft: maxAgeMs === null ? null : seconds(record.createdAt + maxAgeMs - time),
      session: record.id,
      createdAt: new Date(record.createdAt).toISOString(),
      user: secret === undefined ? null : userTag(secret, record.userId),
    };
    ctx.body = body;
  });
  router.post(ROUTES.ping, ping);

  router.post(ROUTES.logout, async (ctx) => {
    assertSameOrigin(ctx, trustedOrigins);
    // `{"reason":"expired"}`: the client's idle deadline passed. Recorded as expired only when the
    // server's own idle time agrees (a client cannot forge it); a logout either way.
    const expired = hasBody(ctx) && parseLogoutReason(await readJsonObject(ctx)) === 'expired';
    const record = expired ? sw.state(ctx).record : undefined;
    if (record && pingExpires(record, Infinity, recordPolicy(record, sw.options.policy), now())) {
      const stored = await sw.store.findByTokenHash(record.tokenHash, { fresh: true });
      if (stored && stored.endedAt === null && pingExpires(stored, Infinity, recordPolicy(stored, sw.options.policy), now())) {
        await sw.expire(ctx, stored);
        ctx.status = 204;
        return;
      }
    }
    await sw.logout(ctx);
    ctx.status = 204;
  });

  addPushRoute(router, sw);
  if (sw.options.isAdmin) addAdminRoutes(router, sw, sw.options.isAdmin);
  // Without the option the path is unknown, as any other: 404.
  if (sw.options.backChannelLogout) addBackChannelLogoutRoute(router, sw, sw.options.backChannelLogout.providers);

  const routes = router.routes() as unknown as Middleware;
  const pingPath = apiPath(apiPrefix, ROUTES.ping);
  // The apiPrefix belongs to the API: anything else under it is a JSON 404 or 405, never the app's.
  const routed = async (ctx: Context, next: Next): Promise<void> => {
    const match = router.match(ctx.path, ctx.method);
    if (match.route) {
      await routes(ctx, next);
      return;
    }
    if (match.path.length) {
      ctx.set('Allow', [...new Set(match.path.flatMap((layer) => layer.methods))].join(', '));
      throw new SessionWatchHttpError(ERROR.methodNotAllowed);
    }
    throw new SessionWatchHttpError(ERROR.routeNotFound);
  };
  // Every open page pings once per ping interval: its one exact path (the router's, strict and
  // case-sensitive) goes straight to its handler, without matching every route twice.
  const api = function api(ctx: Context, next: Next): Promise<void> {
    if (ctx.method === 'POST' && ctx.path === pingPath) return ping(ctx as RouterContext);
    return routed(ctx, next);
  };
  return Object.assign(api, { has: (path: string, method: string) => router.match(path, method).route });
}
