/**
 * Two instances of the example app on one Postgres and one Redis, as behind a load balancer:
 * whatever one instance does (revoke, logout, expire) the other enforces on the very next request.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startExample, type RunningExample, type StartOptions } from '../support/example-server';
import { TestClient } from '../support/http-client';
import type { SessionListResponse } from '../../shared/protocol';
import { waitUntilAcquainted } from '../support/instances';
import { sleep } from '../support/wait';
import { anyNumber } from '../support/matchers';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
/** One browser whose requests go to instance A or B at will (same cookies). */
function on(instance: RunningExample, browser: TestClient): TestClient {
  const view = new TestClient(instance.url, browser.userAgent);
  Object.defineProperty(view, 'cookies', { value: browser.cookies }); // share the jar
  return view;
}

describe.each([
  ['cookie sessions', false],
  ['Redis sessions', true],
] as const)('two instances on one Postgres, %s', (_name, withRedis) => {
  let db: TestDatabase;
  let a: RunningExample;
  let b: RunningExample;
  let redis: Redis;
  const prefix = `sw-test:${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    db = await createTestDatabase('postgres');
    const options: StartOptions = { db, warnAfter: 2, expireAfter: 4, ...(withRedis ? { redisUrl: REDIS_URL, redisPrefix: prefix } : {}) };
    a = await startExample('postgres', options);
    b = await startExample('postgres', options);
    redis = new Redis(REDIS_URL);
    // Both caches listen for each other's changes before traffic starts.
    await waitUntilAcquainted([a.sw, b.sw]);
  });
  afterAll(async () => {
    await a.stop({ dropDatabase: false });
    await b.stop();
    await redis.quit();
  });

  test('a login on A works on B; a revocation on B is enforced by A on the next request', async () => {
    const browser = new TestClient(a.url);
    expect((await on(a, browser).login()).status).toBe(200);
    expect((await on(b, browser).get('/me')).status).toBe(200);
    expect((await on(a, browser).get('/me')).status).toBe(200); // cached on A now

    const other = new TestClient(b.url);
    await on(b, other).login();
    const victimId = (await on(b, other).get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => !s.current)!.id;
    const redisKey = browser.cookies.get('sid')!;
    if (withRedis) expect(await redis.exists(prefix + redisKey)).toBe(1);

    expect((await on(b, other).delete(`/session/sessions/${victimId}`)).status).toBe(204);
    const res = await on(a, browser.clone()).get('/session/sessions');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
    expect((await on(a, browser).get('/me')).status).toBe(401);
    if (withRedis) expect(await redis.exists(prefix + redisKey)).toBe(0);
    await on(b, other).post('/logout');
  });

  test('a logout on A is rejected by B', async () => {
    const browser = new TestClient(a.url);
    await on(a, browser).login();
    const replay = browser.clone();
    expect((await on(b, replay).get('/me')).status).toBe(200); // cached on B
    expect((await on(a, browser).post('/logout')).status).toBe(204);
    expect((await on(b, replay).get('/me')).status).toBe(401);
  });

  test('pings alternating between A and B leave lastActivity at the newest', async () => {
    const browser = new TestClient(a.url);
    let id = '';
    a.sw.once('sessionCreated', ({ session }) => (id = session.id));
    await on(a, browser).login();
    await sleep(1500);
    const idles = Array.from({ length: 20 }, () => Math.random());
    const start = Date.now();
    await Promise.all(idles.map((idleFor, i) => on(i % 2 ? a : b, browser).post('/session/ping', { json: { idleFor } })));
    const end = Date.now();
    const stored = (await a.sw.store.findById(id))!.lastActivity;
    const newest = Math.min(...idles) * 1000;
    expect(stored).toBeGreaterThanOrEqual(Math.floor(start - newest) - 1);
    expect(stored).toBeLessThanOrEqual(Math.ceil(end - newest) + 1);
  });

  test('expiry is enforced by whichever instance sees the next request', async () => {
    const browser = new TestClient(a.url);
    await on(a, browser).login();
    expect((await on(b, browser).get('/me')).status).toBe(200); // cached on B with its activity
    await sleep(4600); // past expireAfter + touchInterval (4 + 0.2 s), no activity
    const res = await on(b, browser.clone()).post('/session/ping', { json: { idleFor: 0 } });
    expect(res.body).toEqual({ error: 'session_expired', endedFor: anyNumber() });
    expect((await on(a, browser).get('/me')).status).toBe(401);
  }, 15000);

  test('activity seen by A keeps the session alive on B, whatever B cached', async () => {
    const browser = new TestClient(a.url);
    await on(a, browser).login();
    expect((await on(b, browser).get('/me')).status).toBe(200); // B caches the record now
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      expect((await on(a, browser).get('/me')).status).toBe(200);
    }
    // B's cached lastActivity is 5 s old (past the 4.2 s deadline) but the database knows better.
    expect((await on(b, browser).get('/me')).status).toBe(200);
  }, 15000);
});
