/**
 * "Sign in with OpenID Connect" in the demo, when `OIDC_ISSUER`, `OIDC_CLIENT_ID` and
 * `OIDC_CLIENT_SECRET` are set: openid-client's authorization code flow (PKCE, state, nonce). The
 * provider's user becomes a demo user of its own (named `<sub>@<provider host>`: a provider's
 * users never sign in as a local account), passport logs them in as any user, and `sw.login`
 * records the ID token's `iss`, `sub` and `sid`, so that the provider's back-channel logout
 * (`POST /session/backchannel-logout`, sessionwatch's `backChannelLogout` option) ends the session.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import type { SessionWatch } from '../backend';
import { findOrCreateUser } from './users';

/** The provider: `OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`. */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Where the provider sends the browser back: register it at the provider (with the back-channel logout URL). */
export const OIDC_CALLBACK_PATH = '/auth/oidc/callback';
export const OIDC_LOGIN_PATH = '/auth/oidc/login';

/** What the sign-in keeps in the session between the two redirects. */
interface PendingSignIn {
  verifier: string;
  state: string;
  nonce: string;
  next: string;
}

type OpenIdClient = typeof import('openid-client');

/** The three variables, all or none; an error names what is missing. */
export function oidcFromEnv(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret } = env;
  if (!issuer && !clientId && !clientSecret) return undefined;
  if (!issuer || !clientId || !clientSecret) {
    throw new Error('Set all of OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET for "Sign in with OpenID Connect" (or none)');
  }
  return { issuer, clientId, clientSecret };
}

/**
 * Discovers the provider (at start: a wrong issuer stops the demo with the reason) and adds the
 * two routes. `safeNext`: the app's check of a return path.
 */
export async function addOidcRoutes(
  router: Router,
  { config, knex, sw, safeNext }: { config: OidcConfig; knex: Knex; sw: SessionWatch; safeNext: (value: unknown) => string },
): Promise<void> {
  // An ES module only: loaded when the demo offers it.
  const oidc: OpenIdClient = await import('openid-client');
  const issuer = new URL(config.issuer);
  // A provider on http:// is a local one (a test, a dev Keycloak): openid-client refuses it otherwise.
  const execute = issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [];
  const provider = await oidc.discovery(issuer, config.clientId, config.clientSecret, undefined, { execute });
  const pending = (ctx: Context) => ctx.session as { oidc?: PendingSignIn } | null;

  router.get(OIDC_LOGIN_PATH, async (ctx) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const signIn: PendingSignIn = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce(), next: safeNext(ctx.query.next) };
    pending(ctx)!.oidc = signIn;
    const target = oidc.buildAuthorizationUrl(provider, {
      // The demo's own address (behind a proxy, with TRUST_PROXY): Koa 3's ctx.origin is the Origin header.
      redirect_uri: `${ctx.protocol}://${ctx.host}${OIDC_CALLBACK_PATH}`,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: signIn.state,
      nonce: signIn.nonce,
    });
    ctx.redirect(target.href);
  });

  router.get(OIDC_CALLBACK_PATH, async (ctx) => {
    const signIn = pending(ctx)?.oidc;
    if (!signIn) {
      ctx.status = 400;
      ctx.body = { error: 'bad_request', message: 'no OpenID Connect sign-in under way in this browser' };
      return;
    }
    delete pending(ctx)!.oidc;
    let claims;
    try {
      const tokens = await oidc.authorizationCodeGrant(provider, new URL(ctx.href), {
        pkceCodeVerifier: signIn.verifier,
        expectedState: signIn.state,
        expectedNonce: signIn.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims()!;
    } catch (err) {
      // A refused or forged answer (wrong state, an error from the provider): a 400, never a login.
      ctx.status = 400;
      ctx.body = { error: 'bad_request', message: `sign-in with OpenID Connect failed: ${(err as Error).message}` };
      return;
    }
    const user = await findOrCreateUser(knex, `${claims.sub}@${issuer.host}`.slice(0, 64));
    await ctx.login(user);
    // The ID token's iss, sub and sid on the record: the provider's back-channel logout ends this session.
    await sw.login(ctx, user.id, { idp: claims });
    ctx.redirect(signIn.next);
  });
}
