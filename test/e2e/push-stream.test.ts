/**
 * The push stream (`GET {apiPrefix}/events`, server-sent events) over real HTTP on SQLite and
 * Postgres, and across two instances on Postgres: a session's end reaches its stream the moment it
 * happens (revoked by the user, another session, an admin, the server API; expired by the sweep;
 * logged out), then the stream closes; a change of its limits (`sw.setPolicy`, the admin policy
 * routes) as a `policy` event, the stream staying open; it is never activity; anonymous and ended
 * sessions get the 401; `sw.close()` closes every stream.
 */
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import Koa from 'koa';
import session from 'koa-session';
import { MemoryStore, SessionWatch } from '../../backend';
import { appSession, listen, startMiniApp, type MiniApp } from '../support/mini-app';
import { openStream, type OpenStream } from '../support/sse';
import type { ErrorBody, PingResponse, PolicyChangeResponse, PushPolicy, SessionListResponse } from '../../shared/protocol';
import { waitUntilAcquainted } from '../support/instances';
import { sleep, until } from '../support/wait';
import { anyNumber } from '../support/matchers';

/** The events of a stream but the first `open`, by name and data. */
const said = (stream: OpenStream) => stream.events.slice(1).map(({ event, data }) => [event, data]);

describe.each(DATABASE_KINDS)('the push stream on %s', (kind) => {
  let db: TestDatabase;
  let app: MiniApp;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    app = await startMiniApp({
      database: db.url,
      schema: db.schema,
      warnAfter: 30,
      expireAfter: 60,
      touchInterval: 3,
      isAdmin: (ctx) => appSession(ctx)?.user === 'admin',
    });
  });
  afterEach(async () => {
    await app.stop();
    await db.drop();
  });

  async function loggedIn(user = 'alice'): Promise<TestClient> {
    const c = new TestClient(app.url);
    expect((await c.post(`/login?user=${user}`)).status).toBe(200);
    return c;
  }
  const idOf = async (c: TestClient) => (await c.get<SessionListResponse>('/session/sessions')).body.sessions[0].id;

  test('opens as the session\'s: event-stream, no-store, never buffered; "ended" when another session revokes it, then closed', async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    const stream = await openStream(b);
    expect([
      stream.status,
      stream.headers.get('content-type'),
      stream.headers.get('cache-control'),
      stream.headers.get('x-accel-buffering'),
    ]).toEqual([200, 'text/event-stream; charset=utf-8', 'no-store', 'no']);
    const opened = await stream.next('open');
    expect(opened.data).toEqual({ session: await idOf(b) });
    const revokedAt = Date.now();
    expect((await a.delete(`/session/sessions/${await idOf(b)}`)).status).toBe(204);
    const ended = await stream.next('ended', 1000);
    expect(ended.data).toEqual({ reason: 'revoked', by: 'other-session' });
    expect(ended.at - revokedAt).toBeLessThan(1000);
    await stream.closed;
  });

  test.each([
    [
      'an administrator',
      async (target: TestClient) => {
        const admin = await loggedIn('admin');
        expect((await admin.delete(`/session/admin/sessions/${await idOf(target)}`)).status).toBe(204);
      },
      { reason: 'revoked', by: 'admin' },
    ],
    [
      'the server API (revokeAll)',
      async () => {
        expect(await app.sw.revokeAll('alice')).toBe(1);
      },
      { reason: 'revoked', by: 'server' },
    ],
    [
      'a logout in another tab',
      async (target: TestClient) => {
        expect((await target.post('/session/logout')).status).toBe(204);
      },
      { reason: 'logged-out' },
    ],
    [
      'the sweep, past the deadline',
      async () => {
        app.clock.advance(70);
        await app.sw.sweep();
      },
      { reason: 'expired' },
    ],
  ] as const)('ended by %s: the stream says so at once', async (_name, end, expected) => {
    const target = await loggedIn();
    const stream = await openStream(target);
    await stream.next('open');
    await end(target);
    expect((await stream.next('ended', 1000)).data).toEqual(expected);
    await stream.closed;
  });

  test('a stream is no activity: a session that only holds one idles out', async () => {
    const c = await loggedIn();
    const id = await idOf(c);
    const before = (await app.sw.store.findById(id))!.lastActivity;
    app.clock.advance(10);
    const stream = await openStream(c);
    await stream.next('open');
    expect((await app.sw.store.findById(id))!.lastActivity).toBe(before);
    stream.abort();
    await until(() => app.sw.pushStreams === 0, { what: 'the stream forgotten' });
  });

  test('anonymous or ended: the 401 that says why, no stream', async () => {
    const anonymous = await openStream(new TestClient(app.url));
    expect(anonymous.status).toBe(401);
    const c = await loggedIn();
    const replay = c.clone();
    await app.sw.revokeAll('alice');
    const ended = await openStream(replay);
    expect(ended.status).toBe(401);
    const res = await replay.get<ErrorBody>('/session/events');
    expect(res.body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
  });

  test('sw.close() closes every stream', async () => {
    const streams = [await openStream(await loggedIn()), await openStream(await loggedIn('bob'))];
    await Promise.all(streams.map((s) => s.next('open')));
    expect(app.sw.pushStreams).toBe(2);
    await app.sw.close();
    await Promise.all(streams.map((s) => s.closed));
  });

  async function streamOf(user: string): Promise<{ browser: TestClient; stream: OpenStream }> {
    const browser = await loggedIn(user);
    const stream = await openStream(browser);
    await stream.next('open');
    return { browser, stream };
  }

  test("an administrator tightens a user's idle limit: each of their streams says so at once and stays open; others hear nothing", async () => {
    const [first, second, other] = [await streamOf('alice'), await streamOf('alice'), await streamOf('bob')];
    const admin = new TestClient(app.url);
    await admin.post('/login?user=admin');
    const changedAt = Date.now();
    const res = await admin.request<PolicyChangeResponse>('PUT', '/session/admin/users/alice/policy', {
      json: { warnAfter: 15, expireAfter: 20, maxAge: 3600 },
    });
    expect(res.body).toEqual({ changed: 2 });
    const expected: PushPolicy = { warnAfter: 15, expireAfter: 20, maxAge: 3600 };
    for (const { stream } of [first, second]) {
      const policy = await stream.next('policy', 1000);
      expect([policy.data, policy.at - changedAt < 1000]).toEqual([expected, true]);
    }
    // What a tab then asks, the ping, holds the same limits.
    expect((await first.browser.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body).toMatchObject({
      warnAfter: 15,
      expireAfter: 20,
    });
    // The same limits again change nothing the browser must hear; the streams are still the session's.
    await app.sw.setPolicy('alice', expected);
    await app.sw.revokeAll('alice');
    for (const { stream } of [first, second]) {
      await stream.next('ended', 1000);
      expect(said(stream)).toEqual([
        ['policy', expected],
        ['ended', { reason: 'revoked', by: 'server' }],
      ]);
      await stream.closed;
    }
    expect(said(other.stream)).toEqual([]);
  });

  test('one session given its own limits: only its stream hears; back on the global options, it hears them', async () => {
    const [target, sibling] = [await streamOf('carol'), await streamOf('carol')];
    const id = (target.stream.events[0].data as { session: string }).session;
    expect(await app.sw.setPolicy('carol', { maxAge: null, warnAfter: 300, expireAfter: 360 }, { sessionId: id })).toBe(1);
    expect((await target.stream.next('policy', 1000)).data).toEqual({ warnAfter: 300, expireAfter: 360, maxAge: null });
    await app.sw.setPolicy('carol', null, { sessionId: id });
    await until(() => said(target.stream).length === 2, { timeout: 1000, what: 'the second policy event' });
    expect(said(target.stream).map(([, data]) => data)).toEqual([
      { warnAfter: 300, expireAfter: 360, maxAge: null },
      { warnAfter: 30, expireAfter: 60, maxAge: null },
    ]);
    expect(said(sibling.stream)).toEqual([]);
  });

  test('a limit the session is already past: the stream says it ended (expired), not the new limits', async () => {
    const { stream } = await streamOf('dave');
    app.clock.advance(40);
    expect(await app.sw.setPolicy('dave', { warnAfter: 10, expireAfter: 20 })).toBe(1);
    expect((await stream.next('ended', 1000)).data).toEqual({ reason: 'expired' });
    expect(said(stream)).toEqual([['ended', { reason: 'expired' }]]);
    await stream.closed;
  });
});

describe('the push stream across two instances on Postgres', () => {
  let db: TestDatabase;
  let a: MiniApp;
  let b: MiniApp;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const options = { database: db.url, schema: db.schema };
    a = await startMiniApp(options);
    b = await startMiniApp(options);
    await waitUntilAcquainted([a.sw, b.sw]);
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await db.drop();
  });

  /** A browser of `user` signed in on A, whose stream (open) is held by B. */
  async function streamOnB(user: string): Promise<{ onB: TestClient; stream: OpenStream }> {
    const browser = new TestClient(a.url);
    expect((await browser.post(`/login?user=${user}`)).status).toBe(200);
    const onB = new TestClient(b.url);
    for (const [k, v] of browser.cookies) onB.cookies.set(k, v);
    const stream = await openStream(onB);
    await stream.next('open');
    return { onB, stream };
  }

  test('a revocation on instance A reaches the stream held by instance B, within a second', async () => {
    const { stream } = await streamOnB('carol');
    const revokedAt = Date.now();
    expect(await a.sw.revokeAll('carol')).toBe(1);
    const ended = await stream.next('ended', 1000);
    expect(ended.data).toEqual({ reason: 'revoked' });
    expect(ended.at - revokedAt).toBeLessThan(1000);
    await stream.closed;
  });

  test("a policy changed on instance A reaches the stream held by instance B within a second, once; B's requests apply it", async () => {
    const { onB, stream } = await streamOnB('erin');
    const changedAt = Date.now();
    expect(await a.sw.setPolicy('erin', { warnAfter: 240, expireAfter: 300 })).toBe(1);
    const policy = await stream.next('policy', 1000);
    expect([policy.data, policy.at - changedAt < 1000]).toEqual([{ warnAfter: 240, expireAfter: 300, maxAge: null }, true]);
    expect((await onB.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body).toMatchObject({
      warnAfter: 240,
      expireAfter: 300,
    });
    // Another change of the record (its end) is not a change of limits: one policy event, then the end.
    await a.sw.revokeAll('erin');
    await stream.next('ended', 1000);
    expect(said(stream)).toEqual([
      ['policy', { warnAfter: 240, expireAfter: 300, maxAge: null }],
      ['ended', { reason: 'revoked' }],
    ]);
  });
});

describe('the push stream in an app whose middleware finish after the route', () => {
  test("its head goes out once they have: koa-session's rolling cookie and a header set after a slow await are in it, and nothing reaches the error listeners", async () => {
    const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 0 });
    await sw.migrate();
    const app = new Koa();
    app.keys = ['k'];
    app.silent = true;
    const errors: unknown[] = [];
    app.on('error', (err) => errors.push(err));
    // An outer middleware that answers late (a logger, an external session store's commit).
    app.use(async (ctx, next) => {
      await next();
      await sleep(50);
      ctx.set('X-Outer', 'after');
    });
    // rolling: koa-session sets its cookie on every answer, once the route has returned.
    app.use(session({ key: 'sid', rolling: true }, app));
    app.use(sw.middleware());
    app.use(async (ctx) => {
      await sw.login(ctx, 'alice');
      ctx.body = { ok: true };
    });
    const server = await listen(app, sw);
    try {
      const browser = new TestClient(server.url);
      expect((await browser.post('/login')).status).toBe(200);
      const stream = await openStream(browser);
      expect([stream.status, stream.headers.get('x-outer'), stream.headers.get('set-cookie')?.startsWith('sid=')]).toEqual([
        200,
        'after',
        true,
      ]);
      await stream.next('open');
      await sw.revokeAll('alice');
      expect((await stream.next('ended', 1000)).data).toEqual({ reason: 'revoked', by: 'server' });
      await stream.closed;
      expect(errors).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
