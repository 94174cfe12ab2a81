/**
 * The mistakes integrators make (issue 13), over real HTTP on real SQLite and Postgres: each one
 * is caught with an error saying what to do, or is harmless.
 */
import Koa from 'koa';
import session from 'koa-session';
import { createTestDatabase, DATABASE_KINDS, type DatabaseKind, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { appSession, listen, startMiniApp } from '../support/mini-app';
import type { ErrorBody, SessionListResponse } from '../../shared/protocol';
import { SessionWatch } from '../../backend/sessionwatch';
import type { SessionWatchOptions } from '../../backend/options';
import { MemorySessionStore } from '../../example/memory-session-store';
import { MemoryStore } from '../../backend/store/memory-store';
import { stringContaining, stringMatching } from '../support/matchers';

interface App {
  url: string;
  sw: SessionWatch;
  logged: string[];
  stop(): Promise<void>;
}

/**
 * A Koa app with `POST /login` and `GET /me`, koa-session mounted `before` or `after`
 * sessionwatch (or not at all), cookie sessions or an external store.
 */
async function startApp(
  db: TestDatabase | null,
  {
    order = 'before',
    store,
    migrate = true,
    ...options
  }: { order?: 'before' | 'after' | 'none'; store?: MemorySessionStore; migrate?: boolean } & SessionWatchOptions = {},
): Promise<App> {
  const logged: string[] = [];
  const sw = new SessionWatch({
    database: db ? db.url : new MemoryStore(),
    schema: db?.schema,
    sweepInterval: 0,
    logger: { error: (message) => logged.push(message) },
    ...options,
  });
  if (migrate) await sw.migrate();
  const app = new Koa();
  app.keys = ['test-key'];
  app.silent = true;
  const sessions = order === 'none' ? undefined : session({ key: 'sid', sameSite: 'lax', store }, app);
  if (order === 'before' && sessions) app.use(sessions);
  app.use(sw.middleware());
  if (order === 'after' && sessions) app.use(sessions);
  app.use(async (ctx) => {
    if (ctx.path === '/login' && ctx.method === 'POST') {
      await sw.login(ctx, 'alice');
      appSession(ctx)!.user = 'alice';
      ctx.body = { ok: true };
    } else if (ctx.path === '/me') {
      const user = appSession(ctx)?.user;
      ctx.status = user ? 200 : 401;
      ctx.body = user ? { user } : { error: 'unauthenticated' };
    }
  });
  return { ...(await listen(app, sw)), sw, logged };
}

describe.each(DATABASE_KINDS)('integrator mistakes on %s', (kind: DatabaseKind) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await db.drop();
  });

  describe.each([
    ['cookie sessions', () => undefined],
    ['an external store', () => new MemorySessionStore()],
  ])('sw.middleware() mounted before koa-session, with %s', (_name, makeStore) => {
    test('every request fails with 500 "mount sw.middleware() after koa-session", logged once, nothing tracked', async () => {
      const store = makeStore();
      const app = await startApp(db, { order: 'after', store });
      try {
        const c = new TestClient(app.url);
        for (const [method, path] of [
          ['POST', '/login'],
          ['GET', '/me'],
          ['GET', '/session/sessions'],
          ['GET', '/'],
        ] as const) {
          const res = await c.request(method, path);
          expect([method, path, res.status]).toEqual([method, path, 500]);
          expect(res.body).toEqual({ error: 'misconfigured', message: stringContaining('mount sw.middleware() after koa-session') });
        }
        expect(app.logged).toEqual([stringContaining('mount sw.middleware() after koa-session')]);
        expect(await app.sw.store.count()).toBe(0);
        expect(store?.entries.size ?? 0).toBe(0);
      } finally {
        await app.stop();
      }
    });

    test('mounted in the right order, the same app tracks the session', async () => {
      const store = makeStore();
      const app = await startApp(db, { order: 'before', store });
      try {
        const c = new TestClient(app.url);
        expect((await c.post('/login')).status).toBe(200);
        expect((await c.get<SessionListResponse>('/session/sessions')).body.sessions).toHaveLength(1);
        expect(app.logged).toEqual([]);
      } finally {
        await app.stop();
      }
    });
  });

  test('without koa-session at all: 500 saying to add it, logged once', async () => {
    const app = await startApp(db, { order: 'none' });
    try {
      const c = new TestClient(app.url);
      const res = await c.post<ErrorBody>('/login');
      expect(res.status).toBe(500);
      expect(res.body.message).toMatch(/needs koa-session.*mount sw\.middleware\(\) after koa-session/);
      expect((await c.get('/me')).status).toBe(500);
      expect(app.logged).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });

  test('migrate() forgotten: 500 saying "run migrate()", logged once; after migrate() it works', async () => {
    const app = await startApp(db, { migrate: false });
    try {
      const c = new TestClient(app.url);
      for (let i = 0; i < 3; i++) {
        const res = await c.post('/login');
        expect(res.status).toBe(500);
        expect(res.body).toEqual({ error: 'misconfigured', message: stringContaining('run migrate()') });
      }
      expect(app.logged).toEqual([
        stringMatching(
          /sessions table "sessionwatch_sessions" \(or its security log "sessionwatch_sessions_events"\) does not exist or is older than this version of sessionwatch: run migrate\(\)/,
        ),
      ]);
      await app.sw.migrate();
      expect((await c.post('/login')).status).toBe(200);
      expect((await c.get('/me')).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  test('strict routes: DELETE /session/sessions/ (an empty id) is a 404 and revokes nothing', async () => {
    const app = await startApp(db);
    try {
      const a = new TestClient(app.url);
      const b = new TestClient(app.url);
      expect((await a.post('/login')).status).toBe(200);
      expect((await b.post('/login')).status).toBe(200);
      const variants: Array<[string, string]> = [
        ['DELETE', '/session/sessions/'],
        ['DELETE', '/session/sessions//'],
        ['DELETE', '/session//sessions'],
        ['DELETE', '/session/SESSIONS'],
        ['DELETE', '/session/Sessions/'],
        ['GET', '/session/sessions/'],
        ['GET', '/session//sessions'],
        ['POST', '/session/ping/'],
        ['POST', '/session//ping'],
        ['POST', '/session/logout/'],
        ['POST', '/session/Logout'],
        ['GET', '/session/'],
        ['GET', '/session'],
        ['GET', '/session//'],
      ];
      for (const [method, path] of variants) {
        const res = await a.request(method, path, method === 'POST' ? { json: { idleFor: 0 } } : {});
        expect([method, path, res.status, res.body]).toEqual([method, path, 404, { error: 'route_not_found' }]);
      }
      // Nothing was revoked or logged out: both sessions are alive and listed.
      expect((await b.get('/me')).status).toBe(200);
      expect((await a.get<SessionListResponse>('/session/sessions')).body.sessions).toHaveLength(2);
      // The real routes still answer.
      expect((await a.delete('/session/sessions')).body).toEqual({ revoked: 1 });
    } finally {
      await app.stop();
    }
  });

  test('database errors reach the logger (each once until the database works again, at most once a minute), requests fail closed', async () => {
    // No cache: every request reads the database.
    const app = await startApp(db, { cache: false });
    try {
      const c = new TestClient(app.url);
      expect((await c.post('/login')).status).toBe(200);
      // Break the store underneath: every call fails as a lost database would.
      const raw = (app.sw as unknown as { core: { raw: { findByTokenHash: unknown } } }).core.raw;
      const real = raw.findByTokenHash;
      raw.findByTokenHash = async () => {
        throw new Error('connection terminated unexpectedly');
      };
      for (let i = 0; i < 3; i++) expect((await c.get('/me')).status).toBe(503);
      expect(app.logged).toEqual([stringMatching(/session database error.*connection terminated unexpectedly/)]);
      raw.findByTokenHash = real;
      expect((await c.get('/me')).status).toBe(200);
      // The same error again within a minute (a flapping database): not repeated; another one is said.
      raw.findByTokenHash = async () => {
        throw new Error('connection terminated unexpectedly');
      };
      expect((await c.get('/me')).status).toBe(503);
      expect(app.logged).toHaveLength(1);
      raw.findByTokenHash = async () => {
        throw new Error('too many clients already');
      };
      expect((await c.get('/me')).status).toBe(503);
      expect(app.logged).toEqual([
        stringMatching(/connection terminated unexpectedly/),
        stringMatching(/session database error.*too many clients already/),
      ]);
      raw.findByTokenHash = real;
    } finally {
      await app.stop();
    }
  });
});

test('an option of the app that throws is a JSON 500 naming the option, what it threw only in the log', async () => {
  const lines: string[] = [];
  const logger = { error: (message: string) => lines.push(message) };
  const app = await startMiniApp({
    logger,
    passive: [
      (ctx) => {
        if (ctx.path === '/boom') throw new Error('db password is hunter2');
        return false;
      },
    ],
  });
  try {
    const c = new TestClient(app.url);
    await c.post('/login?user=alice');
    app.clock.advance(120); // an activity write is due: the rules are asked
    for (let i = 0; i < 2; i++) {
      const res = await c.get<ErrorBody>('/boom');
      expect([res.status, res.body]).toEqual([
        500,
        { error: 'misconfigured', message: 'sessionwatch: the "passive" option threw (what it threw is in the server log)' },
      ]);
      expect(res.text).not.toContain('hunter2');
    }
    expect(lines).toEqual([stringContaining('the "passive" option threw: db password is hunter2')]);
    expect((await c.get('/me')).status).toBe(200);
  } finally {
    await app.stop();
  }
});
