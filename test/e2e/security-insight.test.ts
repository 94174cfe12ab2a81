/**
 * Security insight over HTTP, on real SQLite and real Postgres: where each session is (the
 * `geoip` option on MaxMind's test database), its last address moved at once and never written
 * again for the same one, `ipPrivacy: 'truncate'`, the security log (`GET /session/history`, its
 * admin variant and `sw.history`) with an entry for every end reason and who revoked, paging,
 * retention, and "a sign-in from a new device".
 */
import path from 'node:path';
import type { Knex } from 'knex';
import { connect, migrationConfig, type SessionCreatedEvent, type SessionEndedEvent } from '../../backend';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient, USER_AGENTS } from '../support/http-client';
import { appSession, startMiniApp, type MiniApp } from '../support/mini-app';
import type { ErrorBody, HistoryResponse, SecurityEvent, SessionListResponse } from '../../shared/protocol';

const GEOIP = path.join(__dirname, '..', 'fixtures', 'geoip', 'GeoLite2-City-Test.mmdb');
const LONDON = { city: 'London', country: 'United Kingdom', countryCode: 'GB' };
const LINKOPING = { city: 'Linköping', country: 'Sweden', countryCode: 'SE' };
const DAY = 24 * 3600;

/** A koa-session external store in a Map, so that a test can lose an entry (`lost`). */
function mapStore() {
  const entries = new Map<string, unknown>();
  return {
    entries,
    get: async (key: string) => entries.get(key),
    set: async (key: string, value: unknown) => void entries.set(key, value),
    destroy: async (key: string) => void entries.delete(key),
  };
}

describe.each(DATABASE_KINDS)('security insight on %s', (kind) => {
  let db: TestDatabase;
  let knex: Knex;
  let app: MiniApp;
  const external = mapStore();
  /** SQL statements run by the app, for "no write" checks. */
  const statements: string[] = [];
  const created: SessionCreatedEvent[] = [];
  const ended: SessionEndedEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    knex = connect(db.url, { schema: db.schema });
    knex.on('query', (query: { sql: string }) => statements.push(query.sql));
    app = await startMiniApp(
      {
        database: knex,
        schema: db.schema,
        warnAfter: 600,
        expireAfter: 1200,
        geoip: { database: GEOIP },
        maxSessionsPerUser: 3,
        isAdmin: (ctx) => appSession(ctx)?.user === 'admin',
      },
      { sessionStore: external },
    );
    app.app.proxy = true; // the test's "browsers" say where they are in X-Forwarded-For
    app.sw.on('sessionCreated', (event) => created.push(event));
    app.sw.on('sessionEnded', (event) => ended.push(event));
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  /** A browser at `ip`, logged in as `user`; the clock then moves a second, so that what follows is newer. */
  async function browserAt(ip: string, user: string, userAgent?: string): Promise<TestClient> {
    const c = new TestClient(app.url, userAgent);
    c.headers['x-forwarded-for'] = ip;
    expect((await c.post(`/login?user=${user}`)).status).toBe(200);
    app.clock.advance(1);
    return c;
  }
  const current = async (c: TestClient) => (await c.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current)!;
  const history = (c: TestClient, query = '') => c.get<HistoryResponse & ErrorBody>(`/session/history${query}`);

  test('logins from known and unknown addresses: the location, or null', async () => {
    expect((await current(await browserAt('81.2.69.142', 'loc-a'))).location).toEqual(LONDON);
    expect((await current(await browserAt('89.160.20.112', 'loc-a'))).location).toEqual(LINKOPING);
    for (const unknown of ['10.0.0.1', '8.8.8.8', '<b>not an address</b>']) {
      const info = await current(await browserAt(unknown, 'loc-b'));
      expect(info.location).toBeNull();
    }
    const [login] = (await history(await browserAt('81.2.69.142', 'loc-c'))).body.events;
    expect(login).toMatchObject({ type: 'login', ip: '81.2.69.142', location: LONDON });
  });

  test('an address change shows at once in the list; requests from an unchanged address write nothing', async () => {
    const c = await browserAt('81.2.69.142', 'mover');
    const other = await browserAt('10.0.0.1', 'mover');
    statements.length = 0;
    for (let i = 0; i < 5; i++) expect((await c.get('/me')).status).toBe(200);
    expect(statements.filter((sql) => /^\s*(update|insert|delete)/i.test(sql))).toEqual([]);

    c.headers['x-forwarded-for'] = '89.160.20.112';
    expect((await c.get('/me')).status).toBe(200);
    expect(statements.filter((sql) => /^\s*update/i.test(sql))).toHaveLength(1);
    // Seen from another of the user's sessions, at once: the last address and where it is.
    const listed = (await other.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => !s.current)!;
    expect(listed).toMatchObject({ ip: '89.160.20.112', location: LINKOPING });
    // The login address is kept apart.
    const session = (await app.sw.listSessions('mover')).find((s) => s.id === listed.id);
    expect(session).toMatchObject({ ip: '89.160.20.112', loginIp: '81.2.69.142', location: LINKOPING });

    statements.length = 0;
    for (let i = 0; i < 3; i++) expect((await c.get('/me')).status).toBe(200);
    expect(statements.filter((sql) => /^\s*(update|insert|delete)/i.test(sql))).toEqual([]);
    // An unparseable address never replaces a known one.
    c.headers['x-forwarded-for'] = 'garbage';
    expect((await c.get('/me')).status).toBe(200);
    expect((await current(c)).ip).toBe('89.160.20.112');
  });

  test('events for every end reason, with who revoked, newest first; sessionEnded says who too', async () => {
    const user = 'ends';
    const expectLast = async (type: SecurityEvent['type'], by: SecurityEvent['by'], session: string) => {
      const { events } = await app.sw.history(user, { limit: 200 });
      expect(events.filter((e) => e.sessionId === session).map((e) => [e.type, e.by])).toEqual([
        [type, by],
        ['login', null],
      ]);
      const last = ended[ended.length - 1];
      expect([last.session.id, last.reason, last.by]).toEqual([session, type === 'logout' ? 'logged-out' : type, by ?? undefined]);
    };
    // logout
    let a = await browserAt('81.2.69.142', user);
    let id = (await current(a)).id;
    expect((await a.post('/session/logout')).status).toBe(204);
    await expectLast('logout', null, id);
    // revoked from that very session
    a = await browserAt('81.2.69.142', user);
    id = (await current(a)).id;
    expect((await a.delete(`/session/sessions/${id}`)).status).toBe(204);
    await expectLast('revoked', 'self', id);
    // revoked from another of the user's sessions (one, then "all others")
    a = await browserAt('81.2.69.142', user);
    const b = await browserAt('89.160.20.112', user);
    id = (await current(a)).id;
    expect((await b.delete(`/session/sessions/${id}`)).status).toBe(204);
    await expectLast('revoked', 'other-session', id);
    a = await browserAt('81.2.69.142', user);
    id = (await current(a)).id;
    expect((await b.delete('/session/sessions')).body).toEqual({ revoked: 1 });
    await expectLast('revoked', 'other-session', id);
    // revoked by an administrator, with the administrator's user id in the server API
    a = await browserAt('81.2.69.142', user);
    id = (await current(a)).id;
    const admin = await browserAt('10.0.0.1', 'admin');
    expect((await admin.delete(`/session/admin/sessions/${id}`)).status).toBe(204);
    await expectLast('revoked', 'admin', id);
    expect((await app.sw.history(user)).events.find((e) => e.sessionId === id && e.type === 'revoked')).toMatchObject({
      byUserId: 'admin',
      bySessionId: (await current(admin)).id,
    });
    // revoked by the app's server code
    a = await browserAt('81.2.69.142', user);
    id = (await current(a)).id;
    expect(await app.sw.revokeSession(user, id)).toBe(true);
    await expectLast('revoked', 'server', id);
    // revoked by the maxSessionsPerUser cap (3): the oldest of four goes
    const capped = (await current(b)).id;
    for (let i = 0; i < 3; i++) {
      app.clock.advance(1);
      await browserAt('81.2.69.142', user);
    }
    await expectLast('revoked', 'server', capped);
    expect(ended[ended.length - 1].cause).toBe('maxSessionsPerUser');
    // lost: the app's session store lost the entry of a live session
    a = await browserAt('81.2.69.142', user);
    id = (await current(a)).id;
    external.entries.delete(a.cookies.get('sid')!);
    expect((await a.get('/me')).status).toBe(401);
    await expectLast('lost', null, id);
    // expired, found by a request…
    a = await browserAt('81.2.69.142', user);
    id = (await current(a)).id;
    app.clock.advance(1300);
    expect((await a.get('/me')).status).toBe(401);
    await expectLast('expired', null, id);
    // …and by the sweep (several at once: one entry each)
    const idle = [await browserAt('81.2.69.142', user), await browserAt('89.160.20.112', user)];
    const idleIds = await Promise.all(idle.map(async (c) => (await current(c)).id));
    app.clock.advance(1300);
    await app.sw.sweep();
    const { events } = await app.sw.history(user, { limit: 200 });
    for (const sessionId of idleIds)
      expect(events.filter((e) => e.sessionId === sessionId).map((e) => e.type)).toEqual(['expired', 'login']);
    // Every entry carries where and with what.
    expect(events.find((e) => e.type === 'login' && e.ip === '89.160.20.112')).toMatchObject({
      location: LINKOPING,
      browser: { name: 'Chrome' },
      os: { name: 'Linux' },
      device: 'desktop',
    });
    const times = events.map((e) => e.at.getTime());
    expect(times).toEqual([...times].sort((x, y) => y - x));
  });

  test('paging returns each event once, while new events arrive between pages', async () => {
    const user = 'pager';
    for (let i = 0; i < 9; i++) {
      const c = await browserAt('81.2.69.142', user);
      await c.post('/session/logout');
      if (i % 3 === 0) app.clock.advance(-1); // ties on time included (a login and the previous logout)
    }
    const reader = await browserAt('10.0.0.1', user);
    const all = (await history(reader, '?limit=200')).body.events.map((e) => e.id);
    expect(all.length).toBeGreaterThan(10);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof history>> = await history(reader, `?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      seen.push(...page.body.events.map((e) => e.id));
      cursor = page.body.nextCursor;
      await (await browserAt('81.2.69.142', user)).post('/session/logout'); // newer: never shifts what comes next
    } while (cursor);
    expect(seen).toEqual(all);
  });

  test('newDevice: true for a browser, OS and device type new to the user, false after', async () => {
    const user = 'devices';
    created.length = 0;
    for (const [ip, userAgent] of [
      ['81.2.69.142', undefined],
      ['89.160.20.112', undefined], // another address, same browser: not a new device
      ['81.2.69.142', USER_AGENTS.firefoxWindows],
      ['81.2.69.142', USER_AGENTS.safariIphone],
      ['81.2.69.142', USER_AGENTS.safariIphone],
    ]) {
      await (await browserAt(ip!, user, userAgent)).post('/session/logout');
    }
    expect(created.map((e) => e.newDevice)).toEqual([true, false, true, true, false]);
    const logins = (await app.sw.history(user, { limit: 200 })).events.filter((e) => e.type === 'login');
    expect(logins.map((e) => e.newDevice).reverse()).toEqual([true, false, true, true, false]);
    const other = (await app.sw.history(user, { limit: 200 })).events.filter((e) => e.type !== 'login');
    for (const e of other) expect(e.newDevice).toBeNull();
  });

  test("sw.history: the previous page's nextCursor (null at the end) goes back as is; bad options are refused, naming them", async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof app.sw.history>> = await app.sw.history('pager', { limit: 5, cursor });
      ids.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(10);
    await expect(app.sw.history('pager', { limt: 5 } as never)).rejects.toThrow(
      'sessionwatch: history: unknown option "limt" (known: limit, cursor)',
    );
    await expect(app.sw.history('pager', { limit: '5' } as never)).rejects.toThrow('sessionwatch: history: limit must be a number');
    await expect(app.sw.history('pager', 'latest' as never)).rejects.toThrow(TypeError);
    await expect(app.sw.history('pager', { limit: 0 })).rejects.toThrow(RangeError);
    await expect(app.sw.history('pager', { cursor: 'nope' })).rejects.toThrow(/history: cursor is not one this server returned/);
  });

  test('anonymous 401; bad query 400; another user 403 on the admin variant, which an administrator reads', async () => {
    const anonymous = new TestClient(app.url);
    expect((await history(anonymous)).status).toBe(401);
    expect((await anonymous.get('/session/admin/users/devices/history')).status).toBe(401);
    const c = await browserAt('81.2.69.142', 'asker');
    const sessionsCursor = (await (await browserAt('81.2.69.142', 'admin')).get<{ nextCursor: string }>('/session/admin/sessions?limit=1'))
      .body.nextCursor;
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=x',
      '?cursor=nope',
      `?cursor=${sessionsCursor}`,
      '?limit=1&limit=2',
      '?page=2',
    ]) {
      const res = await history(c, query);
      expect([query, res.status, res.body.error]).toEqual([query, 400, 'bad_request']);
      expect(res.body.message).toEqual(expect.any(String));
    }
    expect((await c.get('/session/admin/users/devices/history')).status).toBe(403);
    const admin = await browserAt('10.0.0.1', 'admin');
    const theirs = await admin.get<HistoryResponse>('/session/admin/users/devices/history?limit=2');
    expect(theirs.status).toBe(200);
    expect(theirs.body.events).toHaveLength(2);
    expect(theirs.body.events[0]).toMatchObject({ type: 'logout', browser: { name: 'Mobile Safari' } });
    expect((await admin.get('/session/admin/users/devices/history?cursor=nope')).status).toBe(400);
    // Nobody's log is an empty page, not a 404 (a user id says nothing about existence).
    expect((await admin.get<HistoryResponse>('/session/admin/users/nobody/history')).body).toEqual({ events: [], nextCursor: null });
  });

  test('retention: the sweep purges entries older than historyRetention (90 days by default)', async () => {
    const c = await browserAt('81.2.69.142', 'keeper');
    expect((await app.sw.history('keeper')).events).toHaveLength(1);
    app.clock.advance(89 * DAY);
    await c.get('/me'); // expired by now: an entry of its own
    expect((await app.sw.sweep()).purgedEvents).toBe(0);
    app.clock.advance(2 * DAY);
    // Past the retention, entries are gone from the log at once, before the sweep deletes them.
    expect((await app.sw.history('keeper')).events.map((e) => e.type)).toEqual(['expired']);
    const { purgedEvents } = await app.sw.sweep();
    expect(purgedEvents).toBeGreaterThan(1);
    expect((await app.sw.history('keeper')).events.map((e) => e.type)).toEqual(['expired']);
    // Past the retention, the same browser is a new device again.
    created.length = 0;
    await browserAt('81.2.69.142', 'devices');
    expect(created[0].newDevice).toBe(true);
  });
});

describe.each(DATABASE_KINDS)("ipPrivacy: 'truncate' on %s", (kind) => {
  test('switched on over full addresses: none is left anywhere, none is written; the location is still that of the full address', async () => {
    const db = await createTestDatabase(kind);
    const start = async (ipPrivacy: 'full' | 'truncate') => {
      const app = await startMiniApp({
        database: connect(db.url, { schema: db.schema }),
        schema: db.schema,
        ipPrivacy,
        geoip: { database: GEOIP },
      });
      app.app.proxy = true;
      return app;
    };
    const at = (app: MiniApp, ip: string) => {
      const c = new TestClient(app.url);
      c.headers['x-forwarded-for'] = ip;
      return c;
    };
    // Before: full addresses in live and ended sessions and in the log.
    let app = await start('full');
    const live = at(app, '89.160.20.112');
    await live.post('/login?user=private');
    app.clock.advance(1);
    const gone = at(app, '2001:db8:1:2::3');
    await gone.post('/login?user=private');
    app.clock.advance(1);
    await gone.delete(`/session/sessions/${(await current(gone)).id}`);
    await app.stop();
    // After: migrate() truncated everything stored; new requests store networks only.
    app = await start('truncate');
    app.clock.advance(10); // its clock starts where the first one did
    // The same browser, on the restarted app (a new port here).
    const again = at(app, '89.160.20.112');
    for (const [name, value] of live.cookies) again.cookies.set(name, value);
    try {
      expect((await again.get('/me')).status).toBe(200);
      again.headers['x-forwarded-for'] = '89.160.20.113';
      expect((await again.get('/me')).status).toBe(200);
      const d = at(app, '81.2.69.142');
      await d.post('/login?user=private');
      app.clock.advance(1);
      d.headers['x-forwarded-for'] = '2001:db8:1:2::4';
      await d.get('/me');
      await d.post('/session/logout');
      expect((await again.get<SessionListResponse>('/session/sessions')).body.sessions[0]).toMatchObject({
        ip: '89.160.20.0',
        location: LINKOPING,
      });
      const { events } = await app.sw.history('private');
      expect(events.map((e) => [e.type, e.ip])).toEqual([
        ['logout', '2001:db8:1::'],
        ['login', '81.2.69.0'],
        ['revoked', '2001:db8:1::'],
        ['login', '2001:db8:1::'],
        ['login', '89.160.20.0'],
      ]);
      expect(events[1].location).toEqual(LONDON);
      const knex = connect(db.url, { schema: db.schema });
      try {
        const dump = JSON.stringify(
          await Promise.all([knex('sessionwatch_sessions').select('*'), knex('sessionwatch_sessions_events').select('*')]),
        );
        for (const full of ['89.160.20.112', '89.160.20.113', '81.2.69.142', '2001:db8:1:2::3', '2001:db8:1:2::4'])
          expect(dump).not.toContain(full);
      } finally {
        await knex.destroy();
      }
    } finally {
      await app.stop();
      await db.drop();
    }
  });
});

/** The current session of a client, as its list says. */
async function current(c: TestClient) {
  return (await c.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current)!;
}

describe.each(DATABASE_KINDS)('upgrading on %s without running migrate()', (kind) => {
  test('a schema of 0.2 (migrations 001-002): logins and lists answer 500 misconfigured saying to run migrate(), never 503', async () => {
    const db = await createTestDatabase(kind);
    const knex = connect(db.url, { schema: db.schema });
    if (db.schema) await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [db.schema]);
    await knex.migrate.up(migrationConfig());
    await knex.migrate.up(migrationConfig());
    await knex.destroy();
    const logged: string[] = [];
    const app = await startMiniApp(
      { database: connect(db.url, { schema: db.schema }), schema: db.schema, logger: { error: (message) => logged.push(message) } },
      { migrate: false },
    );
    try {
      const res = await new TestClient(app.url).post<ErrorBody>('/login');
      expect([res.status, res.body.error]).toEqual([500, 'misconfigured']);
      expect(res.body.message).toMatch(/does not exist or is older than this version of sessionwatch: run migrate\(\)/);
      expect(logged).toEqual([expect.stringMatching(/run migrate\(\)/)]);
    } finally {
      await app.stop();
      await db.drop();
    }
  });
});
