/**
 * A relying party for the OpenID Connect tests: Koa, koa-session and sessionwatch with the
 * `backChannelLogout` option, signing users in through the tests' provider with openid-client
 * (authorization code flow with PKCE, state and nonce), then `sw.login(ctx, sub, { idp: claims })`.
 *
 * Pages: `GET /` starts a sign-in (`?next=` the page to land on), or, with `?reason=` (where the
 * client sends a tab whose session ended), says why and links to it; `GET /app` is a page with the
 * browser client (the example's bundle; `?pingInterval=` and `?checkInterval=` set it) for a
 * signed-in user; `GET /me` answers `{ user }` or 401.
 *
 * The provider needs this app's URL for its client registration, and this app needs the
 * provider's issuer for its options: {@link reserveServer} opens the port first.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import * as oidc from 'openid-client';
import { SessionWatch, type SessionEndedEvent, type SessionWatchOptions } from '../../backend';
import { CLIENT_BUNDLE, ensureClientBundle } from '../../example/client-bundle';
import { CLIENT_SCRIPT_PATH } from '../../example/pages';
import { TestClient } from './http-client';

/** A server listening on a free loopback port, without its app yet. */
export interface ReservedServer {
  server: http.Server;
  url: string;
}

export async function reserveServer(): Promise<ReservedServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export interface OidcRpOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** sessionwatch's options (database, schema…); `backChannelLogout` is set from the above. */
  sessionwatch: SessionWatchOptions;
}

export interface OidcRp {
  url: string;
  sw: SessionWatch;
  /** Every `sessionEnded` event. */
  ended: SessionEndedEvent[];
  /** The ID token claims of each user's last sign-in. */
  claims: Map<string, oidc.IDToken>;
  stop(): Promise<void>;
}

/** Where the provider sends the browser back, and its back-channel logout URL, for `url`. */
const rpUrls = (url: string) => ({
  redirect: `${url}/auth/callback`,
  backchannel: `${url}/session/backchannel-logout`,
});

interface RpSession {
  user?: string;
  oidc?: { verifier: string; state: string; nonce: string; next: string };
}
const rpSession = (ctx: Context) => ctx.session as unknown as RpSession;

const html = (body: string) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>RP</title></head><body>${body}</body></html>`;

/** Serves the relying party on `reserved` (see {@link reserveServer}). */
export async function startOidcRp(reserved: ReservedServer, options: OidcRpOptions): Promise<OidcRp> {
  const { url, server } = reserved;
  ensureClientBundle();
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, options.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests], // the test provider is on http://127.0.0.1
  });
  const sw = new SessionWatch({
    sweepInterval: 0,
    ...options.sessionwatch,
    backChannelLogout: { issuer: options.issuer, clientId: options.clientId },
  });
  await sw.migrate();
  const ended: SessionEndedEvent[] = [];
  sw.on('sessionEnded', (event) => ended.push(event));
  const claims = new Map<string, oidc.IDToken>();

  const app = new Koa();
  app.keys = ['oidc-rp-test-key'];
  app.silent = true;
  // The client bundle before the session middleware: fetching it is never activity.
  app.use(async (ctx, next) => {
    if (ctx.path !== CLIENT_SCRIPT_PATH) return void (await next());
    ctx.type = 'text/javascript';
    ctx.body = await fs.promises.readFile(CLIENT_BUNDLE);
  });
  app.use(session({ key: 'rp.sid', sameSite: 'lax' }, app));
  app.use(sw.middleware());
  app.use(async (ctx) => {
    const own = rpSession(ctx);
    if (ctx.path === '/') {
      if (typeof ctx.query.reason === 'string') {
        ctx.body = html(`<p id="ended">Signed out (${ctx.query.reason}).</p><a href="/auth/login">Sign in again</a>`);
        return;
      }
      const next = typeof ctx.query.next === 'string' && ctx.query.next.startsWith('/') ? ctx.query.next : '/app';
      ctx.redirect(`/auth/login?next=${encodeURIComponent(next)}`);
    } else if (ctx.path === '/auth/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const next = typeof ctx.query.next === 'string' ? ctx.query.next : '/app';
      own.oidc = { verifier, state, nonce, next };
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: rpUrls(url).redirect,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      ctx.redirect(target.href);
    } else if (ctx.path === '/auth/callback') {
      const started = own.oidc;
      if (!started) return ctx.throw(400, 'no sign-in under way');
      const tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.href), {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      await sw.login(ctx, idToken.sub, { idp: idToken });
      rpSession(ctx).user = idToken.sub;
      claims.set(idToken.sub, idToken);
      ctx.redirect(started.next);
    } else if (ctx.path === '/app') {
      if (!own.user) return ctx.redirect('/');
      ctx.body = html(
        `<p id="user">${own.user}</p><script type="module" src="${CLIENT_SCRIPT_PATH}" data-sessionwatch data-relogin="navigate"></script>`,
      );
    } else if (ctx.path === '/me') {
      ctx.status = own.user ? 200 : 401;
      ctx.body = own.user ? { user: own.user } : { error: 'unauthenticated' };
    }
  });
  const handle = app.callback();
  server.on('request', (req, res) => void handle(req, res));
  return {
    url,
    sw,
    ended,
    claims,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sw.close();
    },
  };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * One browser over HTTP: its cookies at the relying party and at the provider, kept apart as a
 * browser keeps them per site.
 */
export class OidcBrowser {
  readonly rp: TestClient;
  readonly idp: TestClient;

  constructor(rpUrl: string, issuer: string) {
    this.rp = new TestClient(rpUrl);
    this.idp = new TestClient(issuer);
  }

  /**
   * Signs `user` in at the provider, following every redirect from `start` (the relying party's
   * sign-in path, returning to `/me`); resolves once the relying party has logged the browser in,
   * its `/me` naming `name` (default `user`).
   */
  async login(user: string, { start = '/auth/login?next=/me', name = user }: { start?: string; name?: string } = {}): Promise<void> {
    let base = this.rp.baseUrl;
    let res = await this.rp.get(start);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      const target = new URL(res.headers.get('location')!, base);
      const client = target.origin === new URL(this.idp.baseUrl).origin ? this.idp : this.rp;
      base = target.origin;
      res = await client.get(target.pathname + target.search);
      if (client === this.idp && res.status === 200 && target.pathname.startsWith('/interaction/')) {
        const uid = /name="uid" value="([^"]+)"/.exec(res.text)![1];
        res = await this.idp.post('/login', { body: new URLSearchParams({ uid, username: user }).toString(), headers: FORM });
      }
    }
    const body = res.body as { user?: string; username?: string };
    if (res.status !== 200 || (body.user ?? body.username) !== name) {
      throw new Error(`the sign-in of ${user} ended with ${res.status} ${res.text.slice(0, 300)}`);
    }
  }

  /** Signs out at the provider (its end-session page, "Yes, sign me out"): it sends its back-channel logouts before it answers. */
  async logoutAtIdp(): Promise<void> {
    const prompt = await this.idp.get('/session/end');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(prompt.text)?.[1];
    if (!xsrf) throw new Error(`no logout form at the provider: ${prompt.status} ${prompt.text.slice(0, 300)}`);
    const done = await this.idp.post('/session/end/confirm', { body: `xsrf=${xsrf}&logout=yes`, headers: FORM });
    if (done.status !== 303) throw new Error(`the provider's logout answered ${done.status} ${done.text.slice(0, 300)}`);
  }
}
