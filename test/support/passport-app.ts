/**
 * A Koa app that logs in the way Koa apps do: koa-passport with passport-local (its own instance
 * per app), koa-session (cookie sessions or an external store) and sessionwatch mounted in either
 * order around passport's middleware. Every login form passport guides use has a route:
 *
 * - `POST /login`: `passport.authenticate('local', { successRedirect: '/app' })`, the guides' form
 *   (`?keep=1`: with `keepSessionInfo`)
 * - `POST /login/ctx`: `ctx.login(user)` from the app's own password check
 * - `POST /login/callback`: `passport.authenticate('local', callback)` with `ctx.login` in it
 * - `POST /login/oauth`: a strategy that calls `this.success(user)` as OAuth strategies do
 * - `POST /login/sw-after`, `/login/sw-before`: `ctx.login` then `sw.login`, and the other way round
 *
 * `POST /logout` is `ctx.logout()` alone; `GET|POST /guarded` answers 200 only to
 * `ctx.isAuthenticated()` and says what passport sees; `POST /return-to` keeps data before a login.
 */
import Koa from 'koa';
import session from 'koa-session';
import { KoaPassport } from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { Strategy } from 'passport';
import { SessionWatch, type ExternalSessionStore, type SessionWatchOptions } from '../../backend';
import { listen } from './mini-app';

/** Where `sw.middleware()` is mounted; `none`: not at all (an app before sessionwatch was installed). */
export type PassportOrder = 'sessionwatch-first' | 'passport-first' | 'none';

/** The users of the app: the password is the name. */
const USERS = new Map([
  ['1', { id: 1, username: 'alice' }],
  ['2', { id: 2, username: 'bob' }],
]);

export interface PassportApp {
  url: string;
  app: Koa;
  sw: SessionWatch;
  clock: { now: number; advance(seconds: number): void };
  stop(): Promise<void>;
}

/** The login routes (see the module comment), as paths. */
export const LOGIN_FORMS = ['/login', '/login/ctx', '/login/callback', '/login/oauth', '/login/sw-after', '/login/sw-before'] as const;
export type LoginForm = (typeof LOGIN_FORMS)[number];

type User = { id: number; username: string };

/** Reads `username` and `password` from the query (no body parser needed). */
function credentials(ctx: Koa.Context): { username: string; password: string } {
  return { username: String(ctx.query.username ?? ''), password: String(ctx.query.password ?? '') };
}

function check(username: string, password: string): User | false {
  const user = [...USERS.values()].find((u) => u.username === username);
  return user && password === username ? user : false;
}

export async function startPassportApp(
  options: SessionWatchOptions,
  {
    order,
    sessionStore,
    serialize = (user) => user.id,
    key,
  }: {
    order: PassportOrder;
    sessionStore?: ExternalSessionStore;
    serialize?: (user: User) => unknown;
    /** passport's session key, when not its own `passport`. */
    key?: string;
  },
): Promise<PassportApp> {
  const clock = {
    now: Date.UTC(2030, 0, 1),
    advance(seconds: number) {
      this.now += seconds * 1000;
    },
  };
  const sw = new SessionWatch({ sweepInterval: 0, logger: false, now: () => clock.now, ...options });
  await sw.migrate();
  const passport = new KoaPassport();
  if (key) {
    // passport has no option for it: the key its session strategy and manager are made with
    // (init() makes them again, and puts back Connect's framework in place of koa-passport's).
    const internals = passport as unknown as { _key: string; _framework: unknown; init(): void; framework(fw: unknown): void };
    const framework = internals._framework;
    internals._key = key;
    internals.init();
    internals.framework(framework);
  }
  passport.serializeUser((user, done) => done(null, serialize(user as User)));
  passport.deserializeUser((serialized: unknown, done) => {
    const id = typeof serialized === 'object' && serialized !== null ? (serialized as { id: number }).id : serialized;
    done(null, USERS.get(String(id)) ?? false);
  });
  passport.use(new LocalStrategy((username, password, done) => done(null, check(username, password))));
  // The query's credentials, as the form's body would carry them.
  const local = (ctx: Koa.Context) => {
    (ctx.request as unknown as { body: unknown }).body = credentials(ctx);
  };
  class OAuthLike extends Strategy {
    name = 'oauth-like';
    authenticate(req: unknown) {
      // koa-passport's request stands in for Express's and carries the Koa context.
      const { username } = credentials((req as { ctx: Koa.Context }).ctx);
      const user = check(username, username);
      if (user) this.success(user);
      else this.fail(401);
    }
  }
  passport.use(new OAuthLike());

  const app = new Koa();
  app.keys = ['passport-app-key'];
  app.silent = true;
  app.use(session({ key: 'sid', sameSite: 'lax', store: sessionStore as never }, app));
  if (order === 'sessionwatch-first') app.use(sw.middleware());
  app.use(passport.initialize());
  app.use(passport.session());
  if (order === 'passport-first') app.use(sw.middleware());

  /** passport's middleware, typed for Koa (koa-passport's types say `any`). */
  const authenticate = (...args: unknown[]) => (passport.authenticate as (...a: unknown[]) => Koa.Middleware)(...args);
  const data = (ctx: Koa.Context) => ctx.session as { returnTo?: string } | null;
  const sees = (ctx: Koa.Context) => ({
    authenticated: ctx.isAuthenticated(),
    stateUser: (ctx.state.user as User | undefined)?.username ?? null,
    reqUser: (ctx.req as unknown as { user?: User }).user?.username ?? null,
    tracked: sw.current(ctx)?.userId ?? null,
  });

  app.use(async (ctx, next) => {
    const { username, password } = credentials(ctx);
    switch (`${ctx.method} ${ctx.path}`) {
      case 'POST /login':
        local(ctx);
        await authenticate('local', {
          successRedirect: '/app',
          failureRedirect: '/login',
          keepSessionInfo: ctx.query.keep === '1',
        })(ctx, next);
        return;
      case 'POST /login/ctx': {
        const user = check(username, password);
        if (!user) ctx.throw(401);
        await ctx.login(user);
        ctx.body = sees(ctx);
        return;
      }
      case 'POST /login/callback':
        local(ctx);
        await authenticate('local', async (err: unknown, user: User | false) => {
          if (err || !user) {
            ctx.status = 401;
            return;
          }
          await ctx.login(user);
          ctx.body = sees(ctx);
        })(ctx, next);
        return;
      case 'POST /login/oauth':
        await authenticate('oauth-like', { successRedirect: '/app', failureRedirect: '/login' })(ctx, next);
        return;
      case 'POST /login/sw-after': {
        const user = check(username, password);
        if (!user) return ctx.throw(401);
        await ctx.login(user);
        await sw.login(ctx, user.id);
        ctx.body = sees(ctx);
        return;
      }
      case 'POST /login/sw-before': {
        const user = check(username, password);
        if (!user) return ctx.throw(401);
        await sw.login(ctx, user.id);
        await ctx.login(user);
        ctx.body = sees(ctx);
        return;
      }
      case 'POST /logout':
        await ctx.logout();
        ctx.body = sees(ctx);
        return;
      case 'POST /return-to':
        data(ctx)!.returnTo = String(ctx.query.to ?? '/');
        ctx.body = { ok: true };
        return;
      case 'GET /app':
      case 'GET /guarded':
      case 'POST /guarded':
        ctx.status = ctx.isAuthenticated() ? 200 : 401;
        ctx.body = { ...sees(ctx), returnTo: data(ctx)?.returnTo ?? null };
        return;
      default:
        await next();
    }
  });
  return { ...(await listen(app, sw)), app, sw, clock };
}
