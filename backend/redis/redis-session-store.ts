/**
 * A koa-session external store in Redis: sessions survive app restarts and are shared by every
 * instance behind a load balancer. It only calls three commands of the client it is given (`GET`,
 * `SET … PX`, `DEL`), so it needs no Redis package of its own.
 */
import { assertKnownKeys, describeValue } from '../../shared/option-checks';
import type { ExternalSessionStore } from '../tracking/koa-session-adapter';

/**
 * The Redis client methods the store calls, as ioredis (`new Redis(url)`, or a `Cluster`) has them.
 * Another client fits through a three-line adapter; node-redis 4+:
 * `{ get: (k) => client.get(k), set: (k, v, _px, ms) => client.set(k, v, { PX: ms }), del: (k) => client.del(k) }`.
 */
export interface RedisSessionClient {
  /** `GET key`: the stored string, or `null` when there is none. */
  get(key: string): Promise<string | null>;
  /** `SET key value PX milliseconds`: stores the value with an expiry. */
  set(key: string, value: string, mode: 'PX', milliseconds: number): Promise<unknown>;
  /** `DEL key`. */
  del(key: string): Promise<unknown>;
}

/** Options of {@link redisSessionStore}. Every one is optional. */
export interface RedisSessionStoreOptions {
  /** Prepended to koa-session's key to make the Redis key. Default `'koa:sess:'`. */
  prefix?: string;
  /**
   * Seconds a session lives in Redis when koa-session's `maxAge` is `'session'` (a cookie that
   * lasts until the browser closes: Redis cannot know when that is, so the entry gets this expiry
   * instead of none). Renewed on every save, like any entry. Default 86400 (1 day).
   */
  sessionTtl?: number;
}

/** The store: give it to koa-session (`store`) and to `createSessionWatch({ sessionStore })`. */
export interface RedisSessionStore {
  /** The Redis key prefix in use. */
  readonly prefix: string;
  /** The session saved under `key`, or `undefined` when Redis has none (expired, destroyed, lost). */
  get(key: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Saves the session as JSON with an expiry: koa-session's `maxAge` in milliseconds, or
   * `sessionTtl` when it is `'session'`. Every save sets the expiry afresh, which is what
   * koa-session's `rolling` and `renew` rely on.
   */
  set(key: string, session: unknown, maxAge: unknown): Promise<void>;
  /** Deletes the entry (logout, and every session sessionwatch revokes or expires). */
  destroy(key: string): Promise<void>;
}

/** `'koa:sess:'`: the prefix when none is given. */
export const DEFAULT_REDIS_PREFIX = 'koa:sess:';
/** 86400 seconds: how long a `maxAge: 'session'` session lives in Redis by default. */
export const DEFAULT_SESSION_TTL = 24 * 3600;

const OPTION_KEYS = ['prefix', 'sessionTtl'] as const satisfies ReadonlyArray<keyof RedisSessionStoreOptions>;

function assertClient(client: unknown): asserts client is RedisSessionClient {
  if (typeof client === 'string') {
    throw new TypeError(`redisSessionStore: pass a Redis client, not a URL: redisSessionStore(new Redis(${describeValue(client)}))`);
  }
  const missing = ['get', 'set', 'del'].filter((method) => typeof (client as Record<string, unknown> | null)?.[method] !== 'function');
  if (missing.length) {
    throw new TypeError(
      `redisSessionStore: the client must be an ioredis client (or an object with get, set and del methods like it); ` +
        `got ${client === null || typeof client !== 'object' ? describeValue(client) : `an object without ${missing.join(', ')}`}`,
    );
  }
}

function resolvePrefix(value: unknown): string {
  if (value === undefined) return DEFAULT_REDIS_PREFIX;
  if (typeof value !== 'string')
    throw new TypeError(
      `redisSessionStore: option "prefix" must be a string such as "${DEFAULT_REDIS_PREFIX}" (got ${describeValue(value)})`,
    );
  return value;
}

function resolveSessionTtl(value: unknown): number {
  if (value === undefined) return DEFAULT_SESSION_TTL * 1000;
  if (typeof value !== 'number')
    throw new TypeError(`redisSessionStore: option "sessionTtl" must be a number of seconds (got ${describeValue(value)})`);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`redisSessionStore: option "sessionTtl" must be a positive finite number of seconds (got ${value})`);
  }
  return Math.ceil(value * 1000);
}

/**
 * A koa-session external store on Redis, through an ioredis client the app creates (and closes):
 *
 * ```ts
 * const store = redisSessionStore(new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 }));
 * app.use(session({ store, maxAge: 7 * 24 * 3600 * 1000 }, app));
 * const sw = createSessionWatch({ database, sessionStore: store });
 * ```
 *
 * Sessions are JSON, each under `prefix + key` with an expiry (never without one). Redis errors
 * are not swallowed: the request fails (500) and the app keeps running. An entry that cannot be
 * parsed (written by something else) reads as no session.
 *
 * @throws TypeError / RangeError naming the bad argument or option.
 */
export function redisSessionStore(client: RedisSessionClient, options: RedisSessionStoreOptions = {}): RedisSessionStore {
  assertClient(client);
  if (options === null || typeof options !== 'object') throw new TypeError('redisSessionStore: options must be an object');
  assertKnownKeys(options, OPTION_KEYS);
  const prefix = resolvePrefix(options.prefix);
  const sessionTtlMs = resolveSessionTtl(options.sessionTtl);

  /** Milliseconds until the entry expires, from what koa-session passes as `maxAge`. */
  function ttlOf(maxAge: unknown): number {
    if (maxAge === 'session') return sessionTtlMs;
    if (typeof maxAge === 'number' && Number.isFinite(maxAge) && maxAge > 0) return Math.ceil(maxAge);
    // koa-session always passes one of the above; anything else would store a session forever.
    throw new RangeError(
      `redisSessionStore: koa-session's maxAge must be a positive finite number of milliseconds or 'session' (got ${describeValue(maxAge)})`,
    );
  }

  const store: RedisSessionStore = {
    prefix,
    async get(key) {
      const value = await client.get(prefix + key);
      if (value === null || value === undefined) return undefined;
      try {
        const session: unknown = JSON.parse(value);
        return session !== null && typeof session === 'object' && !Array.isArray(session)
          ? (session as Record<string, unknown>)
          : undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, session, maxAge) {
      const ttl = ttlOf(maxAge);
      await client.set(prefix + key, JSON.stringify(session), 'PX', ttl);
    },
    async destroy(key) {
      await client.del(prefix + key);
    },
  };
  // koa-session and sessionwatch call it as their store type (checked here, kept out of the public types).
  return store satisfies ExternalSessionStore;
}
