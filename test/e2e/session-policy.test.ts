/**
 * Limits per session (the `policy` option and `sw.login(…, { policy })`), end to end over HTTP on
 * real SQLite and Postgres, with the mini app's manual clock: the ping answers each session's own
 * values, each session ends by its own limits (requests and the sweep), the values live on the
 * record (a restart and a second instance apply them without the option), and a bad policy fails
 * the login without creating anything.
 */
import type Koa from 'koa';
import type { SessionPolicy, SessionPolicyFunction } from '../../backend';
import type { PingResponse } from '../../shared/protocol';
import { createTestDatabase, DATABASE_KINDS, type DatabaseKind, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { waitUntilAcquainted } from '../support/instances';
import { anyNumber } from '../support/matchers';
import { startMiniApp, type MiniApp } from '../support/mini-app';
import { testRecord } from '../support/records';

const DAY = 86_400;
/** "Keep me signed in": 14 days, warned a minute before, no absolute limit. */
const REMEMBER: SessionPolicy = { warnAfter: 14 * DAY - 60, expireAfter: 14 * DAY, maxAge: null };
/** The global options of every app here. */
const GLOBAL = { warnAfter: 1740, expireAfter: 1800, maxAge: 36_000 };

/** By user: `short` (a PCI-style 60 s idle limit), `async-short` (the same, asynchronously), bad ones. */
const policy: SessionPolicyFunction = ({ userId }) => {
  if (userId === 'short') return { warnAfter: 30, expireAfter: 60 };
  if (userId === 'async-short') return Promise.resolve({ warnAfter: 30, expireAfter: 60 });
  if (userId === 'inverted') return { warnAfter: 100, expireAfter: 50 };
  if (userId === 'throws') throw new Error('directory unreachable');
  return undefined;
};

/** `?remember=1`: the "keep me signed in" override; `?bad=1`: an invalid one. */
const loginOptions = (ctx: Koa.Context) =>
  ctx.query.remember ? { policy: REMEMBER } : ctx.query.bad ? { policy: { expireAfter: -1 } } : {};

async function start(db: TestDatabase, withPolicy = true): Promise<MiniApp> {
  return startMiniApp({ database: db.url, schema: db.schema, ...GLOBAL, ...(withPolicy ? { policy } : {}) }, { loginOptions });
}

async function login(app: MiniApp, query: string): Promise<TestClient> {
  const c = new TestClient(app.url);
  expect((await c.post(`/login?${query}`)).status).toBe(200);
  return c;
}

function on(app: MiniApp, browser: TestClient): TestClient {
  const view = new TestClient(app.url, browser.userAgent);
  Object.defineProperty(view, 'cookies', { value: browser.cookies }); // the same browser
  return view;
}

const ping = (c: TestClient) => c.post<PingResponse>('/session/ping', { json: { idleFor: 0 } });

/** The limits part of a ping answer. */
async function limitsOf(c: TestClient) {
  const res = await ping(c);
  expect(res.status).toBe(200);
  const { warnAfter, expireAfter, maxAgeLeft } = res.body;
  return { warnAfter, expireAfter, maxAgeLeft };
}

describe.each(DATABASE_KINDS)('per-session policy on %s', (kind: DatabaseKind) => {
  let db: TestDatabase;
  let app: MiniApp;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    app = await start(db);
  });
  afterEach(async () => {
    await app.stop();
    await db.drop();
  });

  test('the ping answers each session its own values: by user, by login, else the global ones', async () => {
    expect(await limitsOf(await login(app, 'user=short'))).toEqual({ warnAfter: 30, expireAfter: 60, maxAgeLeft: 36_000 });
    expect(await limitsOf(await login(app, 'user=async-short'))).toEqual({ warnAfter: 30, expireAfter: 60, maxAgeLeft: 36_000 });
    expect(await limitsOf(await login(app, 'user=alice'))).toEqual({ warnAfter: 1740, expireAfter: 1800, maxAgeLeft: 36_000 });
    // The login's own policy wins over the option's result, field by field; maxAge: null is none.
    expect(await limitsOf(await login(app, 'user=alice&remember=1'))).toEqual({
      warnAfter: 14 * DAY - 60,
      expireAfter: 14 * DAY,
      maxAgeLeft: null,
    });
    expect(await limitsOf(await login(app, 'user=short&remember=1'))).toEqual({
      warnAfter: 14 * DAY - 60,
      expireAfter: 14 * DAY,
      maxAgeLeft: null,
    });
  });

  test('a session with short limits expires while ones with long limits live', async () => {
    const short = await login(app, 'user=short');
    const global = await login(app, 'user=alice');
    const remember = await login(app, 'user=bob&remember=1');
    app.clock.advance(59);
    for (const c of [short, global, remember]) expect((await c.get('/me')).status).toBe(200); // activity
    app.clock.advance(64); // past 60 s + its throttle (min(60, 60 / 20) = 3 s) for `short` only
    const replay = short.clone();
    expect((await short.get('/me')).status).toBe(401);
    expect((await ping(replay)).body).toEqual({ error: 'session_expired', endedFor: anyNumber() });
    expect((await global.get('/me')).status).toBe(200);
    app.clock.advance(1900); // past 1800 + 60 s: the global session ends, "keep me signed in" lives
    expect((await global.get('/me')).status).toBe(401);
    expect((await remember.get('/me')).status).toBe(200);
    app.clock.advance(36_000); // past the global maxAge: not this session's
    expect((await remember.get('/me')).status).toBe(200);
  });

  test('the sweep ends each record by its own limits; a record without stored limits by the global options', async () => {
    const ids = new Map<string, string>();
    app.sw.on('sessionCreated', ({ session }) => ids.set(session.userId, session.id));
    await login(app, 'user=short');
    await login(app, 'user=alice');
    // Records made before policies existed have no limits stored (NULL columns).
    const now = app.clock.now;
    const legacyIdle = testRecord({ userId: 'legacy-idle', createdAt: now - 1_900_000, lastActivity: now - 1_900_000 });
    const legacyRecent = testRecord({ userId: 'legacy-recent', createdAt: now - 100_000, lastActivity: now - 100_000 });
    for (const r of [legacyIdle, legacyRecent]) await app.sw.store.insert(r);
    app.clock.advance(64);
    const swept = (await app.sw.sweep()).expired.map((r) => r.id).sort();
    expect(swept).toEqual([ids.get('short')!, legacyIdle.id].sort());
    expect((await app.sw.listSessions('alice')).map((s) => s.id)).toEqual([ids.get('alice')]);
    expect((await app.sw.listSessions('legacy-recent')).map((s) => s.id)).toEqual([legacyRecent.id]);
    expect((await app.sw.store.findById(ids.get('short')!))!.endReason).toBe('expired');
  });

  test('the values live on the record: after a restart without the option, the same limits hold', async () => {
    const short = await login(app, 'user=short');
    const remember = await login(app, 'user=alice&remember=1');
    const global = await login(app, 'user=carol');
    await app.stop();
    app = await start(db, false); // a new SessionWatch on the same database, no `policy` option
    expect(await limitsOf(on(app, short))).toEqual({ warnAfter: 30, expireAfter: 60, maxAgeLeft: 36_000 });
    expect(await limitsOf(on(app, remember))).toEqual({ warnAfter: 14 * DAY - 60, expireAfter: 14 * DAY, maxAgeLeft: null });
    expect(await limitsOf(on(app, global))).toEqual({ warnAfter: 1740, expireAfter: 1800, maxAgeLeft: 36_000 });
    app.clock.advance(64);
    expect((await on(app, short).get('/me')).status).toBe(401);
    expect((await on(app, global).get('/me')).status).toBe(200);
    expect((await on(app, remember).get('/me')).status).toBe(200);
  });

  describe('a bad policy fails the login with a clear error and creates nothing', () => {
    const failedLogin = async (query: string, browser = new TestClient(app.url)) => {
      const errors: unknown[] = [];
      const onError = (err: unknown) => errors.push(err);
      app.app.on('error', onError);
      try {
        const before = await app.sw.store.count();
        expect((await browser.post(`/login?${query}`)).status).toBe(500);
        expect(await app.sw.store.count()).toBe(before); // no record, not even an ended one
      } finally {
        app.app.off('error', onError);
      }
      expect(errors).toHaveLength(1);
      return errors[0] as Error;
    };

    test('an invalid result of the option', async () => {
      const err = await failedLogin('user=inverted');
      expect(err).toBeInstanceOf(RangeError);
      expect(err.message).toBe('sessionwatch: policy "warnAfter" (100) must be less than "expireAfter" (50), from the "policy" option');
      expect(await app.sw.listSessions('inverted')).toEqual([]);
    });

    test('an option that throws', async () => {
      const err = await failedLogin('user=throws');
      expect(err.message).toBe('sessionwatch: the "policy" option threw for this login: directory unreachable');
      expect((err.cause as Error).message).toBe('directory unreachable');
    });

    test('an invalid login policy, from a browser already logged in: its session is left as it was', async () => {
      const browser = await login(app, 'user=alice');
      const err = await failedLogin('user=alice&bad=1', browser);
      expect(err).toBeInstanceOf(RangeError);
      expect(err.message).toMatch(/policy "expireAfter" must be a positive finite number of seconds \(got -1\), from sw\.login/);
      expect(await browser.get('/me')).toMatchObject({ status: 200, body: { user: 'alice' } });
      expect(await app.sw.listSessions('alice')).toHaveLength(1);
    });
  });
});

describe('per-session policy on two instances on one Postgres', () => {
  let db: TestDatabase;
  let a: MiniApp;
  let b: MiniApp;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    a = await start(db);
    b = await start(db, false); // B has no `policy` option: it reads the limits from the records
    await waitUntilAcquainted([a.sw, b.sw]);
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await db.drop();
  });

  test('a session logged in on A has its own limits on B: the ping, the request check and the sweep', async () => {
    let shortId = '';
    a.sw.once('sessionCreated', ({ session }) => (shortId = session.id));
    const short = await login(a, 'user=short');
    const remember = await login(a, 'user=alice&remember=1');
    expect(await limitsOf(on(b, short))).toEqual({ warnAfter: 30, expireAfter: 60, maxAgeLeft: 36_000 });
    expect(await limitsOf(on(b, remember))).toEqual({ warnAfter: 14 * DAY - 60, expireAfter: 14 * DAY, maxAgeLeft: null });
    expect((await on(b, short).get('/me')).status).toBe(200); // cached on B now
    for (const app of [a, b]) app.clock.advance(64);
    expect((await b.sw.sweep()).expired.map((r) => r.id)).toEqual([shortId]);
    expect((await on(b, short).get('/me')).status).toBe(401);
    expect((await on(a, remember).get('/me')).status).toBe(200);
    expect((await on(b, remember).get('/me')).status).toBe(200);
  });
});
