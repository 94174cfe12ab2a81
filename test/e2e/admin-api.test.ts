/**
 * The admin API (option `isAdmin`) over HTTP, on real SQLite and real Postgres: every user's
 * sessions listed with keyset paging, revoked or given new limits one by one or per user; the
 * guards (401, 403, cross-site 403) and bad input (400).
 */
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { appSession, startMiniApp, type MiniApp } from '../support/mini-app';
import type { AdminSessionListResponse, ErrorBody, PingResponse, PolicyChangeResponse, RevokeOthersResponse } from '../../shared/protocol';
import { BAD_USER_IDS } from '../support/bad-input';

describe.each(DATABASE_KINDS)('admin API on %s', (kind) => {
  let db: TestDatabase;
  let app: MiniApp;
  /** What sessionwatch said in the log (a database error above all). */
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    app = await startMiniApp({
      database: db.url,
      schema: db.schema,
      logger: { error: (message: string) => lines.push(message) },
      warnAfter: 600,
      expireAfter: 1200,
      isAdmin: (ctx) => appSession(ctx)?.user === 'admin',
    });
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  async function login(user: string): Promise<TestClient> {
    const c = new TestClient(app.url);
    expect((await c.post(`/login?user=${user}`)).status).toBe(200);
    return c;
  }
  const list = (c: TestClient, query = '') => c.get<AdminSessionListResponse & ErrorBody>(`/session/admin/sessions${query}`);

  test('anonymous 401, a user who is not an administrator 403, a cross-site request 403 even from one', async () => {
    const anonymous = new TestClient(app.url);
    const user = await login('carol');
    const admin = await login('admin');
    const someId = (await list(admin)).body.sessions[0].id;
    for (const [method, path] of [
      ['GET', '/session/admin/sessions'],
      ['DELETE', `/session/admin/sessions/${someId}`],
      ['DELETE', '/session/admin/users/carol/sessions'],
      ['PUT', '/session/admin/users/carol/policy'],
      ['PUT', `/session/admin/sessions/${someId}/policy`],
    ] as const) {
      expect((await anonymous.request<ErrorBody>(method, path)).body).toEqual({ error: 'unauthenticated' });
      const forbidden = await user.request<ErrorBody>(method, path);
      expect([forbidden.status, forbidden.body.error]).toEqual([403, 'forbidden']);
    }
    for (const [method, path] of [
      ['DELETE', `/session/admin/sessions/${someId}`],
      ['DELETE', '/session/admin/users/carol/sessions'],
      ['PUT', '/session/admin/users/carol/policy'],
      ['PUT', `/session/admin/sessions/${someId}/policy`],
    ] as const) {
      const res = await admin.request<ErrorBody>(method, path, { json: { expireAfter: 1 }, headers: { origin: 'https://evil.example' } });
      expect([res.status, res.body.error]).toEqual([403, 'forbidden']);
    }
    // Nothing was revoked nor changed by the refused requests.
    expect((await user.get('/me')).status).toBe(200);
    expect((await user.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body.expireAfter).toBe(1200);
  });

  test("every user's sessions, newest activity first, with whose; ?userId= keeps one user's", async () => {
    const alice = await login('alice');
    app.clock.advance(1);
    await login('bob');
    app.clock.advance(1);
    const admin = await login('admin');
    const res = await list(admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const times = res.body.sessions.map((s) => Date.parse(s.lastActivity));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(res.body.sessions[0]).toMatchObject({ userId: 'admin', current: true });
    expect(res.body.sessions.filter((s) => s.current)).toHaveLength(1);
    const onlyAlice = await list(admin, '?userId=alice');
    expect(onlyAlice.body.sessions.map((s) => s.userId)).toEqual(['alice']);
    expect(onlyAlice.body.sessions[0]).toMatchObject({ current: false, browser: expect.any(Object) as unknown });
    expect((await alice.get('/me')).status).toBe(200);
  });

  test('paging returns every session exactly once while sessions are being created, ties on activity included', async () => {
    for (let i = 0; i < 23; i++) await login(`pager${i % 3}`); // same clock: equal activity, ordered by id
    const admin = await login('admin');
    const before = new Set<string>();
    let cursor: string | null = null;
    do {
      const all = await list(admin, `?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      for (const s of all.body.sessions) before.add(s.id);
      cursor = all.body.nextCursor;
    } while (cursor);
    const seen: string[] = [];
    cursor = null;
    let pages = 0;
    do {
      const page = await list(admin, `?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.sessions.length).toBeLessThanOrEqual(7);
      seen.push(...page.body.sessions.map((s) => s.id));
      cursor = page.body.nextCursor;
      pages += 1;
      // Logins between pages: newer than the cursor, they never shift what comes next.
      await login(`newcomer${pages}`);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    expect(pages).toBeGreaterThan(3);
  });

  test('bad limit, cursor or userId: 400 with a message', async () => {
    const admin = await login('admin');
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=ten',
      '?cursor=nope',
      '?cursor=YS4xLjI',
      '?userId=a&userId=b',
      '?limit=1&limit=2',
      '?userId=',
    ]) {
      const res = await list(admin, query);
      expect([query, res.status, res.body.error]).toEqual([query, 400, 'bad_request']);
      expect(res.body.message).toEqual(expect.any(String));
    }
  });

  test.each(BAD_USER_IDS)(
    'a userId with $name: 400 naming userId on every route, nothing revoked, no database error',
    async ({ encoded }) => {
      const admin = await login('admin');
      const bystander = await login('alice');
      const answers = [
        await list(admin, `?userId=${encoded}`),
        await admin.get<ErrorBody>(`/session/admin/users/${encoded}/history`),
        await admin.delete<ErrorBody>(`/session/admin/users/${encoded}/sessions`),
        await admin.request<ErrorBody>('PUT', `/session/admin/users/${encoded}/policy`, { json: {} }),
      ];
      for (const res of answers) {
        expect([res.status, res.body.error, res.body.message]).toEqual([400, 'bad_request', expect.stringMatching(/^userId /)]);
      }
      expect((await bystander.get('/me')).status).toBe(200);
      expect(lines).toEqual([]);
    },
  );

  test("revoking one session: the target's next request is refused as revoked; unknown or ended ids 404", async () => {
    const target = await login('dave');
    const admin = await login('admin');
    const id = (await list(admin, '?userId=dave')).body.sessions[0].id;
    expect((await admin.delete(`/session/admin/sessions/${id}`)).status).toBe(204);
    const next = await target.get<ErrorBody>('/session/sessions');
    expect([next.status, next.body.error]).toEqual([401, 'session_revoked']);
    for (const gone of [id, 'AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id']) {
      const res = await admin.delete<ErrorBody>(`/session/admin/sessions/${gone}`);
      expect([res.status, res.body.error]).toEqual([404, 'not_found']);
    }
    expect((await admin.get('/me')).status).toBe(200);
  });

  test("revoking a user's sessions: every one ends, the count is returned, the others' live on", async () => {
    const first = await login('erin');
    const second = await login('erin');
    const other = await login('frank');
    const admin = await login('admin');
    const res = await admin.delete<RevokeOthersResponse>('/session/admin/users/erin/sessions');
    expect(res.body).toEqual({ revoked: 2 });
    for (const c of [first, second]) expect((await c.get('/me')).status).toBe(401);
    expect((await other.get('/me')).status).toBe(200);
    expect((await admin.delete<RevokeOthersResponse>('/session/admin/users/nobody/sessions')).body).toEqual({ revoked: 0 });
  });

  const setPolicy = (c: TestClient, path: string, json: unknown) =>
    c.request<PolicyChangeResponse & ErrorBody>('PUT', `/session/admin/${path}/policy`, { json });
  const limitsOf = async (c: TestClient) => {
    const { warnAfter, expireAfter, maxAgeLeft } = (await c.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body;
    return { warnAfter, expireAfter, maxAgeLeft };
  };

  test("a user's policy: every live session of theirs gets the new limits, the count is returned; {} puts them back; not activity", async () => {
    const [first, second, other] = [await login('gina'), await login('gina'), await login('hank')];
    const admin = await login('admin');
    app.clock.advance(30);
    const res = await setPolicy(admin, 'users/gina', { warnAfter: 240, expireAfter: 300, maxAge: 3600 });
    expect([res.status, res.body, res.headers.get('cache-control')]).toEqual([200, { changed: 2 }, 'no-store']);
    // The administrator's request is not the sessions' own activity.
    const gina = (await list(admin, '?userId=gina')).body.sessions;
    expect(gina.map((s) => Date.parse(s.lastActivity))).toEqual([app.clock.now - 30_000, app.clock.now - 30_000]);
    for (const c of [first, second]) expect(await limitsOf(c)).toEqual({ warnAfter: 240, expireAfter: 300, maxAgeLeft: 3570 });
    expect(await limitsOf(other)).toEqual({ warnAfter: 600, expireAfter: 1200, maxAgeLeft: null });
    // The server applies them itself: 300 s (+ the throttle) idle, and the session is over.
    app.clock.advance(316);
    expect((await first.get<ErrorBody>('/session/sessions')).body.error).toBe('session_expired');
    expect((await setPolicy(admin, 'users/gina', {})).body).toEqual({ changed: 0 }); // the second expired too
    expect((await setPolicy(admin, 'users/nobody', { expireAfter: 900, warnAfter: 800 })).body).toEqual({ changed: 0 });
  });

  test("one session's policy: that session only; unknown, malformed, ended ids 404; the administrator's own session too", async () => {
    const [target, sibling] = [await login('ivy'), await login('ivy')];
    const admin = await login('admin');
    const [idA, idB] = (await list(admin, '?userId=ivy')).body.sessions.map((s) => s.id);
    const res = await setPolicy(admin, `sessions/${idA}`, { expireAfter: 900, warnAfter: 800 });
    expect([res.status, res.body]).toEqual([200, { changed: 1 }]);
    const [a, b] = [await limitsOf(target), await limitsOf(sibling)];
    expect([a.expireAfter, b.expireAfter].sort((x, y) => x - y)).toEqual([900, 1200]);
    await admin.delete(`/session/admin/sessions/${idB}`);
    for (const gone of [idB, 'AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id']) {
      const missing = await setPolicy(admin, `sessions/${gone}`, { expireAfter: 900, warnAfter: 800 });
      expect([missing.status, missing.body.error]).toEqual([404, 'not_found']);
    }
    const own = (await list(admin, '?userId=admin')).body.sessions.find((s) => s.current)!.id;
    expect((await setPolicy(admin, `sessions/${own}`, { maxAge: 7200 })).body).toEqual({ changed: 1 });
    expect(await limitsOf(admin)).toEqual({ warnAfter: 600, expireAfter: 1200, maxAgeLeft: 7200 });
  });

  test("bad policies: 400 with the server API's message, nothing changed", async () => {
    const target = await login('jack');
    const admin = await login('admin');
    const id = (await list(admin, '?userId=jack')).body.sessions[0].id;
    for (const [body, message] of [
      [{ expireAfter: '900' }, 'policy "expireAfter" must be a number of seconds (got "900"), from the request body'],
      [{ warnAfter: 1300 }, 'policy "warnAfter" (1300) must be less than "expireAfter" (1200), from the request body'],
      [{ expireAfter: 0 }, 'policy "expireAfter" must be a positive finite number of seconds (got 0), from the request body'],
      [{ maxAge: -1 }, 'policy "maxAge" must be a positive finite number of seconds (got -1), from the request body'],
      [{ expireAfer: 60 }, 'unknown policy field "expireAfer" (did you mean "expireAfter"?), from the request body'],
      [[60], 'Body must be a JSON object'],
      [null, 'Body must be a JSON object'],
    ] as const) {
      for (const path of ['users/jack', `sessions/${id}`]) {
        const res = await setPolicy(admin, path, body);
        expect([JSON.stringify(body), res.status, res.body]).toEqual([JSON.stringify(body), 400, { error: 'bad_request', message }]);
      }
    }
    expect(await limitsOf(target)).toEqual({ warnAfter: 600, expireAfter: 1200, maxAgeLeft: null });
    expect(lines).toEqual([]);
  });

  test('the server API pages the same way, and refuses a bad limit or cursor', async () => {
    const page = await app.sw.listAllSessions({ userId: 'admin', limit: 1 });
    expect(page.sessions).toHaveLength(1);
    expect(page.sessions[0].userId).toBe('admin');
    await expect(app.sw.listAllSessions({ limit: 500 })).rejects.toThrow(RangeError);
    await expect(app.sw.listAllSessions({ cursor: 'x' })).rejects.toThrow(/listAllSessions: cursor/);
  });
});

test('without isAdmin the admin routes do not exist', async () => {
  const app = await startMiniApp();
  try {
    const c = new TestClient(app.url);
    await c.post('/login?user=admin');
    const res = await c.get<ErrorBody>('/session/admin/sessions');
    expect([res.status, res.body.error]).toEqual([404, 'route_not_found']);
  } finally {
    await app.stop();
  }
});

test('an isAdmin that throws answers JSON 500 (said once in the log); one that answers a non-boolean is a 403, said once', async () => {
  const lines: string[] = [];
  const logger = { error: (message: string) => lines.push(message) };
  for (const [isAdmin, status, error, said] of [
    [
      () => {
        throw new Error('directory down');
      },
      500,
      'misconfigured',
      /the "isAdmin" option threw: directory down/,
    ],
    [() => 1 as unknown as boolean, 403, 'forbidden', /returned 1, not a boolean/],
  ] as const) {
    lines.length = 0;
    const app = await startMiniApp({ isAdmin, logger });
    try {
      const c = new TestClient(app.url);
      await c.post('/login?user=admin');
      for (let i = 0; i < 2; i++) {
        const res = await c.get<ErrorBody>('/session/admin/sessions');
        expect([res.status, res.body.error, res.headers.get('content-type')]).toEqual([
          status,
          error,
          expect.stringContaining('application/json'),
        ]);
        // What the app's code threw is the log's, never the caller's.
        expect(res.text).not.toContain('directory down');
      }
      expect(lines).toEqual([expect.stringMatching(said)]);
    } finally {
      await app.stop();
    }
  }
});
