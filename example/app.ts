import Koa, { type Context } from 'koa';
import session from 'koa-session';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { assertSameOrigin, connect, createSessionWatch, isPostgresUrl, SessionWatch, type ExternalSessionStore } from '../backend';
import { ADMIN_USERNAMES, changePassword, setUpUsers, usernameOf, type User } from './users';
import { createPassport } from './passport';
import { addOidcRoutes, oidcFromEnv, type OidcConfig } from './oidc';
import { Redis } from 'ioredis';
import { redisSessionStore } from '../backend/redis';
import {
  adminSessionsPage,
  CLIENT_SCRIPT_PATH,
  clientScript,
  formPage,
  homePage,
  layout,
  loginPage,
  passwordPage,
  securityLogPage,
  sessionsPage,
  type PageContext,
} from './pages';
import { CLIENT_BUNDLE, ensureClientBundle } from './client-bundle';

/** Settings of the demo app; `fromEnv()` reads them from the environment. */
export interface ExampleConfig {
  /** `postgres://…` or an SQLite URL. */
  databaseUrl: string;
  /** Postgres schema (tests use one per run). */
  schema?: string;
  warnAfter?: number;
  expireAfter?: number;
  /** Administrators' sessions (PCI DSS-like): seconds before the warning and the end. Default 840 / 900. */
  adminWarnAfter?: number;
  adminExpireAfter?: number;
  /** "Keep me signed in" sessions: seconds of inactivity before the end (warned a minute before). Default 14 days. */
  rememberExpireAfter?: number;
  /** Absolute lifetime of a session in seconds, whatever the activity (off when unset). */
  maxAge?: number;
  /** A koa-session external store; default cookie sessions (or Redis with `redisUrl`). */
  sessionStore?: ExternalSessionStore;
  /** Keep sessions in Redis (ioredis) at this URL, with the shipped store (`sessionwatch/redis`). */
  redisUrl?: string;
  /** Key prefix of the Redis sessions (tests use one per run); default the store's `koa:sess:`. */
  redisPrefix?: string;
  /** Keys that sign the session cookie. */
  keys: string[];
  /** Trust X-Forwarded-* headers (behind a reverse proxy). */
  proxy?: boolean;
  /** Background sweep interval in seconds (0 = off). */
  sweepInterval?: number;
  /** Seconds a database call may take before requests fail with 503. */
  queryTimeout?: number;
  /** sessionwatch's `noStore` option (default on: the logged-in pages are `Cache-Control: no-store`). */
  noStore?: boolean;
  /**
   * What a tab does when its session ends (the client's `relogin`): `in-place` (default) locks it
   * where it is until the same user signs in again; `navigate` goes to the login page.
   */
  relogin?: 'in-place' | 'navigate';
  /** Path of a MaxMind GeoLite2-City `.mmdb` file: sessions and the security log show where they are. Off when unset. */
  geoipDatabase?: string;
  /** Where the demo says things on the server ("new sign-in"). Default `console.log`. */
  log?: (line: string) => void;
  /** "Sign in with OpenID Connect" with this provider, and its back-channel logout. Off when unset. */
  oidc?: OidcConfig;
}

export interface ExampleApp {
  app: Koa;
  sw: SessionWatch;
  knex: Knex;
  close(): Promise<void>;
}

/** The demo users; the README documents them. */
export const DEMO_USERS = [
  { username: 'johndoe', password: 'johndoe' },
  { username: 'janedoe', password: 'janedoe' },
];

/** Paths that never count as activity: the demo's notification poll. */
export const PASSIVE_PATHS = ['/api/notifications'];

function wantsHtml(ctx: Context): boolean {
  return ctx.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
}

/** The logged-in user's name: passport's user of this request (`ctx.state.user`). */
function username(ctx: Context): string | undefined {
  return (ctx.state as { user?: User | null }).user?.username;
}

/** A same-origin path to return to after login, never an open redirect. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}

/**
 * The demo's Content-Security-Policy, on every response: scripts and styles only from the app's
 * origin or carrying this response's nonce (the pages' inline `<style>` and `<script>`, and the
 * client's warning dialog, which gets the nonce from its script tag), no plugins, no framing.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A fresh nonce per response, and the policy that allows it. */
async function withContentSecurityPolicy(ctx: Context, next: () => Promise<unknown>): Promise<void> {
  const nonce = randomBytes(16).toString('base64');
  (ctx.state as { page?: PageContext }).page = { nonce };
  ctx.set('Content-Security-Policy', contentSecurityPolicy(nonce));
  await next();
}

/** The page settings of this response (its CSP nonce). */
function pageOf(ctx: Context): PageContext {
  return { ...(ctx.state as { page: PageContext }).page, admin: ADMIN_USERNAMES.has(username(ctx) ?? '') };
}

/** The client bundle and its source map, served before the session middleware (never activity). */
async function serveClientBundle(ctx: Context, next: () => Promise<unknown>): Promise<void> {
  const file = ctx.path === CLIENT_SCRIPT_PATH ? CLIENT_BUNDLE : ctx.path === `${CLIENT_SCRIPT_PATH}.map` ? `${CLIENT_BUNDLE}.map` : null;
  if (!file || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return void (await next());
  ctx.type = file.endsWith('.map') ? 'application/json' : 'text/javascript';
  ctx.set('Cache-Control', 'no-cache');
  ctx.body = await fs.promises.readFile(file);
}

/** Builds the demo app: Koa + koa-session + sessionwatch + a users table. */
export async function createExampleApp(config: ExampleConfig): Promise<ExampleApp> {
  // The browser client bundle: built here if missing or stale, so tests and `npm start` both work.
  ensureClientBundle();
  const knex = connect(config.databaseUrl, { schema: config.schema });
  const adminWarnAfter = config.adminWarnAfter ?? 840;
  const adminExpireAfter = config.adminExpireAfter ?? 900;
  const rememberExpireAfter = config.rememberExpireAfter ?? 14 * 24 * 3600;
  // Said at start, not at the first administrator's login.
  if (adminWarnAfter >= adminExpireAfter) throw new Error('SESSION_ADMIN_WARN_AFTER must be less than SESSION_ADMIN_EXPIRE_AFTER');
  if (rememberExpireAfter <= 60)
    throw new Error('SESSION_REMEMBER_EXPIRE_AFTER must be more than 60 seconds (its warning comes a minute before)');
  // As the README's Redis section: fail a request fast while Redis is unreachable rather than queue it.
  const redis = config.redisUrl && !config.sessionStore ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1 }) : undefined;
  const sessionStore = config.sessionStore ?? (redis && redisSessionStore(redis, { prefix: config.redisPrefix }));
  const sw = createSessionWatch({
    database: knex,
    schema: config.schema,
    warnAfter: config.warnAfter,
    expireAfter: config.expireAfter,
    maxAge: config.maxAge,
    passive: PASSIVE_PATHS,
    sessionStore,
    sweepInterval: config.sweepInterval,
    queryTimeout: config.queryTimeout,
    noStore: config.noStore,
    // Administrators get shorter timeouts (evaluated at login, stored on the session).
    policy: async ({ userId }) =>
      ADMIN_USERNAMES.has((await usernameOf(knex, userId)) ?? '') ? { warnAfter: adminWarnAfter, expireAfter: adminExpireAfter } : {},
    // Runs in sessionwatch's API routes, before passport.session(): the tracked session says who it is.
    isAdmin: async (ctx) => {
      const current = sw.current(ctx);
      return current !== undefined && ADMIN_USERNAMES.has((await usernameOf(knex, current.userId)) ?? '');
    },
    geoip: config.geoipDatabase ? { database: config.geoipDatabase } : undefined,
    // The provider's logout tokens end the sessions signed in through it (POST /session/backchannel-logout).
    backChannelLogout: config.oidc && { issuer: config.oidc.issuer, clientId: config.oidc.clientId },
  });
  await sw.migrate();
  // "A new sign-in to your account": where a real app sends its e-mail (see the README).
  const log = config.log ?? console.log;
  sw.on('sessionCreated', ({ session, newDevice }) => {
    if (!newDevice) return;
    const where = session.location
      ? [session.location.city, session.location.country].filter(Boolean).join(', ')
      : session.ip || 'unknown address';
    log(
      `new sign-in: user ${session.userId} from ${session.browser.name ?? 'an unknown browser'} on ${session.os.name ?? 'an unknown OS'} (${session.device}), ${where}`,
    );
  });
  await setUpUsers(knex, DEMO_USERS);
  const passport = createPassport(knex);

  const app = new Koa();
  app.keys = config.keys;
  app.proxy = config.proxy ?? false;
  // One reverse proxy in front, which appends the address it saw to X-Forwarded-For: only that
  // last entry is the client's IP; the ones before it are whatever the client sent.
  app.maxIpsCount = 1;
  // Errors become JSON (or a short text for pages), never a stack trace.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      const expose = (err as { expose?: boolean }).expose && status < 500;
      ctx.status = status;
      ctx.body = { error: status >= 500 ? 'internal' : 'bad_request', message: expose ? (err as Error).message : undefined };
      if (status >= 500) ctx.app.emit('error', err, ctx);
    }
  });
  app.use(withContentSecurityPolicy);
  // The login page offers the provider's sign-in.
  if (config.oidc) app.use((ctx, next) => (((ctx.state as { page: PageContext }).page.oidc = true), next()));
  app.use(serveClientBundle);
  app.use(
    session(
      {
        key: 'sid',
        httpOnly: true,
        sameSite: 'lax',
        // `secure` is left to koa-session: set when the request is HTTPS (or says so via a trusted proxy).
        maxAge: 7 * 24 * 3600 * 1000,
        // The cookie is sent again when half its life is gone: an active "keep me signed in"
        // session keeps its cookie (koa-session sends it only on changes otherwise).
        renew: true,
        store: sessionStore as never,
      },
      app,
    ),
  );
  // sessionwatch, then passport: a revoked or expired session is emptied before passport loads its
  // user (no query for it), and a database outage answers 503 before passport would need the
  // database. The other order is as safe: an ended session is out either way.
  app.use(sw.middleware());
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(bodyParser({ enableTypes: ['json', 'form'], jsonLimit: '16kb', formLimit: '16kb' }));

  const router = new Router();

  router.post('/login', async (ctx, next) => {
    assertSameOrigin(ctx, new Set());
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const { username: name, password } = body;
    const html = wantsHtml(ctx);
    if (typeof name !== 'string' || typeof password !== 'string' || name.length > 64 || password.length > 1024) {
      ctx.status = 400;
      ctx.body = html
        ? loginPage(pageOf(ctx), 'Enter a username and a password.')
        : { error: 'bad_request', message: 'username and password are required strings' };
      return;
    }
    // passport-local checks the password (its strategy reads the parsed body); the callback answers
    // as a page or as JSON.
    const login = passport.authenticate('local', async (err: unknown, user: User | false) => {
      if (err) throw err instanceof Error ? err : new Error('passport failed', { cause: err });
      if (!user) {
        ctx.status = 401;
        ctx.body = html ? loginPage(pageOf(ctx), 'Wrong username or password.', safeNext(body.next)) : { error: 'invalid_credentials' };
        return;
      }
      await ctx.login(user); // sessionwatch tracks this login when the request ends: no call needed
      const remember = body.remember === true || body.remember === 'on' || body.remember === '1';
      // "Keep me signed in": a long idle limit for this session only (never for administrators),
      // which sw.login gives a login that passport just made.
      if (remember && !ADMIN_USERNAMES.has(user.username)) {
        await sw.login(ctx, user.id, { policy: { warnAfter: rememberExpireAfter - 60, expireAfter: rememberExpireAfter } });
        // The cookie must outlive the idle limit (koa-session's per-session maxAge).
        (ctx.session as { maxAge?: number }).maxAge = (rememberExpireAfter + 24 * 3600) * 1000;
      }
      if (html) ctx.redirect(safeNext(body.next));
      else ctx.body = { username: user.username };
    }) as Koa.Middleware;
    await login(ctx, next);
  });

  router.post('/logout', async (ctx) => {
    assertSameOrigin(ctx, new Set());
    await ctx.logout(); // passport's logout: sessionwatch ends the tracked session with it
    if (wantsHtml(ctx)) ctx.redirect('/');
    else ctx.status = 204;
  });

  router.get('/me', (ctx) => {
    const name = username(ctx);
    if (!name) {
      ctx.status = 401;
      ctx.body = { error: 'unauthenticated' };
      return;
    }
    ctx.body = { username: name };
  });

  router.get('/api/notifications', (ctx) => {
    if (!username(ctx)) {
      ctx.status = 401;
      ctx.body = { error: 'unauthenticated' };
      return;
    }
    ctx.body = { notifications: [] };
  });

  router.get('/', (ctx) => {
    const name = username(ctx);
    ctx.type = 'html';
    const reason = typeof ctx.query.reason === 'string' ? ctx.query.reason : undefined;
    const page = pageOf(ctx);
    ctx.body = name
      ? homePage(page, name, clientScript({ user: name, relogin: config.relogin, ...page }))
      : loginPage(page, undefined, safeNext(ctx.query.next), reason);
  });

  /**
   * A page for logged-in users, with the client: anonymous visitors go to the login page and come
   * back here after; with `admin`, other users get a 403 page. `drafts`: the forms the client keeps
   * across a logout.
   */
  const userPage = (
    path: string,
    render: (page: PageContext, name: string, client: string, ctx: Context) => string,
    { drafts, admin = false }: { drafts?: string; admin?: boolean } = {},
  ) =>
    router.get(path, (ctx) => {
      const name = username(ctx);
      if (!name) return ctx.redirect(`/?next=${ctx.querystring ? encodeURIComponent(ctx.url) : ctx.path}`);
      const page = pageOf(ctx);
      ctx.type = 'html';
      if (admin && !page.admin) {
        ctx.status = 403;
        ctx.body = layout("<h1>Administrators only</h1><p>Your account cannot see other users' sessions.</p>", {
          title: 'Forbidden',
          username: name,
          ...page,
        });
        return;
      }
      ctx.body = render(page, name, clientScript({ user: name, drafts, relogin: config.relogin, ...page }), ctx);
    });

  const { apiPrefix } = sw.options;
  userPage('/sessions', (page, name, client) => sessionsPage(page, name, apiPrefix, client));
  userPage('/security', (page, name, client) => securityLogPage(page, name, apiPrefix, client));
  userPage('/password', (page, name, client) => passwordPage(page, name, undefined, client));
  userPage('/form', (page, name, client) => formPage(page, name, client), { drafts: '#long-form' });
  userPage('/admin/sessions', (page, name, client) => adminSessionsPage(page, name, apiPrefix, client), { admin: true });
  userPage(
    '/admin/security',
    (page, name, client, ctx) => securityLogPage(page, name, apiPrefix, client, typeof ctx.query.user === 'string' ? ctx.query.user : ''),
    { admin: true },
  );

  // A login page link or a bookmark of the form's action: the login page, not a bare 405.
  router.get('/login', (ctx) => ctx.redirect('/'));
  // Browsers ask for it on every page: no icon, and no 404 in their console.
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
  });

  router.post('/password', async (ctx) => {
    assertSameOrigin(ctx, new Set());
    const name = username(ctx);
    const current = sw.current(ctx);
    const html = wantsHtml(ctx);
    if (!name || !current) {
      ctx.status = 401;
      ctx.body = { error: 'unauthenticated' };
      return;
    }
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const page = pageOf(ctx);
    const refuse = (status: number, error: string, message: string) => {
      ctx.status = status;
      if (html) {
        ctx.type = 'html';
        ctx.body = passwordPage(page, name, { error: message }, clientScript({ user: name, relogin: config.relogin, ...page }));
      } else ctx.body = { error, message };
    };
    if (typeof body.current !== 'string' || typeof body.next !== 'string' || body.current.length > 1024 || body.next.length > 1024) {
      return refuse(400, 'bad_request', 'current and next are required strings');
    }
    if (body.next.length < 8) return refuse(400, 'bad_request', 'The new password must have at least 8 characters.');
    if (!(await changePassword(knex, name, body.current, body.next)))
      return refuse(403, 'invalid_credentials', 'The current password is wrong.');
    // OWASP: a password change ends every other session of the user (this one stays).
    const ended = await sw.revokeAll(current.userId, { exceptId: current.id, ctx });
    if (html) {
      ctx.type = 'html';
      ctx.body = passwordPage(page, name, { ended }, clientScript({ user: name, relogin: config.relogin, ...page }));
    } else ctx.body = { ended };
  });

  if (config.oidc) await addOidcRoutes(router, { config: config.oidc, knex, sw, safeNext });
  app.use(router.routes()).use(router.allowedMethods());

  return {
    app,
    sw,
    knex,
    async close() {
      await sw.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The key that signs session cookies: `SESSION_SECRET`, or one generated once and kept beside the
 * SQLite file, so that restarting the demo keeps everyone logged in.
 */
export function sessionKeys(env: NodeJS.ProcessEnv, dataDir: string): string[] {
  if (env.SESSION_SECRET) return env.SESSION_SECRET.split(',');
  const file = path.join(dataDir, 'session-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return [fs.readFileSync(file, 'utf8').trim()];
}

function secondsFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds (got "${raw}")`);
  return value;
}

/** Reads the demo's settings from the environment (documented in the README). */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): ExampleConfig & { port: number } {
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/example.sqlite';
  const port = Number(env.PORT || 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (got "${env.PORT}")`);
  return {
    databaseUrl,
    port,
    warnAfter: secondsFromEnv(env, 'SESSION_WARN_AFTER'),
    expireAfter: secondsFromEnv(env, 'SESSION_EXPIRE_AFTER'),
    maxAge: secondsFromEnv(env, 'SESSION_MAX_AGE'),
    adminWarnAfter: secondsFromEnv(env, 'SESSION_ADMIN_WARN_AFTER'),
    adminExpireAfter: secondsFromEnv(env, 'SESSION_ADMIN_EXPIRE_AFTER'),
    rememberExpireAfter: secondsFromEnv(env, 'SESSION_REMEMBER_EXPIRE_AFTER'),
    keys: sessionKeys(env, isPostgresUrl(databaseUrl) ? './data' : path.dirname(databaseUrl.replace(/^sqlite:/, ''))),
    proxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
    redisUrl: env.REDIS_URL || undefined,
    relogin: reloginFromEnv(env.SESSION_RELOGIN),
    geoipDatabase: env.GEOIP_DATABASE || undefined,
    oidc: oidcFromEnv(env),
  };
}

function reloginFromEnv(raw: string | undefined): ExampleConfig['relogin'] {
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'in-place' && raw !== 'navigate') throw new Error(`SESSION_RELOGIN must be "in-place" or "navigate" (got "${raw}")`);
  return raw;
}
