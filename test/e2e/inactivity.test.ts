/**
 * Server-side inactivity, end to end on the example app (real HTTP, real SQLite and Postgres,
 * real time with short settings: warnAfter 2 s, expireAfter 4 s).
 */
import { DATABASE_KINDS } from '../support/databases';
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient } from '../support/http-client';
import type { PingResponse, SessionListResponse } from '../../shared/protocol';
import { sleep, until } from '../support/wait';
import { anyNumber, anyString } from '../support/matchers';

const ping = <T = unknown>(c: TestClient, body: unknown) => c.post<T>('/session/ping', { json: body });

/** Clients of the example `server()` runs, each logged in with a session whose id it remembers. */
function sessionsOn(server: () => RunningExample) {
  const sessionIds = new WeakMap<TestClient, string>();
  return {
    sessionIds,
    loggedIn: async (): Promise<TestClient> => {
      const c = new TestClient(server().url);
      server().sw.once('sessionCreated', ({ session }) => sessionIds.set(c, session.id));
      expect((await c.login()).status).toBe(200);
      return c;
    },
    /** Reads the client's record straight from the database: no request, so no activity. */
    storedLastActivity: async (c: TestClient): Promise<number> => (await server().sw.store.findById(sessionIds.get(c)!))!.lastActivity,
  };
}

describe.each(DATABASE_KINDS)('inactivity on %s', (kind) => {
  let server: RunningExample;
  const { loggedIn, storedLastActivity } = sessionsOn(() => server);

  beforeAll(async () => {
    jest.spyOn(process, 'emitWarning').mockImplementation(() => {}); // 2 s to extend is below WCAG's 20 s
    server = await startExample(kind, { warnAfter: 2, expireAfter: 4 });
  });
  afterAll(async () => {
    await server.stop();
  });

  test('only passive requests for 6 s: expired; a request every second: stays', async () => {
    const passiveOnly = await loggedIn();
    const active = await loggedIn();
    const replay = passiveOnly.clone(); // the same cookie, to ask the ping afterwards
    const passiveStatuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      passiveStatuses.push((await passiveOnly.get('/api/notifications')).status);
      expect((await active.get('/me')).status).toBe(200);
      await sleep(1000);
    }
    expect(passiveStatuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect((await passiveOnly.get('/me')).status).toBe(401);
    const res = await ping(replay, { idleFor: 0 });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'session_expired', endedFor: anyNumber() });
    expect((await active.get('/me')).status).toBe(200);
  }, 20000);

  test('an expired session ends with reason expired and disappears from the list', async () => {
    const watcher = await loggedIn();
    const idle = await loggedIn();
    const idleId = (await idle.get<SessionListResponse>('/session/sessions')).body.sessions[0].id;
    const ended: string[] = [];
    server.sw.on('sessionEnded', (e) => ended.push(`${e.session.id}:${e.reason}`));
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      await watcher.get('/me');
    }
    expect((await idle.get('/session/sessions')).body).toEqual({ error: 'session_expired', endedFor: anyNumber() });
    expect(ended).toContain(`${idleId}:expired`);
    const ids = (await watcher.get<SessionListResponse>('/session/sessions')).body.sessions.map((s) => s.id);
    expect(ids).not.toContain(idleId);
  }, 20000);

  test('pings with idleFor 0 keep a session alive without any other request', async () => {
    const c = await loggedIn();
    for (let i = 0; i < 6; i++) {
      await sleep(1000);
      const res = await ping(c, { idleFor: 0 });
      expect(res.status).toBe(200);
    }
    expect((await c.get('/me')).status).toBe(200);
  }, 20000);

  test("the server's more recent activity wins over the ping's idleFor", async () => {
    const c = await loggedIn();
    await sleep(300);
    expect((await c.get('/me')).status).toBe(200); // activity, recorded (past the touch interval)
    await sleep(1000);
    const res = await ping<PingResponse>(c, { idleFor: 3 });
    expect(res.status).toBe(200);
    expect(res.body.warnAfter).toBe(2);
    expect(res.body.expireAfter).toBe(4);
    expect(res.body.idleFor).toBeGreaterThanOrEqual(0.9);
    expect(res.body.idleFor).toBeLessThan(1.6);
  });

  test('50 concurrent pings leave lastActivity at the newest of them, never moving it backwards', async () => {
    const c = await loggedIn();
    const before = await storedLastActivity(c);
    // Pings that all claim older activity than the login must not move it at all.
    await Promise.all(Array.from({ length: 25 }, () => ping(c, { idleFor: 100 + Math.random() * 100 })));
    expect(await storedLastActivity(c)).toBe(before);

    await sleep(1500);
    const idles = Array.from({ length: 50 }, () => Math.round(Math.random() * 1000) / 1000);
    const start = Date.now();
    const replies = await Promise.all(idles.map((idleFor) => ping<PingResponse>(c, { idleFor })));
    const end = Date.now();
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const newest = Math.min(...idles);
    const after = await storedLastActivity(c);
    expect(after).toBeGreaterThanOrEqual(start - newest * 1000 - 1);
    expect(after).toBeLessThanOrEqual(end - newest * 1000 + 1);
    // Every reply saw a value at least as new as its own claim.
    for (const [i, r] of replies.entries()) expect(r.body.idleFor).toBeLessThanOrEqual(idles[i] + 0.001);
  });

  test('ordinary requests write activity at most once per touchInterval', async () => {
    const c = await loggedIn();
    const sessionUpdates: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^update\b/i.test(q.sql) && q.sql.includes('last_activity')) sessionUpdates.push(q.sql);
    };
    server.knex.on('query', onQuery);
    const start = Date.now();
    const touchInterval = server.sw.options.policy.touchIntervalMs;
    // A count of requests, over at least two touch intervals whatever the machine's speed (a loaded
    // machine made fewer than 30 in a fixed 1.5 s).
    let requests = 0;
    try {
      while (requests < 40 || Date.now() - start < 2 * touchInterval) {
        expect((await c.get('/me')).status).toBe(200);
        requests++;
      }
    } finally {
      server.knex.off('query', onQuery);
    }
    expect(sessionUpdates.length).toBeGreaterThan(0);
    expect(sessionUpdates.length).toBeLessThanOrEqual(Math.ceil((Date.now() - start) / touchInterval) + 1);
  });

  describe('bad ping bodies get 400 bad_request with a message', () => {
    const raw = (body: string, contentType = 'application/json') => ({ body, headers: { 'content-type': contentType } });
    test.each([
      ['missing idleFor', raw('{}')],
      ['negative', raw('{"idleFor":-1}')],
      ['NaN', raw('{"idleFor":NaN}')],
      ['a string', raw('{"idleFor":"3"}')],
      ['Infinity (1e999)', raw('{"idleFor":1e999}')],
      ['huge (1e308)', raw('{"idleFor":1e308}')],
      ['an array', raw('{"idleFor":[1]}')],
      ['an object', raw('{"idleFor":{"n":1}}')],
      ['null', raw('{"idleFor":null}')],
      ['a JSON array body', raw('[1]')],
      ['a JSON null body', raw('null')],
      ['non-JSON', raw('idleFor=3')],
      ['an empty body', raw('')],
      ['the wrong content type', raw('{"idleFor":1}', 'text/plain')],
      ['a body over the size limit', raw(JSON.stringify({ idleFor: 1, pad: 'x'.repeat(4096) }))],
      ['a body of 1 MB', raw(JSON.stringify({ idleFor: 1, pad: 'x'.repeat(1024 * 1024) }))],
    ])('%s', async (_name, request) => {
      const c = await loggedIn();
      const before = await storedLastActivity(c);
      const res = await c.post('/session/ping', request);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'bad_request', message: anyString() });
      expect(await storedLastActivity(c)).toBe(before);
    });
  });
});

describe.each(DATABASE_KINDS)('activity writes under load on %s', (kind) => {
  let server: RunningExample;
  const { loggedIn, storedLastActivity, sessionIds } = sessionsOn(() => server);

  beforeAll(async () => {
    server = await startExample(kind);
  });
  afterAll(async () => {
    await server.stop();
  });

  test('pings of many sessions at once: each session gets its own activity; a backlog goes in batches', async () => {
    const clients: TestClient[] = [];
    // Fewer than maxSessionsPerUser (100): none is revoked by the cap.
    for (let i = 0; i < 90; i++) clients.push(await loggedIn());
    const idles = clients.map((_, i) => (i % 7) * 0.2 + 0.1);
    // Forward only: a session logged in after the time a ping claims keeps its login time.
    const before = await Promise.all(clients.map((c) => storedLastActivity(c)));
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/\bupdate\b/i.test(q.sql) && q.sql.includes('last_activity')) statements.push(q.sql);
    };
    server.knex.on('query', onQuery);
    const start = Date.now();
    let replies: { status: number; body: PingResponse }[];
    try {
      if (kind === 'postgres') {
        // A database that does not keep up: the first two pings' writes wait on row locks, the
        // other 88 pile up behind them, then go in batches once the locks are released.
        const trx = await server.knex.transaction();
        await trx.raw('SELECT id FROM sessionwatch_sessions WHERE id IN (?, ?) FOR UPDATE', [
          sessionIds.get(clients[0])!,
          sessionIds.get(clients[1])!,
        ]);
        const first = [ping<PingResponse>(clients[0], { idleFor: idles[0] })];
        await sleep(150);
        first.push(ping<PingResponse>(clients[1], { idleFor: idles[1] }));
        await sleep(150);
        let arrived = 0;
        const onRequest = () => arrived++;
        server.server.on('request', onRequest);
        const rest = clients.slice(2).map((c, i) => ping<PingResponse>(c, { idleFor: idles[i + 2] }));
        // Every ping at the server (a loaded machine may take a while to send 88), then a moment
        // for their writes to queue up behind the locked two.
        await until(() => arrived >= rest.length, { what: 'the 88 pings at the server' }).finally(() =>
          server.server.off('request', onRequest),
        );
        await sleep(300);
        await trx.commit();
        replies = await Promise.all([...first, ...rest]);
      } else {
        replies = await Promise.all(clients.map((c, i) => ping<PingResponse>(c, { idleFor: idles[i] })));
      }
    } finally {
      server.knex.off('query', onQuery);
    }
    const end = Date.now();
    expect(replies.map((r) => r.status)).toEqual(clients.map(() => 200));
    for (const [i, c] of clients.entries()) {
      const stored = await storedLastActivity(c);
      expect(stored).toBeGreaterThanOrEqual(Math.max(before[i], start - idles[i] * 1000) - 1);
      expect(stored).toBeLessThanOrEqual(Math.max(before[i], end - idles[i] * 1000) + 1);
      expect(replies[i].body.idleFor).toBeLessThanOrEqual(idles[i] + 0.001);
    }
    // Two writes alone (the blocked ones), the 88 behind them in a few statements.
    if (kind === 'postgres') expect(statements.length).toBeLessThanOrEqual(6);
    else expect(statements.length).toBeLessThanOrEqual(clients.length);
  });
});
