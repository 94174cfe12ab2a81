/**
 * Everything sessionwatch needs from koa-session (v7), in one place. koa-session stays in charge
 * of the session; we only read its options and call its public `regenerate()`. The one internal we
 * touch (the new external key right after `regenerate()`) is read defensively.
 */
import type { Context } from 'koa';

/** The external store interface of koa-session (`options.store`). */
export interface ExternalSessionStore {
  get(key: string, maxAge: unknown, data: { rolling: boolean; ctx: unknown }): unknown;
  set(key: string, sess: unknown, maxAge: unknown, data: { rolling: boolean; changed: boolean; ctx: unknown }): unknown;
  destroy(key: string, data: { ctx: unknown }): unknown;
}

interface KoaSessionOptions {
  key: string;
  store?: ExternalSessionStore;
  externalKey?: { get(ctx: Context): string | undefined };
  [option: string]: unknown;
}

/**
 * The subset of koa-session's `Session` we use. A stand-in for it (a test's mock assigned to
 * `ctx.session`, as koa-session's own "can be mocked" tests and egg's `mm` do) may lack the methods:
 * it is then used as a plain object.
 */
export interface KoaSession {
  [key: string]: unknown;
  isNew?: boolean;
  externalKey?: string;
  /** Called on the session object (`.call(session)` when taken apart from it). */
  regenerate?: (this: KoaSession, ...callback: unknown[]) => Promise<void> | void;
  toJSON?: (this: KoaSession) => Record<string, unknown>;
}

/**
 * Descriptions of the symbol under which koa-session's middleware keeps its per-request state:
 * koa-session 7, then 6. The middleware creates it before calling the next one.
 */
const CONTEXT_SESSION_SYMBOLS = new Set(['contextSession instance', 'context#_contextSession']);

/** koa-session's state symbols met so far (one per copy of koa-session the process loaded). */
const seenSymbols: symbol[] = [];

/** koa-session's per-request state (its ContextSession), found by the symbol it is kept under. */
function contextSessionOf(ctx: Context): { externalKey?: unknown } | undefined {
  const holder = ctx as unknown as Record<symbol, { externalKey?: unknown } | undefined>;
  // Every request asks: the symbols found before answer it without listing the context's own.
  for (const symbol of seenSymbols) if (Object.hasOwn(ctx, symbol)) return holder[symbol];
  for (const symbol of Object.getOwnPropertySymbols(ctx)) {
    if (symbol.description && CONTEXT_SESSION_SYMBOLS.has(symbol.description)) {
      if (seenSymbols.length < CONTEXT_SESSION_SYMBOLS.size * 2) seenSymbols.push(symbol);
      return holder[symbol];
    }
  }
  return undefined;
}

/**
 * Whether koa-session is in place for this request: `missing` (never set up on this app),
 * `after` (set up, but its middleware has not run yet: mounted after sessionwatch, which would
 * read an external store's session before it is loaded), `foreign` (no koa-session, but something
 * else put an object without `regenerate()` in `ctx.session`) or `ok`. A stand-in that behaves
 * like koa-session's session (with `regenerate()`: a test's mock, koa-passport's own tests) is
 * `ok` without it. Call it before anything reads `ctx.session`, which creates that state on its own.
 */
export function koaSessionOrder(ctx: Context): 'ok' | 'missing' | 'after' | 'foreign' {
  if (!('session' in ctx)) return 'missing';
  if (!('sessionOptions' in ctx)) {
    const session = (ctx as unknown as { session?: unknown }).session;
    if (session === undefined || session === null) return 'missing';
    return typeof (session as KoaSession).regenerate === 'function' ? 'ok' : 'foreign';
  }
  return contextSessionOf(ctx) ? 'ok' : 'after';
}

/**
 * What `ctx.session` holds when it is neither a session nor null (the app or another library
 * replaced it with a string, a number…): described for the `500 misconfigured` that says so.
 * Undefined when it is usable.
 */
export function unusableSession(ctx: Context): string | undefined {
  const session = (ctx as unknown as { session?: unknown }).session;
  if (session === null || (typeof session === 'object' && !Array.isArray(session))) return undefined;
  const found = session === undefined ? 'undefined' : Array.isArray(session) ? 'an array' : `a ${typeof session}`;
  return (
    `sessionwatch: ctx.session is ${found}, not a session object: another middleware replaced koa-session's ` +
    'session (mount sw.middleware() right after koa-session, and let only koa-session set ctx.session)'
  );
}

/** The request's session (null after the app set `ctx.session = null`). Check {@link unusableSession} first. */
export function sessionOf(ctx: Context): KoaSession | null {
  return (ctx as unknown as { session: KoaSession | null }).session;
}

/** The session's own `regenerate()`, kept when {@link watchRegenerate} wrapped it. */
const OWN_REGENERATE = Symbol('sessionwatch: koa-session regenerate');

/**
 * Calls `onRegenerate` whenever something other than sessionwatch regenerates this request's
 * session (passport does at every login and logout: how a login becomes visible whatever form it
 * took). The wrapper is a non-enumerable own property of the session object, so it is never saved.
 */
export function watchRegenerate(session: KoaSession, onRegenerate: () => void): void {
  const original = session.regenerate;
  if (typeof original !== 'function' || Object.hasOwn(session, OWN_REGENERATE)) return;
  Object.defineProperty(session, OWN_REGENERATE, { value: original });
  Object.defineProperty(session, 'regenerate', {
    configurable: true,
    writable: true,
    value(this: KoaSession, ...args: unknown[]) {
      onRegenerate();
      return original.apply(this, args);
    },
  });
}

/** The session's own data keys (koa-session's `toJSON()`: no `_` internals, no functions). */
function dataKeys(session: KoaSession): string[] {
  const data = typeof session.toJSON === 'function' ? session.toJSON.call(session) : session;
  return Object.keys(data).filter((key) => key[0] !== '_' && key !== 'isNew' && typeof session[key] !== 'function');
}

function optionsOf(ctx: Context): KoaSessionOptions | undefined {
  return (ctx as unknown as { sessionOptions?: KoaSessionOptions }).sessionOptions;
}

/** The external store koa-session was configured with, if any. */
export function externalStoreOf(ctx: Context): ExternalSessionStore | undefined {
  return optionsOf(ctx)?.store;
}

/**
 * The external key the request came with (the session cookie's value when an external store is
 * used). Read even when the store no longer has the entry, to tell a revoked session apart.
 */
export function requestStoreKey(ctx: Context): string | undefined {
  const options = optionsOf(ctx);
  if (!options?.store) return undefined;
  if (options.externalKey) return options.externalKey.get(ctx) || undefined;
  return sessionCookieOf(ctx, options);
}

/** The session cookie the request sent, signature checked as koa-session checks it. */
function sessionCookieOf(ctx: Context, options: KoaSessionOptions): string | undefined {
  return ctx.cookies.get(options.key, options as never) || undefined;
}

/**
 * The session cookie as the request sent it, with cookie sessions (koa-session without a store:
 * the cookie is the session's data), signature checked as koa-session checks it; undefined with
 * an external store or without koa-session.
 */
export function requestCookieSession(ctx: Context): string | undefined {
  const options = optionsOf(ctx);
  if (!options || options.store) return undefined;
  return sessionCookieOf(ctx, options);
}

/**
 * The external key of the session as it is now (after a `regenerate()`, the new one). koa-session 7
 * keeps it on its per-request ContextSession, reachable only through a symbol-keyed property.
 */
export function currentStoreKey(ctx: Context): string | null {
  if (!optionsOf(ctx)?.store) return null;
  const key = contextSessionOf(ctx)?.externalKey;
  if (typeof key === 'string') return key;
  const own = sessionOf(ctx)?.externalKey;
  return typeof own === 'string' ? own : null;
}

/**
 * Starts a fresh session: the old cookie is replaced, an external store entry is destroyed (the
 * data moves to a new key), and the app keeps a usable `ctx.session`. Its data is cleared, but for
 * the keys `keep` says to keep (a login with `keepSessionInfo`: all of the app's). Used at login (no
 * fixation); a logout uses {@link clearSession}. A stand-in session without `regenerate()` (a
 * test's mock) is only cleared.
 */
export async function regenerateSession(ctx: Context, keep: (key: string) => boolean = () => false): Promise<KoaSession> {
  let session = sessionOf(ctx);
  if (session === null) {
    // The app set `ctx.session = null`; an object assignment brings back an empty one.
    (ctx as unknown as { session: object }).session = {};
    session = sessionOf(ctx)!;
  }
  // koa-session's regenerate() keeps the data under a new key: clear what goes first.
  for (const key of dataKeys(session)) if (!keep(key)) delete session[key];
  await regenerateOwn(session);
  return sessionOf(ctx) ?? session;
}

/** koa-session's own `regenerate()` of the session (not the {@link watchRegenerate} wrapper); nothing for a stand-in without one. */
async function regenerateOwn(session: KoaSession): Promise<void> {
  const regenerate = ((session as Record<symbol, unknown>)[OWN_REGENERATE] ?? session.regenerate) as KoaSession['regenerate'];
  if (typeof regenerate === 'function') await regenerate.call(session);
}

/**
 * Logs the request's session out in place: its data is cleared and the app keeps a usable
 * `ctx.session` (a login form may be answering). Nothing is written yet — koa-session's
 * `regenerate()` would save the empty session at once, a store write and a key for every replay of
 * a dead cookie — : what the request leaves behind is decided once the app has answered, by
 * {@link settleEndedSession}.
 */
export function clearSession(ctx: Context): void {
  const session = sessionOf(ctx);
  if (session) for (const key of dataKeys(session)) delete session[key];
}

/**
 * After the app answered a request whose session was logged out by {@link clearSession} (and
 * not logged in again):
 * - nothing in it → `ctx.session = null`: koa-session destroys the old store entry and expires the
 *   cookie; a session that was never stored (a replayed cookie whose entry is gone) is left to
 *   koa-session, which writes nothing for it, and the dead cookie is expired here;
 * - the app put data in it (a flash message) → `regenerate()`: the data moves to a new key, none of
 *   it stays under the ended one — unless the session was `renewed` already (passport's logout
 *   regenerates it).
 * A stand-in session (no koa-session) is left as it is.
 */
export async function settleEndedSession(ctx: Context, renewed = false): Promise<void> {
  const session = sessionOf(ctx);
  const options = optionsOf(ctx);
  if (!options || !session) return;
  if (dataKeys(session).length > 0) {
    if (!renewed) await regenerateOwn(session);
    return;
  }
  if (!session.isNew) (ctx as unknown as { session: null }).session = null;
  else if (sessionCookieOf(ctx, options)) ctx.cookies.set(options.key, null, options as never);
}

/**
 * The cookie that tells a browser's later requests why its session ended: the ended record's token
 * hash (never the token), beside koa-session's cookie as `<key>.ended`, with its options (path,
 * domain, secure, sameSite, signed) — httpOnly, and for as long as koa-session's own cookie. Kept
 * in a cookie rather than in the session so that a logged-out browser costs no store entry.
 * Undefined without koa-session (a stand-in session has no cookie of its own).
 */
function endedCookie(ctx: Context): { name: string; options: Record<string, unknown> } | undefined {
  const options = optionsOf(ctx);
  if (!options) return undefined;
  const { path, domain, secure, sameSite, signed, maxAge } = options;
  const chosen = { path: path ?? '/', domain, secure, sameSite, signed, maxAge: typeof maxAge === 'number' ? maxAge : undefined };
  // Only what is set: an option given as undefined would replace the cookies library's default (a
  // cookie without a path is the requested directory's only: /session, for a ping).
  const defined = Object.fromEntries(Object.entries(chosen).filter(([, value]) => value !== undefined));
  return { name: `${options.key}.ended`, options: { ...defined, httpOnly: true, overwrite: true } };
}

/** The token hash the request's ended-session cookie names (signature checked), if any. */
export function endedTokenHashOf(ctx: Context): string | undefined {
  const cookie = endedCookie(ctx);
  if (!cookie) return undefined;
  const value = ctx.cookies.get(cookie.name, cookie.options as never);
  return value && /^[0-9a-f]{64}$/.test(value) ? value : undefined;
}

/** Points the browser at its ended record (a token hash), or forgets the pointer it sent (null). */
export function setEndedTokenHash(ctx: Context, tokenHash: string | null): void {
  const cookie = endedCookie(ctx);
  if (!cookie) return;
  if (tokenHash !== null) ctx.cookies.set(cookie.name, tokenHash, cookie.options);
  else if (ctx.cookies.get(cookie.name) || setsCookie(ctx, cookie.name)) ctx.cookies.set(cookie.name, null, cookie.options);
}

/** True when the response sets the cookie `name` already (earlier in this request). */
function setsCookie(ctx: Context, name: string): boolean {
  const header = ctx.response.get('Set-Cookie') as string | string[];
  return (Array.isArray(header) ? header : [header]).some((line) => typeof line === 'string' && line.startsWith(`${name}=`));
}
