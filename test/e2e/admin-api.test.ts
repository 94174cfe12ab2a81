/**
 * The admin API (option `isAdmin`) over HTTP, on real SQLite and real Postgres: every user's
 * sessions listed with keyset paging, revoked one by one or per user; the guards (401, 403,
 * cross-site 403) and bad input (400).
 */
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { appSession, startMiniApp, type MiniApp } from '../support/mini-app';
import type { AdminSessionListResponse, ErrorBody, RevokeOthersResponse } from '../../shared/protocol';
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
    ] as const) {
      expect((await anonymous.request<ErrorBody>(method, path)).body).toEqual({ error: 'unauthenticated' });
      const forbidden = await user.request<ErrorBody>(method, path);
      expect([forbidden.status, forbidden.body.error]).toEqual([403, 'forbidden']);
    }
    for (const path of [`/session/admin/sessions/${someId}`, '/session/admin/users/carol/sessions']) {
      const res = await admin.delete<ErrorBody>(path, { headers: { origin: 'https://evil.example' } });
      expect([res.status, res.body.error]).toEqual([403, 'forbidden']);
    }
    // Nothing was revoked by the refused requests.
    expect((await user.get('/me')).status).toBe(200);
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
