/**
 * The smallest Koa app using sessionwatch, with a manual clock: for tests of the time rules
 * without sleeping. `POST /login` logs in `?user=`, `GET /me` reads the session, `GET /poll` is
 * declared passive, `GET /private` throws a 401 (`ctx.throw`) without a user, for Koa's own
 * error handling.
 */
import Koa from 'koa';
import session from 'koa-session';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore, SessionWatch, type ExternalSessionStore, type LoginOptions, type SessionWatchOptions } from '../../backend';

export interface MiniApp {
  url: string;
  /** The Koa app (its `error` event sees what the routes threw, e.g. a login that failed). */
  app: Koa;
  sw: SessionWatch;
  /** The manual clock (epoch ms) sessionwatch reads; move it with `advance`. */
  clock: { now: number; advance(seconds: number): void };
  stop(): Promise<void>;
}

/** What the test apps keep in koa-session's `ctx.session` (Koa types the context's added fields `any`). */
export interface AppSession {
  user?: string;
}

/** `ctx.session` as the test apps use it: null or undefined when there is none (koa-session not mounted). */
export const appSession = (ctx: Koa.Context) => ctx.session as AppSession | null | undefined;

export async function startMiniApp(
  options: SessionWatchOptions = {},
  {
    sessionStore,
    keys = ['mini-app-key'],
    loginOptions,
    migrate = true,
    routes,
  }: {
    sessionStore?: ExternalSessionStore;
    keys?: string[] | null;
    /** The options of `sw.login` for a login request (e.g. a per-login policy from its query). */
    loginOptions?: (ctx: Koa.Context) => LoginOptions;
    /** false: serve without `sw.migrate()` (an app that forgot it, or whose migrate failed). */
    migrate?: boolean;
    /** More routes of the app, after sessionwatch and before the built-in ones (which they reach with `next()`). */
    routes?: Koa.Middleware;
  } = {},
): Promise<MiniApp> {
  const clock = {
    now: Date.UTC(2030, 0, 1),
    advance(seconds: number) {
      this.now += seconds * 1000;
    },
  };
  const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 0, passive: ['/poll'], now: () => clock.now, ...options });
  if (migrate) await sw.migrate();
  const app = new Koa();
  // No keys: unsigned cookies (koa-session needs keys only to sign them).
  if (keys) app.keys = keys;
  app.silent = true;
  app.use(session({ key: 'sid', sameSite: 'lax', signed: !!keys, store: sessionStore as never }, app));
  app.use(sw.middleware());
  if (routes) app.use(routes);
  app.use(async (ctx) => {
    if (ctx.path === '/login' && ctx.method === 'POST') {
      await sw.login(ctx, String(ctx.query.user ?? 'alice'), loginOptions?.(ctx));
      appSession(ctx)!.user = String(ctx.query.user ?? 'alice');
      ctx.body = { ok: true };
    } else if (ctx.path === '/private') {
      if (!appSession(ctx)?.user) ctx.throw(401, 'log in first');
      ctx.body = { user: appSession(ctx)!.user };
    } else if (ctx.path === '/me' || ctx.path === '/poll') {
      const user = appSession(ctx)?.user;
      ctx.status = user ? 200 : 401;
      ctx.body = user ? { user } : { error: 'unauthenticated' };
    }
  });
  return { ...(await listen(app, sw)), app, sw, clock };
}

/** Serves `app` on a free loopback port; `stop` closes the server and `sw`. */
export async function listen(app: Koa, sw: SessionWatch): Promise<{ url: string; stop(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sw.close();
    },
  };
}
