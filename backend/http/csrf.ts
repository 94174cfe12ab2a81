import type { Context } from 'koa';
import { ERROR } from '../../shared/protocol';
import { SessionWatchHttpError } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Rejects cross-site state-changing requests (CSRF), with `403 forbidden`:
 * - `Sec-Fetch-Site: cross-site` or `same-site` (a sibling subdomain is another site for us),
 *   unless the `Origin` is trusted;
 * - an `Origin` header that is neither the app's own origin (protocol and host, which honour
 *   `app.proxy` and X-Forwarded-Proto/Host) nor in `trustedOrigins`.
 * Requests without either header (curl, server-to-server, old browsers) pass: the session cookie
 * should also be `SameSite=Lax`, which browsers enforce on their own.
 */
export function assertSameOrigin(ctx: Context, trustedOrigins: ReadonlySet<string>): void {
  if (SAFE_METHODS.has(ctx.method)) return;
  const origin = ctx.get('origin');
  // Not `ctx.origin`: Koa 3 answers the Origin header there when present.
  const ownOrigin = `${ctx.protocol}://${ctx.host}`;
  const trusted = origin !== '' && (origin === ownOrigin || trustedOrigins.has(origin));
  const site = ctx.get('sec-fetch-site');
  if ((site === 'cross-site' || site === 'same-site') && !trustedOrigins.has(origin)) {
    throw new SessionWatchHttpError(ERROR.forbidden, 'Cross-site request refused');
  }
  if (origin !== '' && !trusted) {
    throw new SessionWatchHttpError(ERROR.forbidden, 'Cross-origin request refused');
  }
}
