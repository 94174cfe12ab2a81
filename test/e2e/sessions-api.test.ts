/**
 * The "where you're logged in" HTTP API, end to end: a real Koa server (the example app) over
 * HTTP, on real SQLite and real Postgres.
 */
import { DATABASE_KINDS } from '../support/databases';
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient, USER_AGENTS } from '../support/http-client';
import { MemorySessionStore } from '../../example/memory-session-store';
import type { User } from '../../example/users';
import type { ErrorBody, SessionListResponse } from '../../shared/protocol';
import { anyNumber } from '../support/matchers';

describe.each(DATABASE_KINDS)('sessions API on %s', (kind) => {
  let server: RunningExample;
  const client = (ua?: string) => new TestClient(server.url, ua);

  async function loggedIn(ua?: string, username = 'johndoe'): Promise<TestClient> {
    const c = client(ua);
    expect((await c.login(username)).status).toBe(200);
    return c;
  }

  async function idsOf(c: TestClient): Promise<string[]> {
    const res = await c.get<SessionListResponse>('/session/sessions');
    expect(res.status).toBe(200);
    return res.body.sessions.map((s) => s.id);
  }

  beforeAll(async () => {
    server = await startExample(kind);
  });
  afterAll(async () => {
    await server.stop();
  });

  test('two logins are listed with their browser, OS and device, the current one first and marked', async () => {
    const firefox = await loggedIn(USER_AGENTS.firefoxWindows, 'janedoe');
    const iphone = await loggedIn(USER_AGENTS.safariIphone, 'janedoe');
    const res = await iphone.get<SessionListResponse>('/session/sessions');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const [current, other] = res.body.sessions;
    expect(res.body.sessions).toHaveLength(2);
    expect(current).toMatchObject({
      current: true,
      browser: { name: 'Mobile Safari', version: '17.1' },
      os: { name: 'iOS', version: '17.1' },
      device: 'mobile',
    });
    expect(other).toMatchObject({
      current: false,
      browser: { name: 'Firefox', version: '120.0' },
      os: { name: 'Windows', version: '10' },
      device: 'desktop',
    });
    for (const s of res.body.sessions) {
      expect(s.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(new Date(s.createdAt).toISOString()).toBe(s.createdAt);
      expect(new Date(s.lastActivity).toISOString()).toBe(s.lastActivity);
      expect(s.ip).toBe('127.0.0.1');
      expect(s.location).toBeNull(); // no geoip in the example by default
      expect(Object.keys(s).sort()).toEqual(['browser', 'createdAt', 'current', 'device', 'id', 'ip', 'lastActivity', 'location', 'os']);
    }
    // The other login sees the same two, itself first.
    const fromFirefox = await firefox.get<SessionListResponse>('/session/sessions');
    expect(fromFirefox.body.sessions.map((s) => s.current)).toEqual([true, false]);
    expect(fromFirefox.body.sessions[0].id).toBe(other.id);
    await firefox.post('/logout');
    await iphone.post('/logout');
  });

  test('tablets are told apart from phones', async () => {
    const ipad = await loggedIn(USER_AGENTS.safariIpad, 'janedoe');
    const res = await ipad.get<SessionListResponse>('/session/sessions');
    expect(res.body.sessions[0].device).toBe('tablet');
    await ipad.post('/logout');
  });

  test('the prefix belongs to the API: unknown paths are a JSON 404, wrong methods a JSON 405 with Allow', async () => {
    const c = await loggedIn();
    const unknown = await c.get('/session/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'route_not_found' });
    const wrongMethod = await c.request('PUT', '/session/sessions');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toEqual({ error: 'method_not_allowed' });
    expect(wrongMethod.headers.get('allow')).toMatch(/GET.*DELETE|DELETE.*GET/);
    expect((await c.get('/session/ping')).status).toBe(405);
    await c.post('/logout');
  });

  test('every answer of the API, errors included, is no-store and nosniff', async () => {
    const c = await loggedIn();
    const other = await loggedIn();
    const [otherId] = await idsOf(other); // its own comes first
    const answers = [
      await c.get('/session/sessions'),
      await c.get('/session/history'),
      await c.post('/session/ping', { json: { idleFor: 0 } }),
      await c.post('/session/ping', { json: { idleFor: -1 } }), // 400
      await c.get('/session/nope'), // 404
      await c.request('PUT', '/session/sessions'), // 405
      await c.delete('/session/sessions/unknown'), // 404
      await c.delete('/session/sessions', { headers: { origin: 'https://evil.example' } }), // 403
      await client().get('/session/sessions'), // 401
      await c.delete(`/session/sessions/${otherId}`), // 204
      await c.delete('/session/sessions'), // 200
      await c.post('/session/logout'), // 204
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 400, 404, 405, 404, 403, 401, 204, 200, 204]);
    for (const res of answers) {
      expect([res.headers.get('cache-control'), res.headers.get('x-content-type-options')]).toEqual(['no-store', 'nosniff']);
    }
  });

  test('an unknown or repeated query parameter of the list is a 400 naming it, never ignored', async () => {
    const c = await loggedIn();
    for (const [query, message] of [
      ['?limt=5', 'unknown query parameter "limt" (known: limit, cursor)'],
      ['?limit[]=5', 'unknown query parameter "limit[]" (known: limit, cursor)'],
      ['?limit=1&limit=2', 'limit must be given once'],
    ]) {
      const res = await c.get<ErrorBody>(`/session/sessions${query}`);
      expect([res.status, res.body]).toEqual([400, { error: 'bad_request', message }]);
    }
    expect((await c.get('/session/sessions?limit=5')).status).toBe(200);
    await c.post('/logout');
  });

  test('without a logged-in session the API answers 401 unauthenticated', async () => {
    const anonymous = client();
    for (const [method, path] of [
      ['GET', '/session/sessions'],
      ['DELETE', '/session/sessions'],
      ['DELETE', '/session/sessions/abc'],
    ] as const) {
      const res = await anonymous.request(method, path);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthenticated' });
    }
    expect((await anonymous.post('/session/ping', { json: { idleFor: 0 } })).body).toEqual({ error: 'unauthenticated' });
  });

  test('revoking another session logs it out on its very next request (cookie sessions)', async () => {
    const a = await loggedIn(USER_AGENTS.firefoxWindows);
    const b = await loggedIn(USER_AGENTS.safariIphone);
    const [, bId] = await idsOf(a);
    const ended: string[] = [];
    server.sw.on('sessionEnded', (e) => ended.push(`${e.session.id}:${e.reason}`));

    expect((await a.delete(`/session/sessions/${bId}`)).status).toBe(204);
    expect(ended).toContain(`${bId}:revoked`);

    const replay = b.clone();
    const res = await b.get('/session/sessions');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
    // The app's own routes see no user, whichever copy of the cookie comes back.
    expect((await replay.get('/me')).status).toBe(401);
    expect((await b.get('/me')).status).toBe(401);
    // The revoked session is gone from the list; the revoker is untouched.
    expect(await idsOf(a)).not.toContain(bId);
    expect((await a.get('/me')).status).toBe(200);
    await a.post('/logout');
  });

  test('the revoked cookie is rejected on /me first, too', async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    const [, bId] = await idsOf(a);
    await a.delete(`/session/sessions/${bId}`);
    expect((await b.get('/me')).status).toBe(401);
    expect((await b.get('/session/sessions')).status).toBe(401);
    await a.post('/logout');
  });

  test('revoking the current session logs the caller out', async () => {
    const a = await loggedIn();
    const [aId] = await idsOf(a);
    const replay = a.clone();
    expect((await a.delete(`/session/sessions/${aId}`)).status).toBe(204);
    expect((await a.get('/me')).status).toBe(401);
    const res = await replay.get('/session/sessions');
    expect(res.body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
  });

  test('DELETE /session/sessions from one of three sessions leaves exactly that one', async () => {
    const sessions = [await loggedIn(), await loggedIn(USER_AGENTS.safariIphone), await loggedIn(USER_AGENTS.firefoxWindows)];
    const keeper = sessions[1];
    const [keptId] = await idsOf(keeper);
    const before = (await idsOf(keeper)).length;
    const res = await keeper.delete('/session/sessions');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: before - 1 });
    expect(await idsOf(keeper)).toEqual([keptId]);
    expect((await sessions[0].get('/me')).status).toBe(401);
    expect((await sessions[2].get('/me')).status).toBe(401);
    expect((await keeper.get('/me')).status).toBe(200);
    await keeper.post('/logout');
  });

  test("another user's session id is a 404 and nothing is revoked", async () => {
    const john = await loggedIn();
    const jane = await loggedIn(undefined, 'janedoe');
    const [janeId] = await idsOf(jane);
    const countBefore = await server.sw.store.count({ activeOnly: true });
    for (const id of [janeId, 'A'.repeat(22), 'unknown', '..%2F..%2Fetc', '%E2%9C%93', 'x'.repeat(10000)]) {
      const res = await john.delete(`/session/sessions/${id}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found' });
    }
    expect(await server.sw.store.count({ activeOnly: true })).toBe(countBefore);
    expect((await jane.get('/me')).status).toBe(200);
    await john.post('/logout');
    await jane.post('/logout');
  });

  test('no response contains a cookie value or the secret token', async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    const secrets = [...a.cookies.values(), ...b.cookies.values()];
    const responses = [await a.get('/session/sessions'), await a.post('/session/ping', { json: { idleFor: 1 } }), await a.get('/me')];
    for (const res of responses) {
      const everything = res.text + JSON.stringify([...res.headers].filter(([name]) => name !== 'set-cookie'));
      for (const secret of secrets) expect(everything).not.toContain(secret);
    }
    const johnId: number = (await server.knex<User>('example_users').where({ username: 'johndoe' }).first())!.id;
    const rows = await server.sw.store.listActive(String(johnId));
    const publicIds = (await a.get<SessionListResponse>('/session/sessions')).body.sessions.map((s) => s.id);
    for (const row of rows) {
      expect(publicIds).toContain(row.id);
      expect(secrets.join()).not.toContain(row.tokenHash);
    }
    await a.post('/logout');
    await b.post('/logout');
  });

  test('logout removes the record and a replayed logged-out cookie is not accepted', async () => {
    const a = await loggedIn();
    const [aId] = await idsOf(a);
    const replay = a.clone();
    expect((await a.post('/logout')).status).toBe(204);
    // The app's route called sw.logout(ctx): the session cookie is cleared, as the README says.
    expect([...a.cookies.keys()].filter((name) => name.startsWith('sid'))).toEqual([]);
    expect(await server.sw.store.findById(aId)).toBeUndefined();
    expect((await replay.get('/me')).status).toBe(401);
    expect((await replay.get('/session/sessions')).status).toBe(401);
  });

  test('login regenerates the session: the pre-login cookie is useless afterwards', async () => {
    const c = client();
    await c.get('/'); // an anonymous visit
    const anonymousCookie = c.clone();
    expect((await c.login()).status).toBe(200);
    expect(c.cookieHeader()).not.toBe(anonymousCookie.cookieHeader());
    expect((await anonymousCookie.get('/me')).status).toBe(401);

    const [firstId] = await idsOf(c);
    const before = c.clone();
    expect((await c.login()).status).toBe(200); // logging in again replaces the session and its record
    expect(c.cookieHeader()).not.toBe(before.cookieHeader());
    expect((await before.get('/me')).status).toBe(401);
    expect((await c.get('/me')).status).toBe(200);
    const [secondId] = await idsOf(c);
    expect(secondId).not.toBe(firstId);
    expect(await server.sw.store.findById(firstId)).toBeUndefined();
    await c.post('/logout');
  });

  test('bad credentials are a 401, never a 500', async () => {
    const c = client();
    expect((await c.login('johndoe', 'wrong')).status).toBe(401);
    expect((await c.login('nobody', 'x')).status).toBe(401);
    expect((await c.post('/login', { json: { username: 1 } })).status).toBe(400);
    expect((await c.post('/login', { body: '{bad', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  });

  test('the server-side API lists and revokes all sessions of a user', async () => {
    const a = await loggedIn(undefined, 'janedoe');
    const b = await loggedIn(undefined, 'janedoe');
    const janeId: number = (await server.knex<User>('example_users').where({ username: 'janedoe' }).first())!.id;
    const listed = await server.sw.listSessions(janeId);
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed[0]).not.toHaveProperty('tokenHash');
    expect(await server.sw.revokeAll(janeId)).toBe(listed.length);
    expect((await a.get('/me')).status).toBe(401);
    expect((await b.get('/session/sessions')).body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
    expect(await server.sw.listSessions(janeId)).toEqual([]);
  });
});

describe.each(DATABASE_KINDS)('with an external koa-session store on %s', (kind) => {
  let server: RunningExample;
  const store = new MemorySessionStore();

  beforeAll(async () => {
    server = await startExample(kind, { sessionStore: store });
  });
  afterAll(async () => {
    await server.stop();
  });

  test('revocation destroys the store entry and the revoked cookie gets 401 session_revoked', async () => {
    const a = new TestClient(server.url);
    const b = new TestClient(server.url);
    await a.login();
    await b.login();
    const bKey = b.cookies.get('sid')!;
    expect(store.entries.has(bKey)).toBe(true);
    const { sessions } = (await a.get<SessionListResponse>('/session/sessions')).body;
    const bId = sessions.find((s) => !s.current)!.id;

    expect((await a.delete(`/session/sessions/${bId}`)).status).toBe(204);
    expect(store.entries.has(bKey)).toBe(false);
    const res = await b.get('/session/sessions');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
    expect((await b.get('/me')).status).toBe(401);
    expect(store.entries.has(bKey)).toBe(false);
    expect((await a.get('/me')).status).toBe(200);
  });

  test('login replaces the store entry (no fixation) and logout destroys it', async () => {
    const c = new TestClient(server.url);
    await c.login();
    const first = c.cookies.get('sid')!;
    await c.login();
    const second = c.cookies.get('sid')!;
    expect(second).not.toBe(first);
    expect(store.entries.has(first)).toBe(false);
    await c.post('/logout');
    expect(store.entries.has(second)).toBe(false);
  });
});

describe('restarting the app', () => {
  test('keeps sessions and revocations (SQLite file)', async () => {
    const first = await startExample('sqlite');
    const a = new TestClient(first.url);
    const b = new TestClient(first.url);
    await a.login();
    await b.login();
    const bId = (await a.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => !s.current)!.id;
    await a.delete(`/session/sessions/${bId}`);
    await first.stop({ dropDatabase: false });

    const second = await startExample('sqlite', { db: first.db });
    try {
      const a2 = new TestClient(second.url);
      const b2 = new TestClient(second.url);
      for (const [k, v] of a.cookies) a2.cookies.set(k, v);
      for (const [k, v] of b.cookies) b2.cookies.set(k, v);
      expect((await a2.get('/me')).status).toBe(200);
      expect((await a2.get<SessionListResponse>('/session/sessions')).body.sessions).toHaveLength(1);
      expect((await b2.get('/session/sessions')).body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
    } finally {
      await second.stop();
    }
  });
});
