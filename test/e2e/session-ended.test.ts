/**
 * Why a session ended reaches the browser, on every request (issue 13, points 5 to 7), over real
 * HTTP on real SQLite and Postgres, with a manual clock: the `Session-Ended` header on app routes
 * and the API, kept on later requests; a ping at the deadline ends the session as `expired`;
 * lists never show a session past its deadline.
 */
import { SESSION_ENDED_HEADER, type ErrorBody, type PingResponse, type SessionListResponse } from '../../shared/protocol';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { startMiniApp, type MiniApp } from '../support/mini-app';
import { waitUntilAcquainted } from '../support/instances';
import { MemorySessionStore } from '../../example/memory-session-store';
import type { SessionEndedEvent } from '../../backend/sessionwatch';
import { anyNumber } from '../support/matchers';

const header = (res: { headers: Headers }) => res.headers.get(SESSION_ENDED_HEADER);

describe.each(DATABASE_KINDS)('the end reason on %s', (kind) => {
  let db: TestDatabase;
  let app: MiniApp;
  let ended: SessionEndedEvent[];

  async function start(options: Parameters<typeof startMiniApp>[0] = {}, store?: MemorySessionStore): Promise<MiniApp> {
    const started = await startMiniApp(
      { database: db.url, schema: db.schema, warnAfter: 30, expireAfter: 60, touchInterval: 3, ...options },
      { sessionStore: store },
    );
    started.sw.on('sessionEnded', (e) => ended.push(e));
    return started;
  }

  async function loggedIn(on: MiniApp = app, user = 'alice'): Promise<TestClient> {
    const c = new TestClient(on.url);
    expect((await c.post(`/login?user=${user}`)).status).toBe(200);
    return c;
  }

  const idOf = async (c: TestClient) => (await c.get<SessionListResponse>('/session/sessions')).body.sessions[0].id;

  beforeEach(async () => {
    ended = [];
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await app?.stop();
    await db.drop();
  });

  describe.each([
    ['cookie sessions', () => undefined],
    ['an external store', () => new MemorySessionStore()],
  ])('revoked, with %s', (_name, makeStore) => {
    test('app routes and the API say "revoked" on the ending request and on every later one', async () => {
      const store = makeStore();
      app = await start({}, store);
      const a = await loggedIn();
      const b = await loggedIn();
      const replay = b.clone();
      const bId = await idOf(b);
      expect((await a.delete(`/session/sessions/${bId}`)).status).toBe(204);

      const first = await b.get('/me');
      expect([first.status, header(first)]).toEqual([401, 'revoked']);
      for (let i = 0; i < 3; i++) {
        const me = await b.get('/me');
        expect([me.status, header(me)]).toEqual([401, 'revoked']);
        const ping = await b.post('/session/ping', { json: { idleFor: 0 } });
        expect([ping.status, ping.body, header(ping)]).toEqual([401, { error: 'session_revoked', endedFor: anyNumber() }, 'revoked']);
        const list = await b.get('/session/sessions');
        expect([list.status, list.body, header(list)]).toEqual([401, { error: 'session_revoked', endedFor: anyNumber() }, 'revoked']);
        app.clock.advance(10);
      }
      // Koa's own error answer (the app throws) keeps it too.
      const thrown = await b.get('/private');
      expect([thrown.status, header(thrown)]).toEqual([401, 'revoked']);
      // The original cookie, replayed.
      const replayed = await replay.get('/session/sessions');
      expect([replayed.body, header(replayed)]).toEqual([{ error: 'session_revoked', endedFor: anyNumber() }, 'revoked']);
      // The revoker is untouched and gets no header.
      const ok = await a.get('/me');
      expect([ok.status, header(ok)]).toEqual([200, null]);
      // Logging in again on that browser: a fresh session, no header.
      const login = await b.post('/login');
      expect([login.status, header(login)]).toEqual([200, null]);
      const after = await b.get('/me');
      expect([after.status, header(after)]).toEqual([200, null]);
    });
  });

  test('revoking its own session: that browser keeps getting "revoked"', async () => {
    app = await start();
    const c = await loggedIn();
    const own = await c.delete(`/session/sessions/${await idOf(c)}`);
    expect([own.status, header(own)]).toEqual([204, 'revoked']);
    for (let i = 0; i < 2; i++) {
      const res = await c.get('/session/sessions');
      expect([res.body, header(res)]).toEqual([{ error: 'session_revoked', endedFor: anyNumber() }, 'revoked']);
    }
  });

  test('once the ended record is past retention, the browser is simply logged out', async () => {
    app = await start({ retention: 60 });
    const a = await loggedIn();
    const b = await loggedIn();
    await a.delete(`/session/sessions/${await idOf(b)}`);
    expect(header(await b.get('/me'))).toBe('revoked');
    app.clock.advance(120);
    await app.sw.sweep();
    const later = await b.get('/session/sessions');
    expect([later.body, header(later)]).toEqual([{ error: 'unauthenticated' }, null]);
  });

  test('the 401 of an ended session says how long ago it ended (endedFor), on every later request', async () => {
    app = await start();
    const a = await loggedIn();
    const b = await loggedIn();
    expect((await a.delete(`/session/sessions/${await idOf(b)}`)).status).toBe(204);
    app.clock.advance(5);
    expect((await b.get('/session/sessions')).body).toEqual({ error: 'session_revoked', endedFor: 5 });
    app.clock.advance(2.5);
    expect((await b.post('/session/ping', { json: { idleFor: 0 } })).body).toEqual({ error: 'session_revoked', endedFor: 7.5 });
  });

  test('logout says "logged-out" on its own answer only', async () => {
    app = await start();
    const c = await loggedIn();
    const out = await c.post('/session/logout');
    expect([out.status, header(out)]).toEqual([204, 'logged-out']);
    const next = await c.get('/session/sessions');
    expect([next.body, header(next)]).toEqual([{ error: 'unauthenticated' }, null]);
  });

  test('a ping at the deadline ends the session as expired; the cookie keeps getting session_expired', async () => {
    app = await start();
    const c = await loggedIn();
    const id = await idOf(c);
    const replay = c.clone();
    app.clock.advance(59.2); // past expireAfter - EXPIRY_TOLERANCE_S, before expireAfter + touchInterval
    const ping = await c.post('/session/ping', { json: { idleFor: 59.2 } });
    expect([ping.status, ping.body, header(ping)]).toEqual([401, { error: 'session_expired', endedFor: anyNumber() }, 'expired']);
    expect(ended.map((e) => [e.session.id, e.reason])).toEqual([[id, 'expired']]);
    expect(await app.sw.store.findById(id)).toMatchObject({ endReason: 'expired', endedAt: app.clock.now });
    for (const browser of [c, replay]) {
      const again = await browser.post('/session/ping', { json: { idleFor: 0 } });
      expect([again.body, header(again)]).toEqual([{ error: 'session_expired', endedFor: anyNumber() }, 'expired']);
      expect(header(await browser.get('/me'))).toBe('expired');
    }
  });

  test('a logout that says the deadline passed is recorded as expired when the server agrees, as logged-out when not', async () => {
    app = await start();
    const idle = await loggedIn();
    const active = await loggedIn(app, 'bob');
    const [idleId, activeId] = [await idOf(idle), await idOf(active)];
    app.clock.advance(30);
    expect((await active.get('/me')).status).toBe(200); // bob's activity, written
    app.clock.advance(29.5);
    for (const c of [idle, active]) {
      const out = await c.post('/session/logout', { json: { reason: 'expired' } });
      expect(out.status).toBe(204);
    }
    expect(ended.map((e) => [e.session.id, e.reason])).toEqual([
      [idleId, 'expired'],
      [activeId, 'logged-out'],
    ]);
    expect(header(await idle.get('/me'))).toBe('expired');
  });

  test('a logout body other than {} or {"reason":"expired"} is a 400 and logs nothing out', async () => {
    app = await start();
    const c = await loggedIn();
    for (const json of [{ reason: 'revoked' }, { reason: 'expired', extra: 1 }, [1]]) {
      const res = await c.post<ErrorBody>('/session/logout', { json });
      expect([res.status, res.body.error]).toEqual([400, 'bad_request']);
    }
    expect((await c.get('/session/sessions')).status).toBe(200);
    expect((await c.post('/session/logout')).status).toBe(204);
  });

  test("a client cannot forge an early expiry: the server's own newer activity wins", async () => {
    app = await start();
    const c = await loggedIn();
    app.clock.advance(30);
    expect((await c.get('/me')).status).toBe(200); // activity, written (past touchInterval)
    app.clock.advance(10);
    const ping = await c.post<PingResponse>('/session/ping', { json: { idleFor: 3600 } });
    expect([ping.status, header(ping)]).toEqual([200, null]);
    expect(ping.body.idleFor).toBeCloseTo(10, 1);
    expect(ended).toEqual([]);
    expect((await c.get('/me')).status).toBe(200);
  });

  test("nor a client's own claim alone: the server must also have seen no activity", async () => {
    app = await start();
    const c = await loggedIn();
    app.clock.advance(20);
    const ping = await c.post('/session/ping', { json: { idleFor: 59.5 } });
    expect(ping.status).toBe(200);
    expect(ended).toEqual([]);
  });

  test('a client cannot extend a session past its deadline', async () => {
    app = await start();
    const c = await loggedIn();
    app.clock.advance(64);
    const ping = await c.post('/session/ping', { json: { idleFor: 0 } });
    expect([ping.status, ping.body, header(ping)]).toEqual([401, { error: 'session_expired', endedFor: anyNumber() }, 'expired']);
  });

  test('lists never show a session past its idle deadline, before any sweep', async () => {
    app = await start();
    const active = await loggedIn();
    const idle = await loggedIn();
    const idleId = await idOf(idle);
    app.clock.advance(40);
    await active.get('/me');
    app.clock.advance(25); // idle: 65 s > expireAfter + touchInterval; active: 25 s
    const listed = (await active.get<SessionListResponse>('/session/sessions')).body.sessions.map((s) => s.id);
    expect(listed).toHaveLength(1);
    expect(listed).not.toContain(idleId);
    expect((await app.sw.listSessions('alice')).map((s) => s.id)).toEqual(listed);
    // Not swept: the record is still active in the database; only the list leaves it out.
    expect((await app.sw.store.findById(idleId))!.endedAt).toBeNull();
  });

  test('requests answered 404 or 405 under the prefix are not activity (a client with a wrong apiPrefix)', async () => {
    app = await start();
    const misconfigured = await loggedIn();
    const user = await loggedIn();
    for (let i = 0; i < 4; i++) {
      app.clock.advance(20);
      expect((await misconfigured.post('/session/session/ping', { json: { idleFor: 0 } })).status).toBe(404);
      expect((await misconfigured.request('PUT', '/session/sessions', { json: {} })).status).toBe(405);
      expect((await user.get('/session/sessions')).status).toBe(200);
    }
    expect((await misconfigured.get('/me')).headers.get('session-ended')).toBe('expired');
    expect((await user.get('/me')).status).toBe(200);
  });

  test('"log out all other sessions" counts what the list showed: sessions past their deadline end as expired', async () => {
    app = await start();
    const active = await loggedIn();
    const idle = [await loggedIn(), await loggedIn()];
    const idleIds = await Promise.all(idle.map(idOf));
    const other = await loggedIn();
    const otherId = await idOf(other);
    app.clock.advance(40);
    await active.get('/me');
    await other.get('/me');
    app.clock.advance(25); // the idle two: 65 s > expireAfter + touchInterval; the others 25 s
    expect((await active.get<SessionListResponse>('/session/sessions')).body.sessions).toHaveLength(2);
    ended = [];
    const res = await active.delete('/session/sessions');
    expect([res.status, res.body]).toEqual([200, { revoked: 1 }]);
    const byId = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
    expect(ended.map((e) => [e.session.id, e.reason]).sort(byId)).toEqual(
      [...idleIds.map((id) => [id, 'expired']), [otherId, 'revoked']].sort(byId),
    );
    const { events } = await app.sw.history('alice', { limit: 50 });
    const endsOf = (id: string) => events.filter((e) => e.sessionId === id && e.type !== 'login').map((e) => [e.type, e.by]);
    for (const id of idleIds) expect(endsOf(id)).toEqual([['expired', null]]);
    expect(endsOf(otherId)).toEqual([['revoked', 'other-session']]);
    expect((await idle[0].get('/me')).headers.get('session-ended')).toBe('expired');
    // The server API counts the same way.
    const later = await loggedIn();
    app.clock.advance(65);
    expect(await app.sw.revokeAll('alice')).toBe(0);
    expect((await later.get('/me')).headers.get('session-ended')).toBe('expired');
  });

  test('a live session whose store entry vanished (a store restarted empty) ends as "lost", at once and for good', async () => {
    const store = new MemorySessionStore();
    app = await start({}, store);
    const a = await loggedIn();
    const before = new Set(store.entries.keys());
    const b = await loggedIn();
    const bId = await idOf(b);
    // Only b's entry is lost (an eviction; a restart loses every one the same way).
    for (const key of store.entries.keys()) if (!before.has(key)) store.entries.delete(key);

    const ping = await b.post('/session/ping', { json: { idleFor: 0 } });
    expect([ping.status, ping.body, header(ping)]).toEqual([401, { error: 'session_lost', endedFor: anyNumber() }, 'lost']);
    const me = await b.get('/me');
    expect([me.status, header(me)]).toEqual([401, 'lost']);
    expect(ended.map((e) => [e.session.id, e.reason])).toEqual([[bId, 'lost']]);
    // Ended in the database, not left active until a sweep: no longer listed.
    expect(await app.sw.store.findById(bId)).toMatchObject({ endReason: 'lost', endedAt: anyNumber() });
    expect((await app.sw.listSessions('alice')).map((s) => s.id)).not.toContain(bId);
    expect((await a.get('/me')).status).toBe(200);
  });

  test('the ping answer carries the absolute end (maxAgeLeft), null without maxAge', async () => {
    app = await start({ maxAge: 100 });
    const c = await loggedIn();
    app.clock.advance(30);
    const ping = await c.post<PingResponse>('/session/ping', { json: { idleFor: 0 } });
    expect([ping.status, ping.body.maxAgeLeft]).toEqual([200, 70]);
    await app.stop();
    app = await start();
    const d = await loggedIn();
    expect((await d.post('/session/ping', { json: { idleFor: 0 } })).body).toMatchObject({ maxAgeLeft: null });
  });

  test('lists never show a session past maxAge', async () => {
    app = await start({ maxAge: 100 });
    const old = await loggedIn();
    app.clock.advance(50);
    const young = await loggedIn();
    app.clock.advance(51);
    await young.get('/me');
    const oldId = (await app.sw.store.listActive('alice')).find((r) => r.createdAt < app.clock.now - 100_000)!.id;
    const listed = (await app.sw.listSessions('alice')).map((s) => s.id);
    expect(listed).toHaveLength(1);
    expect(listed).not.toContain(oldId);
    expect((await old.get('/me')).status).toBe(401);
  });
});

describe('the end reason across instances (Postgres)', () => {
  let db: TestDatabase;
  let a: MiniApp;
  let b: MiniApp;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    a = await startMiniApp({ database: db.url, schema: db.schema });
    b = await startMiniApp({ database: db.url, schema: db.schema });
    await waitUntilAcquainted([a.sw, b.sw]);
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await db.drop();
  });

  test('revoked on one instance: every request of that browser on either instance says "revoked"', async () => {
    const revoker = new TestClient(a.url);
    const victim = new TestClient(a.url);
    await revoker.post('/login');
    await victim.post('/login');
    const onB = new TestClient(b.url);
    victim.cookies.forEach((v, k) => onB.cookies.set(k, v));
    expect((await onB.get('/me')).status).toBe(200); // cached on B
    const victimId = (await onB.get<SessionListResponse>('/session/sessions')).body.sessions[0].id;
    expect((await revoker.delete(`/session/sessions/${victimId}`)).status).toBe(204);
    const first = await onB.get('/me');
    expect([first.status, header(first)]).toEqual([401, 'revoked']);
    for (let i = 0; i < 3; i++) {
      const onA = new TestClient(a.url);
      onB.cookies.forEach((v, k) => onA.cookies.set(k, v));
      for (const c of [onB, onA]) {
        const res = await c.get('/session/sessions');
        expect([res.body, header(res)]).toEqual([{ error: 'session_revoked', endedFor: anyNumber() }, 'revoked']);
      }
    }
  });
});
