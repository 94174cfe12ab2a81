/**
 * The Redis session store in a Koa app with koa-session and sessionwatch, over real HTTP, on real
 * SQLite and Postgres and the real Redis: revocation, logout and login act on the Redis entries;
 * Redis losing its data logs the user out; Redis going down fails requests (500) without
 * crashing the app, and sessions work again once it is back.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { redisSessionStore, type RedisSessionStore } from '../../backend/redis';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import type { ErrorBody, SessionListResponse } from '../../shared/protocol';
import { startMiniApp, type MiniApp } from '../support/mini-app';
import { TcpProxy } from '../support/tcp-proxy';
import { sleep } from '../support/wait';
import { anyNumber, anyString } from '../support/matchers';

const REDIS = new URL(process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379');
describe.each(DATABASE_KINDS)('the Redis store with sessionwatch on %s', (kind) => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  /** The app's client, through a proxy the test can cut. */
  let appRedis: Redis;
  /** The test's own view of Redis. */
  let redis: Redis;
  let store: RedisSessionStore;
  let app: MiniApp;
  const prefix = `sw-redis-it:${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    proxy = await new TcpProxy(REDIS.hostname, Number(REDIS.port || 6379)).start();
    // The README's advice: fail a command after one reconnection attempt instead of queueing it.
    appRedis = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 1 });
    appRedis.on('error', () => {}); // reported by the failing requests; not the point here
    redis = new Redis(REDIS.href);
    store = redisSessionStore(appRedis, { prefix });
    app = await startMiniApp({ database: db.url, schema: db.schema, sessionStore: store }, { sessionStore: store });
  });
  afterAll(async () => {
    await app.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    appRedis.disconnect();
    await redis.quit();
    await proxy.stop();
    await db.drop();
  });

  async function loggedIn(user = 'alice'): Promise<TestClient> {
    const browser = new TestClient(app.url);
    expect((await browser.post(`/login?user=${user}`)).status).toBe(200);
    return browser;
  }
  const entry = (browser: TestClient) => `${prefix}${browser.cookies.get('sid')}`;

  test('a revocation destroys the Redis entry; the next request is 401 session_revoked', async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    expect(await redis.exists(entry(b))).toBe(1);
    expect(JSON.parse((await redis.get(entry(b)))!)).toMatchObject({ user: 'alice', sessionwatch: anyString() });
    const revokedKey = entry(b);
    const { sessions } = (await a.get<SessionListResponse>('/session/sessions')).body;
    const bId = sessions.find((s) => !s.current)!.id;

    expect((await a.delete(`/session/sessions/${bId}`)).status).toBe(204);
    expect(await redis.exists(revokedKey)).toBe(0);
    const res = await b.get('/session/sessions');
    expect([res.status, res.body]).toEqual([401, { error: 'session_revoked', endedFor: anyNumber() }]);
    expect((await b.get('/me')).status).toBe(401);
    expect(await redis.exists(revokedKey)).toBe(0);
    expect((await a.get('/me')).body).toEqual({ user: 'alice' });
  });

  test('revokeAll() outside a request destroys every entry of the user', async () => {
    const browsers = [await loggedIn('bob'), await loggedIn('bob')];
    const keys = browsers.map(entry);
    expect(await redis.exists(...keys)).toBe(2);
    expect(await app.sw.revokeAll('bob')).toBe(2);
    expect(await redis.exists(...keys)).toBe(0);
    for (const browser of browsers) expect((await browser.get<ErrorBody>('/session/sessions')).body.error).toBe('session_revoked');
  });

  test('login replaces the entry (no fixation); logout destroys it', async () => {
    const browser = await loggedIn('carol');
    const first = entry(browser);
    expect((await browser.post('/login?user=carol')).status).toBe(200);
    const second = entry(browser);
    expect(second).not.toBe(first);
    expect([await redis.exists(first), await redis.exists(second)]).toEqual([0, 1]);
    expect((await browser.post('/session/logout')).status).toBe(204);
    expect(await redis.exists(second)).toBe(0);
    expect((await browser.get('/me')).status).toBe(401);
  });

  /** Keys under the test's prefix: every koa-session entry of this app. */
  const storedKeys = async () => (await redis.keys(`${prefix}*`)).length;

  test('a revoked cookie replayed costs no store write: no key per replay, the precise 401 each time', async () => {
    const a = await loggedIn('frank');
    const b = await loggedIn('frank');
    const stolen = b.clone();
    expect((await a.delete('/session/sessions')).status).toBe(200);
    const before = await storedKeys();
    const writes = jest.spyOn(store, 'set');
    for (let i = 0; i < 30; i++) {
      // A fresh copy each time: the attacker replays the cookie as it was, whatever the answers set.
      const replay = stolen.clone();
      const res = await replay.get(i % 3 === 0 ? '/me' : i % 3 === 1 ? '/session/sessions' : '/nowhere');
      expect([res.status, res.headers.get('session-ended')]).toEqual([i % 3 === 2 ? 404 : 401, 'revoked']);
    }
    // The same browser, keeping what the answers set, is told why on every later request too.
    for (let i = 0; i < 3; i++)
      expect((await b.get('/session/sessions')).body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
    // The reason's cookie is the whole site's, though set by an answer under /session.
    const ended = (await stolen.clone().get('/session/sessions')).headers.getSetCookie().find((line) => line.startsWith('sid.ended='));
    expect(ended).toMatch(/; path=\/(;|$)/);
    expect(ended).toMatch(/; httponly/);
    // Its dead cookie is cleared; the reason stays in sid.ended.
    expect([b.cookies.has('sid'), b.cookies.has('sid.ended')]).toEqual([false, true]);
    expect(writes).not.toHaveBeenCalled();
    writes.mockRestore();
    expect(await storedKeys()).toBe(before);
  });

  test('an expired cookie: its entry destroyed once, then replays cost nothing; the browser keeps the precise reason', async () => {
    const browser = await loggedIn('grace');
    const stolen = browser.clone();
    const before = await storedKeys();
    app.clock.advance(24 * 3600);
    const first = await browser.get('/session/sessions');
    expect([first.status, first.body]).toEqual([401, { error: 'session_expired', endedFor: anyNumber() }]);
    expect(await storedKeys()).toBe(before - 1);
    for (let i = 0; i < 20; i++) expect((await stolen.clone().get('/me')).headers.get('session-ended')).toBe('expired');
    expect((await browser.get('/session/sessions')).body).toEqual({ error: 'session_expired', endedFor: anyNumber() });
    expect(await storedKeys()).toBe(before - 1);
    // Signing in again works as usual and forgets the ended session.
    expect((await browser.post('/login?user=grace')).status).toBe(200);
    expect((await browser.get('/me')).body).toEqual({ user: 'grace' });
    expect(await storedKeys()).toBe(before);
  });

  test('a logout leaves no stored session and clears the cookie; an anonymous visitor costs no key', async () => {
    const browser = await loggedIn('heidi');
    const before = await storedKeys();
    const res = await browser.post('/session/logout');
    expect(res.status).toBe(204);
    expect(browser.cookies.has('sid')).toBe(false);
    expect(await storedKeys()).toBe(before - 1);
    const writes = jest.spyOn(store, 'set');
    for (let i = 0; i < 10; i++) await new TestClient(app.url).get('/me');
    const random = new TestClient(app.url);
    random.cookies.set('sid', randomBytes(16).toString('hex'));
    for (let i = 0; i < 10; i++) expect((await random.clone().get('/me')).status).toBe(401);
    expect(writes).not.toHaveBeenCalled();
    writes.mockRestore();
    expect(await storedKeys()).toBe(before - 1);
  });

  test('Redis losing its data (a restart without persistence) logs the user out', async () => {
    const browser = await loggedIn('dave');
    expect((await browser.get('/me')).status).toBe(200);
    await redis.del(entry(browser));
    expect((await browser.get('/me')).status).toBe(401);
    expect((await browser.get('/session/sessions')).status).toBe(401);
    // Logging in again works as usual.
    expect((await browser.post('/login?user=dave')).status).toBe(200);
    expect((await browser.get('/me')).body).toEqual({ user: 'dave' });
  });

  test('Redis down: requests fail with 500 and the app keeps running; back up, the session works again', async () => {
    const browser = await loggedIn('erin');
    const anonymous = new TestClient(app.url);
    proxy.cut();
    try {
      const started = Date.now();
      const me = await browser.get('/me');
      expect(me.status).toBe(500);
      expect(me.text).not.toContain('erin');
      expect((await browser.get('/session/sessions')).status).toBe(500);
      // A new visitor's first save fails too: no session is handed out that was never stored.
      expect((await anonymous.post('/login?user=mallory')).status).toBe(500);
      expect(anonymous.cookies.has('sid')).toBe(false);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      proxy.restore();
    }
    // ioredis reconnects on its own (backing off); the same cookie is a live session again.
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await browser.get('/me')).status) !== 200) await sleep(100);
    expect(status).toBe(200);
    expect((await browser.get<SessionListResponse>('/session/sessions')).body.sessions).toHaveLength(1);
  });
});
