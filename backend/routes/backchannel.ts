/**
 * OpenID Connect Back-Channel Logout 1.0 (option `backChannelLogout`): `POST
 * {apiPrefix}/backchannel-logout`, where an OpenID provider posts a logout token when one of its
 * sessions ends, to end the sessions signed in with it. Server to server: no cookie, no session,
 * no same-origin check — the provider's signature on the token is the authentication.
 */
import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { ERROR, ROUTES } from '../../shared/protocol';
import type { Core } from '../core/types';
import { SessionWatchHttpError } from '../errors';
import { readForm } from '../http/body';
import { CLOCK_TOLERANCE_S, LogoutTokenError, LogoutTokenVerifier, ProviderUnavailableError } from '../oidc/logout-token';
import type { ResolvedBackChannelLogoutProvider } from '../oidc/options';

/** Largest body read: a form with one logout token (see `MAX_TOKEN_LENGTH`) and room for extensions. */
export const MAX_LOGOUT_BODY_BYTES = 16 * 1024;

/**
 * Adds the back-channel logout route to `router`.
 *
 * @internal
 */
export function addBackChannelLogoutRoute(router: Router, sw: Core, providers: ResolvedBackChannelLogoutProvider[]): void {
  const verifier = new LogoutTokenVerifier(providers, { now: sw.options.now, log: (key, message) => sw.advise(key, message) });

  router.post(ROUTES.backChannelLogout, async (ctx: RouterContext) => {
    // 2.8: the answer must not be cached, the errors' included: the middleware's headers of every API answer.
    try {
      await verifier.ready();
    } catch (err) {
      throw sw.configError('backChannelLogout:jose', (err as Error).message);
    }
    const form = await readForm(ctx, MAX_LOGOUT_BODY_BYTES);
    const tokens = form.getAll('logout_token');
    if (tokens.length !== 1)
      throw new SessionWatchHttpError(ERROR.badRequest, tokens.length ? 'logout_token is repeated' : 'logout_token is required');
    try {
      // A token with a sid ends that provider session's sessions (the sub, if any, is its user's);
      // without one, all of that user's sessions signed in through the provider. Never a sign-in made
      // after the token was issued (give or take the clocks' tolerance): the same token replayed on
      // another instance, which has not seen its jti, cannot end the user's later sessions.
      // With both a sid and a sub, a session must match both (the provider's session of that user).
      await verifier.handle(tokens[0], ({ issuer, sid, subject, issuedAt }) =>
        sw.revokeIdp(issuer, { sid, subject, createdBefore: issuedAt + CLOCK_TOLERANCE_S * 1000 }, ctx),
      );
    } catch (err) {
      if (err instanceof LogoutTokenError) {
        // A provider whose logouts are all refused (an issuer spelled otherwise, a clock far off, keys
        // rotated) would leave its users signed in here without a word: said once per kind of refusal.
        sw.advise(
          `backChannelLogout:refused:${err.message.slice(0, 60)}`,
          `sessionwatch: a back-channel logout token was refused: ${err.message}`,
        );
        throw new SessionWatchHttpError(ERROR.badRequest, err.message);
      }
      if (err instanceof ProviderUnavailableError) throw new SessionWatchHttpError(ERROR.unavailable, err.message);
      throw err;
    }
    // 200 whether or not a session matched: the provider learns nothing of this app's sessions.
    ctx.status = 200;
    ctx.body = '';
  });
}
