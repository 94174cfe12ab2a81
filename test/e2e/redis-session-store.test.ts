/**
 * The Redis session store against the real Redis (127.0.0.1:6379, or REDIS_TEST_URL): what it
 * stores, with which expiry, and how koa-session's `rolling` / `renew` keep that expiry fresh.
 * Each test uses its own key prefix and deletes its keys. (Its argument checks, which need no
 * Redis: backend/redis/redis-session-store.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import session from 'koa-session';
import Redis from 'ioredis';
import { redisSessionStore, type RedisSessionStore } from '../../backend/redis';
import { TestClient } from '../support/http-client';
import { appSession } from '../support/mini-app';
import { sleep } from '../support/wait';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

describe('redisSessionStore on the real Redis', () => {
  let redis: Redis;
  let prefix: string;
  let store: RedisSessionStore;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    prefix = `sw-redis-test:${randomBytes(4).toString('hex')}:`;
    store = redisSessionStore(redis, { prefix });
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(async () => {
    await redis.quit();
  });

  test('set, get and destroy a session as JSON under prefix + key', async () => {
    expect(await store.get('k1')).toBeUndefined();
    const data = { user: 'alice', n: 1, nested: { list: [1, 'two'] }, _expire: 123 };
    await store.set('k1', data, 60_000);
    expect(JSON.parse((await redis.get(`${prefix}k1`))!)).toEqual(data);
    expect(await store.get('k1')).toEqual(data);
    await store.destroy('k1');
    expect(await redis.exists(`${prefix}k1`)).toBe(0);
    expect(await store.get('k1')).toBeUndefined();
    await store.destroy('k1'); // idempotent
  });

  test("the expiry is koa-session's maxAge, in milliseconds", async () => {
    await store.set('k', { a: 1 }, 70_000);
    const ttl = await redis.pttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(69_000);
    expect(ttl).toBeLessThanOrEqual(70_000);
    await store.set('fraction', { a: 1 }, 1500.2);
    expect(await redis.pttl(`${prefix}fraction`)).toBeGreaterThan(1400);
  });

  test("maxAge 'session' expires after sessionTtl (default one day): never without expiry", async () => {
    await store.set('s', { a: 1 }, 'session');
    const ttl = await redis.pttl(`${prefix}s`);
    expect(ttl).toBeGreaterThan(86_400_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
    const short = redisSessionStore(redis, { prefix, sessionTtl: 120 });
    await short.set('s2', { a: 1 }, 'session');
    const ttl2 = await redis.pttl(`${prefix}s2`);
    expect(ttl2).toBeGreaterThan(115_000);
    expect(ttl2).toBeLessThanOrEqual(120_000);
  });

  test('a maxAge koa-session would never pass stores nothing and says why', async () => {
    for (const bad of [undefined, 0, -1, Infinity, NaN, '60000']) {
      await expect(store.set('bad', { a: 1 }, bad)).rejects.toThrow(
        /koa-session's maxAge must be a positive finite number of milliseconds or 'session'/,
      );
    }
    expect(await redis.exists(`${prefix}bad`)).toBe(0);
  });

  test('an entry is gone once its expiry passes', async () => {
    await store.set('short', { a: 1 }, 150);
    expect(await store.get('short')).toEqual({ a: 1 });
    await sleep(300);
    expect(await redis.exists(`${prefix}short`)).toBe(0);
    expect(await store.get('short')).toBeUndefined();
  });

  test('an entry that is not a JSON object (written by something else) reads as no session', async () => {
    await redis.set(`${prefix}junk`, '{not json', 'PX', 60_000);
    await redis.set(`${prefix}number`, '42', 'PX', 60_000);
    expect(await store.get('junk')).toBeUndefined();
    expect(await store.get('number')).toBeUndefined();
  });

  test('Redis errors reach the caller (nothing is swallowed)', async () => {
    const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => {});
    const broken = redisSessionStore(down, { prefix });
    await expect(broken.get('k')).rejects.toThrow();
    await expect(broken.set('k', { a: 1 }, 60_000)).rejects.toThrow();
    await expect(broken.destroy('k')).rejects.toThrow();
    down.disconnect();
  });

  describe.each([
    ['rolling', { rolling: true, maxAge: 60_000 }, 1000, true],
    ['renew, past half of maxAge', { renew: true, maxAge: 2_000 }, 1100, true],
    ['neither', { maxAge: 60_000 }, 1000, false],
  ] as const)('behind koa-session, %s', (_name, sessionOptions, wait, refreshed) => {
    let server: Server;
    let url: string;

    beforeEach(async () => {
      const app = new Koa();
      app.keys = ['redis-store-test'];
      app.use(session({ key: 'sid', ...sessionOptions, store }, app));
      app.use(async (ctx) => {
        if (ctx.path === '/login') appSession(ctx)!.user = 'alice';
        ctx.body = { user: appSession(ctx)!.user ?? null };
      });
      server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    test(`an unchanged session's expiry is ${refreshed ? '' : 'not '}renewed`, async () => {
      const browser = new TestClient(url);
      await browser.get('/login');
      const key = `${prefix}${browser.cookies.get('sid')}`;
      // koa-session asks for 10 s more than the cookie's maxAge, so the entry outlives the cookie.
      const first = await redis.pttl(key);
      expect(first).toBeGreaterThan(sessionOptions.maxAge + 10_000 - 1_000);
      await sleep(wait);
      expect((await browser.get('/')).body).toEqual({ user: 'alice' });
      const after = await redis.pttl(key);
      if (refreshed) expect(after).toBeGreaterThan(first - wait + 500);
      else expect(after).toBeLessThanOrEqual(first - wait + 50);
      expect(JSON.parse((await redis.get(key))!)).toMatchObject({ user: 'alice', _maxAge: sessionOptions.maxAge });
    });
  });
});
