/**
 * The SessionWatch instance with a manual clock (no sleeping): time rules, events, the sweep,
 * CSRF refusal and failing closed.
 */
import Koa from 'koa';
import { startMiniApp, type MiniApp } from '../test/support/mini-app';
import { TestClient } from '../test/support/http-client';
import type { PingResponse, SessionListResponse } from '../shared/protocol';
import { MemoryStore } from './store/memory-store';
import { SessionWatch } from './sessionwatch';
import type { SessionEndedEvent } from './sessionwatch';
import { anyNumber, anyString, stringMatching } from '../test/support/matchers';

describe('SessionWatch with a manual clock', () => {
  let app: MiniApp;
  let ended: SessionEndedEvent[];

  async function login(user = 'alice'): Promise<TestClient> {
    const c = new TestClient(app.url);
    expect((await c.post(`/login?user=${user}`)).status).toBe(200);
    return c;
  }

  beforeEach(async () => {
    app = await startMiniApp({ warnAfter: 60, expireAfter: 100, touchInterval: 5 });
    ended = [];
    app.sw.on('sessionEnded', (e) => ended.push(e));
  });
  afterEach(async () => {
    await app.stop();
  });

  test('a session lives exactly until expireAfter + touchInterval after its last recorded activity', async () => {
    const c = await login();
    app.clock.advance(104.9);
    expect((await c.get('/me')).status).toBe(200); // activity at 104.9 (recorded: 104.9 ≥ 5 s since login)
    app.clock.advance(104.9);
    expect((await c.get('/poll')).status).toBe(200); // passive
    app.clock.advance(0.2);
    expect((await c.get('/poll')).status).toBe(401);
    expect(ended.map((e) => e.reason)).toEqual(['expired']);
  });

  test('throttled activity is never lost to an early expiry', async () => {
    const c = await login();
    app.clock.advance(4); // within the touch interval: not written
    expect((await c.get('/me')).status).toBe(200);
    // Real inactivity since the last request is 100 s here: still alive.
    app.clock.advance(100);
    expect((await c.get('/poll')).status).toBe(200);
    app.clock.advance(1); // 105 s since the stored activity: ended, 101 s after the real one
    expect((await c.get('/poll')).status).toBe(401);
  });

  test('maxAge ends a session however active it is', async () => {
    await app.stop();
    app = await startMiniApp({ warnAfter: 60, expireAfter: 100, maxAge: 300 });
    const c = await login();
    for (let t = 50; t < 300; t += 50) {
      app.clock.advance(50);
      expect((await c.get('/me')).status).toBe(200); // active all along: 50 s … 250 s
    }
    app.clock.advance(50); // 300 s since login
    const res = await c.post('/session/ping', { json: { idleFor: 0 } });
    expect(res.body).toEqual({ error: 'session_expired', endedFor: anyNumber() });
  });

  test('the ping answer names the session (as listed) and its user by an opaque tag: the same for the same user only', async () => {
    const ping = async (c: TestClient) => (await c.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body;
    const first = await login('alice');
    app.clock.advance(10);
    const again = await login('alice');
    const other = await login('bob');
    const [a1, a2, b] = [await ping(first), await ping(again), await ping(other)];
    const listed = (await first.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current);
    expect(a1.session).toBe(listed?.id);
    expect(a1.createdAt).toBe(listed?.createdAt);
    expect(new Set([a1.session, a2.session, b.session]).size).toBe(3);
    expect(Date.parse(a2.createdAt)).toBeGreaterThan(Date.parse(a1.createdAt));
    expect(a1.user).toBe(a2.user);
    expect(b.user).not.toBe(a1.user);
    for (const tag of [a1.user, b.user]) expect(tag).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify([a1, b])).not.toMatch(/alice|bob/);
  });

  test('without a secret nor app.keys the tag is null, said once in the log', async () => {
    await app.stop();
    const lines: string[] = [];
    const errors: unknown[] = [];
    app = await startMiniApp(
      { warnAfter: 60, expireAfter: 100, logger: { error: (m: string, e?: unknown) => (lines.push(m), errors.push(e)) } },
      { keys: null },
    );
    const c = await login();
    for (let i = 0; i < 2; i++) expect((await c.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body.user).toBeNull();
    expect(lines).toEqual([stringMatching(/neither the "secret" option nor app.keys/)]);
    // Advice, not a failure: no error object (nor its stack) with it.
    expect(errors).toEqual([undefined]);
  });

  test('the secret option wins over app.keys, and is never echoed when refused', async () => {
    await app.stop();
    app = await startMiniApp({ warnAfter: 60, expireAfter: 100, secret: 'one-secret-for-all-instances' });
    const tag = (await (await login()).post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body.user;
    await app.stop();
    app = await startMiniApp({ warnAfter: 60, expireAfter: 100, secret: 'one-secret-for-all-instances' }, { keys: ['something-else'] });
    expect((await (await login()).post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body.user).toBe(tag);
    expect(() => new SessionWatch({ secret: 'short-pw' })).toThrow(
      /"secret" must be a string of at least 16 characters \(got 8 characters\)/,
    );
    expect(() => new SessionWatch({ secret: 'short-pw' })).not.toThrow(/short-pw/);
  });

  test('the ping is passive: idleFor is merged, not replaced by now', async () => {
    const c = await login();
    app.clock.advance(50);
    const res = await c.post('/session/ping', { json: { idleFor: 50 } });
    expect(res.body).toEqual({
      idleFor: 50,
      warnAfter: 60,
      expireAfter: 100,
      maxAgeLeft: null,
      session: anyString(),
      createdAt: anyString(),
      user: anyString(),
    });
    const res2 = await c.post<PingResponse>('/session/ping', { json: { idleFor: 20 } });
    expect(res2.body.idleFor).toBe(20);
  });

  test('the sweep ends idle records that never come back, emits sessionEnded, and purges old ones', async () => {
    await login('alice');
    await login('bob');
    app.clock.advance(106);
    const result = await app.sw.sweep();
    expect(result.expired).toHaveLength(2);
    expect(ended.map((e) => e.reason)).toEqual(['expired', 'expired']);
    expect(await app.sw.store.count({ activeOnly: true })).toBe(0);
    app.clock.advance(7 * 24 * 3600 + 1);
    expect((await app.sw.sweep()).deleted).toBe(2);
    expect(await app.sw.store.count()).toBe(0);
  });

  test('cross-site state-changing requests are refused with 403', async () => {
    const c = await login();
    const cases: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: 'https://sub.example' },
    ];
    for (const headers of cases) {
      for (const [method, path] of [
        ['POST', '/session/ping'],
        ['DELETE', '/session/sessions'],
        ['POST', '/session/logout'],
      ]) {
        const res = await c.request(method, path, { json: { idleFor: 0 }, headers });
        expect([method, path, res.status]).toEqual([method, path, 403]);
        expect(res.body).toEqual({ error: 'forbidden', message: anyString() });
      }
    }
    // Same-origin requests pass.
    const same = await c.post('/session/ping', { json: { idleFor: 0 }, headers: { origin: app.url, 'sec-fetch-site': 'same-origin' } });
    expect(same.status).toBe(200);
    expect((await c.get('/me')).status).toBe(200);
  });

  test('login refuses a bad user id', async () => {
    const koa = new Koa();
    const fakeCtx = koa.createContext({ headers: {}, socket: {} } as never, {} as never);
    await expect(app.sw.login(fakeCtx, '')).rejects.toThrow(TypeError);
    await expect(app.sw.login(fakeCtx, { id: 1 } as never)).rejects.toThrow(/userId/);
  });

  test('login refuses bad options: not an object, an unknown key', async () => {
    const koa = new Koa();
    const fakeCtx = koa.createContext({ headers: {}, socket: {} } as never, {} as never);
    await expect(app.sw.login(fakeCtx, 'alice', null as never)).rejects.toThrow(/login options must be an object/);
    await expect(app.sw.login(fakeCtx, 'alice', { polcy: {} } as never)).rejects.toThrow(
      /unknown login option "polcy" \(known: policy, idp, keepSessionInfo\)/,
    );
  });
  describe("sw.setPolicy: a live session's limits changed after login", () => {
    const ping = async (c: TestClient) => c.post<PingResponse>('/session/ping', { json: { idleFor: 0 } });
    const idOf = async (c: TestClient) => (await c.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current)!.id;

    test("every live session of the user gets the new limits at once, nobody else's; null puts them back on the global options", async () => {
      const [a1, a2, bob] = [await login('alice'), await login('alice'), await login('bob')];
      expect(await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30, maxAge: null })).toBe(2);
      for (const c of [a1, a2]) expect((await ping(c)).body).toMatchObject({ warnAfter: 20, expireAfter: 30, maxAgeLeft: null });
      expect((await ping(bob)).body).toMatchObject({ warnAfter: 60, expireAfter: 100 });
      // The new idle limit is the server's own: 30 s + the throttle after the last activity, the session is over.
      app.clock.advance(20);
      expect((await ping(a2)).status).toBe(200);
      app.clock.advance(15);
      expect((await a1.get('/poll')).status).toBe(401);
      expect(ended.map((e) => [e.session.userId, e.reason])).toEqual([['alice', 'expired']]);
      expect(await app.sw.setPolicy('alice', null)).toBe(1);
      expect((await ping(a2)).body).toMatchObject({ warnAfter: 60, expireAfter: 100, maxAgeLeft: null });
      app.clock.advance(35);
      expect((await a2.get('/poll')).status).toBe(200);
    });

    test('a field left out takes the global option, not the session own value (as at login)', async () => {
      const c = await login();
      await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30 });
      await app.sw.setPolicy('alice', { expireAfter: 90 });
      expect((await ping(c)).body).toMatchObject({ warnAfter: 60, expireAfter: 90, maxAgeLeft: null });
    });

    test("sessionId changes that session only; an unknown, ended or another user's id changes none", async () => {
      const [a1, a2, bob] = [await login('alice'), await login('alice'), await login('bob')];
      const [id1, bobId] = [await idOf(a1), await idOf(bob)];
      expect(await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30 }, { sessionId: id1 })).toBe(1);
      expect([(await ping(a1)).body.expireAfter, (await ping(a2)).body.expireAfter]).toEqual([30, 100]);
      expect(await app.sw.setPolicy('alice', { expireAfter: 200, warnAfter: 100 }, { sessionId: bobId })).toBe(0);
      expect(await app.sw.setPolicy('alice', { expireAfter: 200, warnAfter: 100 }, { sessionId: 'A'.repeat(22) })).toBe(0);
      expect((await ping(bob)).body.expireAfter).toBe(100);
      await app.sw.revokeSession('alice', id1);
      expect(await app.sw.setPolicy('alice', { expireAfter: 200, warnAfter: 100 }, { sessionId: id1 })).toBe(0);
    });

    test('a shorter limit already past ends the session now, as expired, and counts it', async () => {
      const c = await login();
      app.clock.advance(50);
      expect(await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30 })).toBe(1);
      expect(ended.map((e) => e.reason)).toEqual(['expired']);
      expect((await ping(c)).body).toMatchObject({ error: 'session_expired' });
      expect((await app.sw.history('alice')).events.map((e) => e.type)).toEqual(['expired', 'login']);
    });

    test('a longer limit never revives a session already past its deadline: it ends as expired, and is not counted', async () => {
      const c = await login();
      app.clock.advance(106); // past expireAfter + touchInterval, not swept yet
      expect(await app.sw.setPolicy('alice', { warnAfter: 3000, expireAfter: 3600 })).toBe(0);
      expect(ended.map((e) => e.reason)).toEqual(['expired']);
      expect((await c.get('/poll')).status).toBe(401);
    });

    test("a bad policy is refused as a login's is, naming sw.setPolicy, and changes nothing; bad options too", async () => {
      const c = await login();
      await expect(app.sw.setPolicy('alice', { warnAfter: 200 })).rejects.toThrow(
        new RangeError('sessionwatch: policy "warnAfter" (200) must be less than "expireAfter" (100), from sw.setPolicy(…)'),
      );
      await expect(app.sw.setPolicy('alice', { expireAfer: 90 } as never)).rejects.toThrow(
        /unknown policy field "expireAfer" \(did you mean "expireAfter"\?\), from sw\.setPolicy/,
      );
      await expect(app.sw.setPolicy('alice', { maxAge: -1 })).rejects.toThrow(RangeError);
      await expect(app.sw.setPolicy('alice', '900' as never)).rejects.toThrow(TypeError);
      await expect(app.sw.setPolicy('', {})).rejects.toThrow(/userId/);
      await expect(app.sw.setPolicy('alice', {}, null as never)).rejects.toThrow(/setPolicy options must be an object/);
      await expect(app.sw.setPolicy('alice', {}, { session: 'x' } as never)).rejects.toThrow(/unknown option "session"/);
      await expect(app.sw.setPolicy('alice', {}, { sessionId: 5 } as never)).rejects.toThrow(/sessionId must be a string/);
      expect((await ping(c)).body).toMatchObject({ warnAfter: 60, expireAfter: 100, maxAgeLeft: null });
    });
  });
});

describe('failing closed', () => {
  test('a store that fails or hangs gives 503 unavailable quickly, never a valid session', async () => {
    const store = new MemoryStore();
    let mode: 'ok' | 'fail' | 'hang' = 'ok';
    const realFind = store.findByTokenHash.bind(store);
    store.findByTokenHash = async (hash) => {
      if (mode === 'fail') throw new Error('connection refused');
      if (mode === 'hang') return new Promise(() => {});
      return realFind(hash);
    };
    const logged: string[] = [];
    const app = await startMiniApp({ database: store, queryTimeout: 0.3, logger: { error: (message) => logged.push(message) } });
    try {
      const c = new TestClient(app.url);
      await c.post('/login');
      mode = 'fail';
      let res = await c.get('/me');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: 'unavailable' });
      mode = 'hang';
      const start = Date.now();
      res = await c.get('/session/sessions');
      expect(res.status).toBe(503);
      expect(Date.now() - start).toBeLessThan(2000);
      mode = 'ok';
      expect((await c.get('/me')).status).toBe(200);
      expect(logged).toEqual([
        'sessionwatch: session database error (requests fail closed with 503): connection refused',
        'sessionwatch: session database error (requests fail closed with 503): store call timed out after 300 ms',
      ]);
    } finally {
      await app.stop();
    }
  });
});

describe('misconfiguration', () => {
  // Issue 13: the error now answers as JSON and goes to the `logger` option (once), not to Koa's.
  test('without koa-session the first request fails with a clear message', async () => {
    const errors: string[] = [];
    const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 0, logger: { error: (message) => errors.push(message) } });
    const koa = new Koa();
    koa.silent = true;
    koa.use(sw.middleware());
    const server = koa.listen(0);
    try {
      const port = (server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(500);
      expect(errors[0]).toMatch(/needs koa-session/);
      expect(await res.json()).toEqual({ error: 'misconfigured', message: stringMatching(/mount sw\.middleware\(\) after koa-session/) });
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(500);
      expect(errors).toHaveLength(1);
    } finally {
      server.close();
      await sw.close();
    }
  });
});

describe('listeners of sessionCreated / sessionEnded', () => {
  test('one that throws, or an async one that rejects, is said once in the log; the login and the logout go on', async () => {
    const errors: string[] = [];
    const app = await startMiniApp({ logger: { error: (message) => errors.push(message) } });
    app.sw.on('sessionCreated', () => {
      throw new Error('mailer down');
    });
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async listener, as apps write them
    app.sw.on('sessionEnded', async () => {
      await Promise.resolve();
      throw new Error('audit down');
    });
    try {
      const c = new TestClient(app.url);
      for (let i = 0; i < 2; i++) expect((await c.post('/login')).status).toBe(200);
      expect((await c.get('/me')).status).toBe(200);
      expect((await c.post('/session/logout')).status).toBe(204);
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([
        'sessionwatch: a "sessionCreated" listener failed (mailer down); listeners must handle their own errors',
        'sessionwatch: a "sessionEnded" listener failed (audit down); listeners must handle their own errors',
      ]);
    } finally {
      await app.stop();
    }
  });

  test('newDevice: a live session from before the security log counts as a known device', async () => {
    const app = await startMiniApp();
    try {
      const c = new TestClient(app.url);
      await c.post('/login?user=olduser');
      const [session] = await app.sw.listSessions('olduser');
      // As after the upgrade that added the log: a live session, no login entry.
      const store = (app.sw as unknown as { store: MemoryStore }).store;
      const record = (await store.findById(session.id))!;
      await app.sw.close();
      const fresh = new MemoryStore();
      await fresh.insert(record);
      const upgraded = await startMiniApp({ database: fresh });
      try {
        const created: boolean[] = [];
        upgraded.sw.on('sessionCreated', ({ newDevice }) => created.push(newDevice));
        await new TestClient(upgraded.url).post('/login?user=olduser');
        await new TestClient(upgraded.url, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0').post(
          '/login?user=olduser',
        );
        expect(created).toEqual([false, true]);
      } finally {
        await upgraded.stop();
      }
    } finally {
      await app.stop().catch(() => undefined);
    }
  });
});

describe('a geoip database that cannot be opened', () => {
  test('migrate() rejects with the reason; a login without migrate() answers 500 misconfigured, said once', async () => {
    const errors: string[] = [];
    const options = { geoip: { database: __filename }, logger: { error: (message: string) => errors.push(message) } };
    await expect(new SessionWatch({ database: new MemoryStore(), ...options }).migrate()).rejects.toThrow(/is not a MaxMind database/);
    const app = await startMiniApp(options, { migrate: false });
    try {
      const c = new TestClient(app.url);
      for (let i = 0; i < 2; i++) {
        const res = await c.post<{ error: string; message: string }>('/login');
        expect([res.status, res.body.error]).toEqual([500, 'misconfigured']);
        expect(res.body.message).toMatch(/is not a MaxMind database/);
      }
      expect(errors.filter((e) => /MaxMind/.test(e))).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });

  test('without the maxmind package: migrate() says to install it', async () => {
    jest.resetModules();
    jest.doMock('maxmind', () => {
      throw new Error("Cannot find module 'maxmind'");
    });
    try {
      const { SessionWatch: Isolated } = await import('./sessionwatch');
      const { MemoryStore: Memory } = await import('./store/memory-store');
      const sw = new Isolated({ database: new Memory(), geoip: { database: __filename } });
      await expect(sw.migrate()).rejects.toThrow('sessionwatch: option "geoip" needs the maxmind package: npm install maxmind');
    } finally {
      jest.dontMock('maxmind');
    }
  });
});

describe('the background sweep', () => {
  afterEach(() => jest.useRealTimers());

  test('runs every sweepInterval once the middleware is mounted, and stops on close', async () => {
    jest.useFakeTimers();
    const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 30 });
    const sweep = jest.spyOn(sw, 'sweep');
    sw.middleware();
    await jest.advanceTimersByTimeAsync(29_000);
    expect(sweep).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(sweep).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sweep).toHaveBeenCalledTimes(3);
    await sw.close();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sweep).toHaveBeenCalledTimes(3);
  });

  test('sweepInterval 0 turns it off', async () => {
    jest.useFakeTimers();
    const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 0 });
    const sweep = jest.spyOn(sw, 'sweep');
    sw.middleware();
    await jest.advanceTimersByTimeAsync(3_600_000);
    expect(sweep).not.toHaveBeenCalled();
    await sw.close();
  });
});
