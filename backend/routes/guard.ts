/**
 * What the user routes and the admin routes share: the guards of a logged-in request, and the
 * answer to revoking one session by id.
 */
import type { RouterContext } from '@koa/router';
import { ERROR } from '../../shared/protocol';
import type { Core } from '../core/types';
import { SessionWatchHttpError, unauthenticated } from '../errors';
import { assertSameOrigin } from '../http/csrf';
import type { SessionRecord } from '../store/types';
import { PUBLIC_ID_PATTERN } from '../tracking/tokens';

/** A route handler of a logged-in request: its live record given. */
export type SessionHandler = (ctx: RouterContext, record: SessionRecord) => Promise<void>;

/**
 * The guards every session route needs, in order: a state-changing (`write`) route refuses
 * cross-site requests first, then any request without a live session gets the 401 that says why.
 *
 * @internal
 */
export function withSession(sw: Core, kind: 'read' | 'write', handler: SessionHandler) {
  return async (ctx: RouterContext) => {
    if (kind === 'write') assertSameOrigin(ctx, sw.options.trustedOrigins);
    const { record, ended } = sw.state(ctx);
    if (!record) throw unauthenticated(ended);
    await handler(ctx, record);
  };
}

/**
 * Revokes session `id` of `userId` (undefined: nobody's) and answers 204; unknown, malformed,
 * ended and other users' ids all get the same 404. Revoking the caller's own session logs it out now.
 *
 * @internal
 */
export async function revokeAndAnswer(
  sw: Core,
  ctx: RouterContext,
  caller: SessionRecord,
  userId: string | undefined,
  id: string,
): Promise<void> {
  if (userId === undefined || !PUBLIC_ID_PATTERN.test(id) || !(await sw.revokeSession(userId, id, ctx))) {
    throw new SessionWatchHttpError(ERROR.notFound);
  }
  if (id === caller.id) await sw.resetSession(ctx, 'revoked', caller.tokenHash);
  ctx.status = 204;
}
