/**
 * koa-passport, the way Koa apps log in, with sessionwatch mounted before or after passport's
 * middleware, over real HTTP on real SQLite and Postgres, with cookie sessions and the Redis store:
 * every passport login form is tracked, `ctx.logout()` ends it, and a revoked or expired cookie,
 * replayed, is never authenticated — `ctx.isAuthenticated()`, `ctx.state.user` and `ctx.req.user`
 * all say so, whichever middleware ran first.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { redisSessionStore } from '../../backend/redis';
import type { SessionEndedEvent } from '../../backend';
import type { SessionListResponse } from '../../shared/protocol';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { anyNumber, stringContaining, objectContaining } from '../support/matchers';
import { LOGIN_FORMS, startPassportApp, type LoginForm, type PassportApp, type PassportOrder } from '../support/passport-app';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const ORDERS: PassportOrder[] = ['sessionwatch-first', 'passport-first'];
const STORES = ['cookie', 'redis'] as const;

/** What `/guarded` says to a browser that must not be authenticated. */
const NOBODY = { authenticated: false, stateUser: null, reqUser: null, tracked: null };

describe.each(DATABASE_KINDS)('koa-passport on %s', (kind) => {
  let db: TestDatabase;
  let redis: Redis;
  const prefix = `sw-passport:${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await db.drop();
  });

  describe.each(STORES)('with %s sessions', (storeKind) => {
    describe.each(ORDERS)('%s', (order) => {
      let app: PassportApp;
      const ended: SessionEndedEvent[] = [];
      const redisPrefix = `${prefix}${storeKind}:${order}:`;
      const entry = (browser: TestClient) => `${redisPrefix}${browser.cookies.get('sid')}`;

      beforeAll(async () => {
        const sessionStore = storeKind === 'redis' ? redisSessionStore(redis, { prefix: redisPrefix }) : undefined;
        app = await startPassportApp(
          {
            database: db.url,
            schema: db.schema,
            tableName: `pp_${storeKind}_${order.split('-')[0]}`,
            sessionStore,
            warnAfter: 540,
            expireAfter: 600,
          },
          { order, sessionStore },
        );
        app.sw.on('sessionEnded', (event) => ended.push(event));
      });
      afterAll(() => app.stop());

      async function logIn(form: LoginForm, username = 'alice'): Promise<TestClient> {
        const browser = new TestClient(app.url);
        const res = await browser.post(`${form}?username=${username}&password=${username}`);
        expect([302, 200]).toContain(res.status);
        if (res.status === 302) expect(res.headers.get('location')).toBe('/app');
        return browser;
      }

      test.each(LOGIN_FORMS)('%s: tracked with the right user id; a revoked cookie, replayed, is never authenticated', async (form) => {
        const browser = await logIn(form);
        const stolen = browser.clone();
        expect((await browser.get('/guarded')).body).toMatchObject({
          authenticated: true,
          stateUser: 'alice',
          reqUser: 'alice',
          tracked: '1',
        });
        const current = (await browser.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current);
        expect((await app.sw.listSessions(1)).map((s) => s.id)).toContain(current!.id);
        if (storeKind === 'redis') expect(await redis.exists(entry(browser))).toBe(1);

        // The password-change recipe: every session of the user ends.
        expect(await app.sw.revokeAll(1)).toBeGreaterThanOrEqual(1);
        if (storeKind === 'redis') expect(await redis.exists(entry(stolen))).toBe(0);
        for (let i = 0; i < 3; i++) {
          const replay = stolen.clone();
          const res = await replay.post('/guarded');
          expect([res.status, res.body]).toEqual([401, { ...NOBODY, returnTo: null }]);
          expect(res.headers.get('session-ended')).toBe('revoked');
        }
        const api = await stolen.clone().get('/session/sessions');
        expect([api.status, api.body]).toEqual([401, { error: 'session_revoked', endedFor: anyNumber() }]);
        // The browser signs in again: a live session, no longer told of the one that ended.
        expect((await browser.post(`${form}?username=alice&password=alice`)).status).toBeLessThan(400);
        const again = await browser.get('/guarded');
        expect([again.status, again.headers.get('session-ended')]).toEqual([200, null]);
      });

      test.each(LOGIN_FORMS)('%s: an idle-expired cookie, replayed, is never authenticated', async (form) => {
        const browser = await logIn(form, 'bob');
        expect((await browser.get('/guarded')).status).toBe(200);
        app.clock.advance(700); // past expireAfter and the activity throttle's grace
        for (let i = 0; i < 2; i++) {
          const res = await browser.clone().post('/guarded');
          expect([res.status, res.body]).toEqual([401, { ...NOBODY, returnTo: null }]);
          expect(res.headers.get('session-ended')).toBe('expired');
        }
      });

      test('ctx.logout() alone ends the tracked session; the cookie from before it is logged out too', async () => {
        const browser = await logIn('/login');
        const before = browser.clone();
        const [session] = (await browser.get<SessionListResponse>('/session/sessions')).body.sessions;
        ended.length = 0;
        const res = await browser.post('/logout');
        // The route answered before the end of its request, where sessionwatch follows the logout.
        expect(res.body).toEqual({ ...NOBODY, tracked: '1' });
        expect(res.headers.get('session-ended')).toBe('logged-out');
        expect(ended).toEqual([objectContaining({ reason: 'logged-out', session: objectContaining({ id: session.id }) })]);
        expect((await app.sw.listSessions(1)).map((s) => s.id)).not.toContain(session.id);
        expect((await browser.post('/guarded')).status).toBe(401);
        expect((await before.post('/guarded')).body).toMatchObject(NOBODY);
        expect((await browser.post('/session/ping', { json: { idleFor: 0 } })).status).toBe(401);
      });

      test('the record follows the store key passport leaves, so that revoking it destroys the entry in use', async () => {
        for (const form of ['/login/sw-before', '/login/sw-after', '/login'] as const) {
          const browser = await logIn(form);
          const [session] = (await browser.get<SessionListResponse>('/session/sessions')).body.sessions.filter((s) => s.current);
          if (storeKind === 'redis') expect(await redis.exists(entry(browser))).toBe(1);
          expect(await app.sw.revokeSession(1, session.id)).toBe(true);
          if (storeKind === 'redis') expect(await redis.exists(entry(browser))).toBe(0);
          expect((await browser.post('/guarded')).status).toBe(401);
        }
      });

      test("data kept across passport's login (returnTo) survives; sw.login after ctx.login keeps passport's login", async () => {
        const browser = new TestClient(app.url);
        await browser.post('/return-to?to=/reports');
        expect((await browser.post('/login?username=alice&password=alice&keep=1')).status).toBe(302);
        expect((await browser.get('/guarded')).body).toMatchObject({ authenticated: true, tracked: '1', returnTo: '/reports' });

        const again = await logIn('/login/sw-after');
        expect((await again.get('/guarded')).body).toMatchObject({ authenticated: true, stateUser: 'alice', tracked: '1' });
      });

      test('logging in again as the same user makes a new session: the cookie from before is useless', async () => {
        for (const form of LOGIN_FORMS) {
          const browser = await logIn(form, 'bob');
          const before = browser.clone();
          const first = (await browser.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current)!.id;
          expect((await browser.post(`${form}?username=bob&password=bob`)).status).toBeLessThan(400);
          const second = (await browser.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current)!.id;
          expect(second).not.toBe(first);
          expect((await app.sw.listSessions(2)).map((s) => s.id)).not.toContain(first);
          expect((await before.post('/guarded')).body).toMatchObject(NOBODY);
          expect((await browser.post('/guarded')).body).toMatchObject({ authenticated: true, tracked: '2' });
        }
      });

      test('a wrong password creates nothing', async () => {
        const before = await app.sw.listSessions(2);
        const browser = new TestClient(app.url);
        expect((await browser.post('/login?username=bob&password=wrong')).headers.get('location')).toBe('/login');
        expect((await browser.post('/login/ctx?username=bob&password=wrong')).status).toBe(401);
        expect((await browser.get('/guarded')).body).toMatchObject(NOBODY);
        expect(await app.sw.listSessions(2)).toEqual(before);
      });
    });
  });

  describe('logins sessionwatch never saw', () => {
    let plain: PassportApp;
    let watched: PassportApp;
    let tracking: PassportApp;
    beforeAll(async () => {
      // The same keys and cookie name: a cookie of the app before sessionwatch was installed.
      plain = await startPassportApp({ database: db.url, schema: db.schema, tableName: 'pp_plain' }, { order: 'none' });
      watched = await startPassportApp({ database: db.url, schema: db.schema, tableName: 'pp_untracked' }, { order: 'passport-first' });
      tracking = await startPassportApp(
        { database: db.url, schema: db.schema, tableName: 'pp_adopt', passport: { untracked: 'track' } },
        { order: 'sessionwatch-first' },
      );
    });
    afterAll(async () => {
      await plain.stop();
      await watched.stop();
      await tracking.stop();
    });

    async function untrackedCookie(): Promise<TestClient> {
      const browser = new TestClient(plain.url);
      await browser.post('/login/ctx?username=alice&password=alice');
      expect((await browser.get('/guarded')).status).toBe(200);
      return browser;
    }

    test('by default such a login is logged out on its first request (passport.untracked: "end")', async () => {
      const browser = await untrackedCookie();
      const there = new TestClient(watched.url);
      for (const [name, value] of browser.cookies) there.cookies.set(name, value);
      const res = await there.post('/guarded');
      expect([res.status, res.body]).toEqual([401, { ...NOBODY, returnTo: null }]);
      expect(await watched.sw.listSessions(1)).toEqual([]);
    });

    test('passport.untracked: "track" tracks it from its first request; a copy of that cookie is refused, for good', async () => {
      const browser = await untrackedCookie();
      const stolen = browser.clone();
      const there = new TestClient(tracking.url);
      for (const [name, value] of browser.cookies) there.cookies.set(name, value);
      const copy = there.clone();
      expect((await there.post('/guarded')).body).toMatchObject({ authenticated: true, tracked: '1' });
      expect(await tracking.sw.listSessions(1)).toHaveLength(1);
      // The cookie from before the adoption, replayed (with cookie sessions it is the whole session):
      // never adopted a second time, never authenticated.
      for (let i = 0; i < 3; i++) {
        const replay = copy.clone();
        expect((await replay.post('/guarded')).body).toMatchObject(NOBODY);
      }
      expect(await tracking.sw.listSessions(1)).toHaveLength(1);
      expect((await there.post('/guarded')).body).toMatchObject({ authenticated: true, tracked: '1' });
      expect(await tracking.sw.revokeAll(1)).toBe(1);
      expect((await there.post('/guarded')).body).toMatchObject(NOBODY);
      expect((await copy.clone().post('/guarded')).body).toMatchObject(NOBODY);
      expect(stolen.cookies.size).toBeGreaterThan(0);
    });
  });

  test('passport with another session key: the login fails loudly (500 misconfigured naming the key) until passport.key says it', async () => {
    const wrong = await startPassportApp(
      { database: db.url, schema: db.schema, tableName: 'pp_key' },
      { order: 'passport-first', key: 'auth' },
    );
    const right = await startPassportApp(
      { database: db.url, schema: db.schema, tableName: 'pp_key_ok', passport: { key: 'auth' } },
      { order: 'sessionwatch-first', key: 'auth' },
    );
    try {
      const res = await new TestClient(wrong.url).post('/login/ctx?username=alice&password=alice');
      expect([res.status, res.body]).toEqual([500, { error: 'misconfigured', message: stringContaining('passport: { key: "auth" }') }]);
      const ok = new TestClient(right.url);
      expect((await ok.post('/login?username=alice&password=alice')).status).toBe(302);
      expect((await ok.get('/guarded')).body).toMatchObject({ authenticated: true, tracked: '1' });
      await right.sw.revokeAll(1);
      expect((await ok.get('/guarded')).body).toMatchObject(NOBODY);
    } finally {
      await wrong.stop();
      await right.stop();
    }
  });

  test('a serialized object needs passport.userId: without it the login fails loudly (500 misconfigured) and leaves no login', async () => {
    const serialize = (user: { id: number; username: string }) => ({ id: user.id, name: user.username });
    const wrong = await startPassportApp(
      { database: db.url, schema: db.schema, tableName: 'pp_object' },
      { order: 'passport-first', serialize },
    );
    const right = await startPassportApp(
      { database: db.url, schema: db.schema, tableName: 'pp_object_ok', passport: { userId: (user) => (user as { id: number }).id } },
      { order: 'passport-first', serialize },
    );
    try {
      const browser = new TestClient(wrong.url);
      const res = await browser.post('/login?username=alice&password=alice');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: 'misconfigured', message: stringContaining('passport: { userId: (user) => user.id }') });
      // What it is, never its values (the body reaches the browser).
      expect((res.body as { message: string }).message).toContain('an object (keys: id, name)');
      expect(res.text).not.toContain('alice');
      expect((await browser.get('/guarded')).body).toMatchObject(NOBODY);

      const ok = new TestClient(right.url);
      expect((await ok.post('/login?username=alice&password=alice')).status).toBe(302);
      expect((await ok.get('/guarded')).body).toMatchObject({ authenticated: true, tracked: '1' });
    } finally {
      await wrong.stop();
      await right.stop();
    }
  });
});
