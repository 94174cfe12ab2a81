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

/** The subset of koa-session's `Session` we use. */
export interface KoaSession {
  [key: string]: unknown;
  isNew?: boolean;
  externalKey?: string;
  regenerate(): Promise<void>;
  toJSON(): Record<string, unknown>;
}

const MISSING_SESSION = 'sessionwatch needs koa-session: add `app.use(session(app))` before the sessionwatch middleware.';

/**
 * Descriptions of the symbol under which koa-session's middleware keeps its per-request state:
 * koa-session 7, then 6. The middleware creates it before calling the next one.
 */
const CONTEXT_SESSION_SYMBOLS = new Set(['contextSession instance', 'context#_contextSession']);

/** koa-session's state symbols met so far (one per copy of koa-session the process loaded). */
const seenSymbols: symbol[] = [];

/**
 * Whether koa-session is in place for this request: `missing` (never set up on this app),
 * `after` (set up, but its middleware has not run yet: mounted after sessionwatch, which would
 * read an external store's session before it is loaded) or `ok`. Call it before anything reads
 * `ctx.session`, which creates that state on its own.
 */
export function koaSessionOrder(ctx: Context): 'ok' | 'missing' | 'after' {
  if (!('session' in ctx) || !('sessionOptions' in ctx)) return 'missing';
  // Every request asks: the symbols found before answer it without listing the context's own.
  for (const symbol of seenSymbols) if (Object.hasOwn(ctx, symbol)) return 'ok';
  for (const symbol of Object.getOwnPropertySymbols(ctx)) {
    if (symbol.description && CONTEXT_SESSION_SYMBOLS.has(symbol.description)) {
      if (seenSymbols.length < CONTEXT_SESSION_SYMBOLS.size * 2) seenSymbols.push(symbol);
      return 'ok';
    }
  }
  return 'after';
}

/** The request's session; throws a clear error when koa-session is not mounted before us. */
export function sessionOf(ctx: Context): KoaSession | null {
  const session = (ctx as unknown as { session?: KoaSession | null }).session;
  if (session === undefined || (session !== null && typeof session.regenerate !== 'function')) {
    throw new Error(MISSING_SESSION);
  }
  return session;
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
  return ctx.cookies.get(options.key, options as never) || undefined;
}

/**
 * The external key of the session as it is now (after a `regenerate()`, the new one). koa-session 7
 * keeps it on its per-request ContextSession, reachable only through a symbol-keyed property.
 */
export function currentStoreKey(ctx: Context): string | null {
  if (!optionsOf(ctx)?.store) return null;
  for (const symbol of Object.getOwnPropertySymbols(ctx)) {
    const holder = (ctx as unknown as Record<symbol, { externalKey?: unknown } | undefined>)[symbol];
    if (symbol.description === 'contextSession instance' && typeof holder?.externalKey === 'string') {
      return holder.externalKey;
    }
  }
  const key = sessionOf(ctx)?.externalKey;
  return typeof key === 'string' ? key : null;
}

/**
 * Starts a fresh, empty session: its data is cleared, the old cookie is replaced, an external store
 * entry is destroyed, and the app keeps a usable (empty) `ctx.session`. Used at login (no
 * fixation) and whenever a session is logged out (revoked, expired, logout).
 */
export async function regenerateSession(ctx: Context): Promise<KoaSession> {
  let session = sessionOf(ctx);
  if (session === null) {
    // The app set `ctx.session = null`; an object assignment brings back an empty one.
    (ctx as unknown as { session: object }).session = {};
    session = sessionOf(ctx)!;
  }
  // koa-session's regenerate() keeps the data under a new key: clear it first.
  for (const key of Object.keys(session.toJSON())) delete session[key];
  await session.regenerate();
  return sessionOf(ctx)!;
}
