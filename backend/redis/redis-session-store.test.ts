/**
 * The Redis session store's argument checks, at construction: no Redis needed (the client never
 * connects). What it stores in the real Redis is pinned in test/e2e/redis-session-store.test.ts.
 */
import Redis from 'ioredis';
import { redisSessionStore, DEFAULT_SESSION_TTL } from '.';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

describe('redisSessionStore() validates its arguments at construction', () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });

  test.each([
    ['a URL', 'redis://127.0.0.1:6379', /pass a Redis client, not a URL: redisSessionStore\(new Redis\("redis:\/\/127\.0\.0\.1:6379"\)\)/],
    ['nothing', undefined, /the client must be an ioredis client .*got undefined/],
    ['null', null, /the client must be an ioredis client .*got null/],
    ['an object without del', { get() {}, set() {} }, /got an object without del$/],
  ])('a client that is %s throws a TypeError', (_name, client, message) => {
    expect(() => redisSessionStore(client as never)).toThrow(TypeError);
    expect(() => redisSessionStore(client as never)).toThrow(message);
  });

  test.each([
    [{ prefix: 42 }, TypeError, 'option "prefix" must be a string such as "koa:sess:" (got 42)'],
    [{ sessionTtl: '1d' }, TypeError, 'option "sessionTtl" must be a number of seconds (got "1d")'],
    [{ sessionTtl: 0 }, RangeError, 'option "sessionTtl" must be a positive finite number of seconds (got 0)'],
    [{ sessionTtl: Infinity }, RangeError, 'option "sessionTtl" must be a positive finite number of seconds (got Infinity)'],
    [{ prefx: 'x:' }, TypeError, 'unknown option "prefx" (did you mean "prefix"?)'],
    [{ ttl: 60 }, TypeError, 'unknown option "ttl" (known options: prefix, sessionTtl)'],
  ])('%j throws', (options, type, message) => {
    expect(() => redisSessionStore(redis, options as never)).toThrow(type);
    expect(() => redisSessionStore(redis, options as never)).toThrow(message);
  });

  test('options must be an object; defaults are koa:sess: and one day', () => {
    expect(() => redisSessionStore(redis, 'x:' as never)).toThrow('redisSessionStore: options must be an object');
    expect(redisSessionStore(redis).prefix).toBe('koa:sess:');
    expect(DEFAULT_SESSION_TTL).toBe(86400);
  });
});
