/**
 * The admin API (server option `isAdmin`): every user's sessions, listed, revoked and given new
 * limits. Mounted on the same router as the user API, with the same guards plus the administrator
 * check.
 */
import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import {
  ERROR,
  ROUTES,
  type AdminSessionListResponse,
  type AdminHistoryResponse,
  type PolicyChangeResponse,
  type RevokeOthersResponse,
} from '../../shared/protocol';
import type { Core } from '../core/types';
import { SessionWatchHttpError } from '../errors';
import { readJsonObject } from '../http/body';
import { pageOr400, queryParams } from '../http/paging';
import { textParam } from '../http/text-param';
import { toAdminSecurityEvent } from '../insight/events';
import { toSessionInfo } from '../tracking/records';
import { PUBLIC_ID_PATTERN } from '../tracking/tokens';
import { revokeAndAnswer, withSession, type SessionHandler } from './guard';

/** Longest user id the API takes (the server API's rule). */
const MAX_USER_ID_LENGTH = 255;

/**
 * Sets the limits of the body's policy on `userId`'s live sessions (`sessionId` only, when given):
 * the server API's checks, a bad value answered `400` with its message. Never activity: the
 * administrator's request is not the sessions' own.
 */
async function setPolicy(sw: Core, ctx: Context, userId: string, sessionId?: string): Promise<number> {
  const policy = await readJsonObject(ctx);
  try {
    return await sw.setPolicy(userId, policy, sessionId, 'the request body');
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      throw new SessionWatchHttpError(ERROR.badRequest, err.message.replace(/^sessionwatch: /, ''));
    }
    throw err;
  }
}

function userIdParam(ctx: Context, value: string | undefined, pathParam?: number): string | undefined {
  return value === undefined ? undefined : textParam(ctx, 'userId', value, MAX_USER_ID_LENGTH, pathParam);
}

/**
 * Adds the admin routes to `router`; `isAdmin` decides who may use them.
 *
 * @internal
 */
export function addAdminRoutes(router: Router, sw: Core, isAdmin: NonNullable<Core['options']['isAdmin']>): void {
  /** The app's answer; a throw is the app's bug, said (once) and answered as JSON, never a text 500. */
  const askIsAdmin = async (ctx: RouterContext): Promise<boolean> => {
    let answer: unknown;
    try {
      answer = await isAdmin(ctx);
    } catch (err) {
      throw sw.optionThrew('isAdmin', err);
    }
    if (typeof answer !== 'boolean') {
      sw.advise(
        'isAdmin-type',
        `sessionwatch: the "isAdmin" option returned ${JSON.stringify(answer)}, not a boolean: answered 403 (only true lets a request through).`,
      );
    }
    return answer === true;
  };
  /** The session routes' guards (cross-site 403, then 401), then 403 for a non-administrator. */
  const asAdmin = (kind: 'read' | 'write', handler: SessionHandler) =>
    withSession(sw, kind, async (ctx, record) => {
      if (!(await askIsAdmin(ctx))) throw new SessionWatchHttpError(ERROR.forbidden, 'administrators only');
      await handler(ctx, record);
    });

  router.get(
    ROUTES.adminSessions,
    asAdmin('read', async (ctx, record) => {
      const { userId, limit, cursor } = queryParams(ctx, ['userId', 'limit', 'cursor']);
      const page = await pageOr400(() => sw.listAllSessionsPage({ userId: userIdParam(ctx, userId), limit, cursor }));
      const body: AdminSessionListResponse = {
        sessions: page.records.map((r) => ({ ...toSessionInfo(r, record.id), userId: r.userId })),
        nextCursor: page.nextCursor,
      };
      ctx.body = body;
    }),
  );

  router.get(
    ROUTES.adminUserHistory,
    asAdmin('read', async (ctx) => {
      const userId = userIdParam(ctx, ctx.params.userId, 0)!;
      const { limit, cursor } = queryParams(ctx, ['limit', 'cursor']);
      const page = await pageOr400(() => sw.history(userId, { limit, cursor }));
      const body: AdminHistoryResponse = { events: page.events.map(toAdminSecurityEvent), nextCursor: page.nextCursor };
      ctx.body = body;
    }),
  );

  router.delete(
    ROUTES.adminSession,
    asAdmin('write', async (ctx, record) => {
      const id = ctx.params.id;
      // Any user's: the owner is the record's.
      const target = PUBLIC_ID_PATTERN.test(id) ? await sw.store.findById(id) : undefined;
      await revokeAndAnswer(sw, ctx, record, target?.userId, id);
    }),
  );

  router.delete(
    ROUTES.adminUserSessions,
    asAdmin('write', async (ctx, record) => {
      const userId = userIdParam(ctx, ctx.params.userId, 0)!;
      const body: RevokeOthersResponse = { revoked: await sw.revokeAll(userId, { ctx }) };
      if (userId === record.userId) await sw.resetSession(ctx, 'revoked', record.tokenHash);
      ctx.body = body;
    }),
  );

  router.put(
    ROUTES.adminUserPolicy,
    asAdmin('write', async (ctx) => {
      const userId = userIdParam(ctx, ctx.params.userId, 0)!;
      const body: PolicyChangeResponse = { changed: await setPolicy(sw, ctx, userId) };
      ctx.body = body;
    }),
  );

  router.put(
    ROUTES.adminSessionPolicy,
    asAdmin('write', async (ctx) => {
      const id = ctx.params.id;
      // Any user's: the owner is the record's. Unknown, malformed and ended ids: the same 404.
      const target = PUBLIC_ID_PATTERN.test(id) ? await sw.store.findById(id) : undefined;
      const changed = target && target.endedAt === null ? await setPolicy(sw, ctx, target.userId, id) : 0;
      if (changed === 0) throw new SessionWatchHttpError(ERROR.notFound);
      const body: PolicyChangeResponse = { changed };
      ctx.body = body;
    }),
  );
}
