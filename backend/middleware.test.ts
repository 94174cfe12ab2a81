/**
 * The per-request middleware (`sw.middleware()`), by behaviour only: a tiny Koa app with koa-session
 * and the in-memory store, driven over loopback HTTP with a manual clock. koa-session missing or
 * mounted after it; a session that ended (revoked, expired) is logged out on the very request, with
 * `Session-Ended`; passive requests record no activity; the API prefix belongs to the API.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import session from 'koa-session';
import { MemoryStore, SESSION_ENDED_HEADER, SessionWatch, type SessionEndedEvent, type SessionWatchOptions } from '.';
import { TestClient } from '../test/support/http-client';
import type { PingResponse, SessionListResponse } from '../shared/protocol';
import { stringMatching } from '../test/support/matchers';

interface TinyApp {
  url: string;
  sw: SessionWatch;
  clock: { now: number };
  /** Messages given to the `logger` option. */
  logged: string[];
  /** `METHOD /path` of every request that reached the app behind the middleware. */
  reached: string[];
  ended: SessionEndedEvent[];
  stop(): Promise<void>;
}

let app: TinyApp | undefined;

/** What the tiny app keeps in `ctx.session` (Koa types it `any`). */
interface AppSession {
  user?: string;
  note?: string;
}
const appSession = (ctx: Koa.Context) => ctx.session as AppSession | null | undefined;

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

/**
 * The app: `POST /login?user=` logs in (and stores a note in the session), `GET /private` throws
 * 401 without a user (Koa's own error answer), anything else answers the session's user and note.
 */
async function start({
  koaSession = 'before',
  ...options
}: { koaSession?: 'before' | 'after' | 'none' } & SessionWatchOptions = {}): Promise<TinyApp> {
  const clock = { now: Date.UTC(2030, 0, 1) };
  const logged: string[] = [];
  const reached: string[] = [];
  const ended: SessionEndedEvent[] = [];
  const sw = new SessionWatch({
    database: new MemoryStore(),
    sweepInterval: 0,
    warnAfter: 60,
    expireAfter: 100,
    touchInterval: 5,
    passive: ['/poll'],
    now: () => clock.now,
    logger: { error: (message) => logged.push(message) },
    ...options,
  });
  sw.on('sessionEnded', (event) => ended.push(event));
  await sw.migrate();
  const koa = new Koa();
  koa.keys = ['middleware-test'];
  koa.silent = true;
  // koa-session sets up `ctx.session` on the app as soon as it is created, used or not.
  const sessions = koaSession === 'none' ? undefined : session({ key: 'sid' }, koa);
  if (koaSession === 'before') koa.use(sessions!);
  koa.use(sw.middleware());
  if (koaSession === 'after') koa.use(sessions!);
  koa.use(async (ctx) => {
    reached.push(`${ctx.method} ${ctx.path}`);
    if (ctx.path === '/login' && ctx.method === 'POST') {
      const user = String(ctx.query.user ?? 'alice');
      const tracked = await sw.login(ctx, user);
      const data = appSession(ctx)!;
      data.user = user;
      data.note = 'kept';
      ctx.body = { id: tracked.id };
      return;
    }
    const data = appSession(ctx);
    if (ctx.path === '/private' && !data?.user) ctx.throw(401, 'log in first');
    ctx.body = { user: data?.user ?? null, note: data?.note ?? null };
  });
  const handle = koa.callback();
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sw,
    clock,
    logged,
    reached,
    ended,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sw.close();
    },
  };
}

async function loggedIn(on: TinyApp, user = 'alice'): Promise<{ client: TestClient; id: string }> {
  const client = new TestClient(on.url);
  const res = await client.post<{ id: string }>(`/login?user=${user}`);
  expect(res.status).toBe(200);
  return { client, id: res.body.id };
}

const ended = (res: { headers: Headers }) => res.headers.get(SESSION_ENDED_HEADER);

describe('koa-session not in place', () => {
  test('without koa-session every request is a 500 saying to add it, logged once; nothing reaches the app', async () => {
    app = await start({ koaSession: 'none' });
    const c = new TestClient(app.url);
    for (const path of ['/', '/session/sessions', '/']) {
      const res = await c.get(path);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error: 'misconfigured',
        message: stringMatching(/needs koa-session.*mount sw\.middleware\(\) after koa-session/),
      });
    }
    expect(app.logged).toEqual([expect.stringMatching(/needs koa-session/)]);
    expect(app.reached).toEqual([]);
  });

  test('koa-session mounted after the middleware: a 500 saying to mount sw.middleware() after it, logged once', async () => {
    app = await start({ koaSession: 'after' });
    const c = new TestClient(app.url);
    for (let i = 0; i < 2; i++) {
      const res = await c.post('/login');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error: 'misconfigured',
        message: stringMatching(/koa-session is mounted after sessionwatch: mount sw\.middleware\(\) after koa-session/),
      });
    }
    expect(app.logged).toHaveLength(1);
    expect(app.reached).toEqual([]);
    expect(await app.sw.listSessions('alice')).toEqual([]);
  });
});

describe('the session check', () => {
  test('a live session reaches the app with its data and no Session-Ended header', async () => {
    app = await start();
    const { client } = await loggedIn(app);
    const res = await client.get('/');
    expect([res.status, res.body, ended(res)]).toEqual([200, { user: 'alice', note: 'kept' }, null]);
    const anonymous = await new TestClient(app.url).get('/');
    expect([anonymous.status, anonymous.body, ended(anonymous)]).toEqual([200, { user: null, note: null }, null]);
  });

  test('a revoked record: its request gets Session-Ended: revoked and an empty session (cookie cleared, the reason in sid.ended)', async () => {
    app = await start();
    const { client, id } = await loggedIn(app);
    const other = await loggedIn(app);
    const cookieBefore = client.cookies.get('sid');
    expect(await app.sw.revokeSession('alice', id)).toBe(true);

    const res = await client.get('/');
    expect([res.status, res.body, ended(res)]).toEqual([200, { user: null, note: null }, 'revoked']);
    expect(cookieBefore).toBeDefined();
    expect(client.cookies.has('sid')).toBe(false);
    expect(client.cookies.get('sid.ended')).toMatch(/^[0-9a-f]{64}$/);
    // Later requests of that browser still say why; the API answers the precise 401.
    const api = await client.get('/session/sessions');
    expect([api.status, api.body, ended(api)]).toEqual([401, { error: 'session_revoked', endedFor: 0 }, 'revoked']);
    // The other session is untouched.
    const untouched = await other.client.get('/');
    expect([untouched.body, ended(untouched)]).toEqual([{ user: 'alice', note: 'kept' }, null]);
  });

  test("the app's own error answer, thrown after the session ended, keeps Session-Ended", async () => {
    app = await start();
    const { client, id } = await loggedIn(app);
    await app.sw.revokeSession('alice', id);
    const res = await client.get('/private');
    expect([res.status, ended(res)]).toEqual([401, 'revoked']);
  });

  test('an idle record ends as expired on its next request, with a sessionEnded event', async () => {
    app = await start();
    const { client, id } = await loggedIn(app);
    app.clock.now += 106_000; // past expireAfter + touchInterval
    const res = await client.get('/');
    expect([res.body, ended(res)]).toEqual([{ user: null, note: null }, 'expired']);
    expect(app.ended.map((e) => [e.session.id, e.reason])).toEqual([[id, 'expired']]);
    expect(await app.sw.listSessions('alice')).toEqual([]);
  });

  test('a passive path records no activity; any other path does, once touchInterval has passed', async () => {
    app = await start();
    const { client } = await loggedIn(app);
    const login = app.clock.now;
    const lastActivity = async () => (await app!.sw.listSessions('alice'))[0].lastActivity.getTime();

    app.clock.now += 10_000;
    expect((await client.get('/poll')).body).toEqual({ user: 'alice', note: 'kept' });
    expect(await lastActivity()).toBe(login);

    await client.get('/me');
    expect(await lastActivity()).toBe(login + 10_000);

    app.clock.now += 3_000; // within touchInterval (5 s): not written
    await client.get('/me');
    expect(await lastActivity()).toBe(login + 10_000);
  });

  test('a passive path still ends a session past its deadline', async () => {
    app = await start();
    const { client } = await loggedIn(app);
    app.clock.now += 106_000;
    const res = await client.get('/poll');
    expect([res.body, ended(res)]).toEqual([{ user: null, note: null }, 'expired']);
  });
});

describe('the API prefix', () => {
  test('unknown paths under it are a JSON 404, wrong methods a JSON 405 with Allow; the app never sees them', async () => {
    app = await start();
    const { client } = await loggedIn(app);
    app.reached.length = 0;
    const unknown = await client.get('/session/nope');
    expect([unknown.status, unknown.body]).toEqual([404, { error: 'route_not_found' }]);
    const wrongMethod = await client.request('PUT', '/session/sessions');
    expect([wrongMethod.status, wrongMethod.body]).toEqual([405, { error: 'method_not_allowed' }]);
    expect(wrongMethod.headers.get('allow')).toMatch(/GET.*DELETE|DELETE.*GET/);
    expect(app.reached).toEqual([]);
    // A path that only starts like the prefix is the app's.
    expect((await client.get('/sessionsx')).status).toBe(200);
    expect(app.reached).toEqual(['GET /sessionsx']);
  });

  test("apiPrefix moves the API: the old prefix is the app's", async () => {
    app = await start({ apiPrefix: '/auth/sw' });
    const { client } = await loggedIn(app);
    const list = await client.get<SessionListResponse>('/auth/sw/sessions');
    expect([list.status, list.body.sessions.length]).toEqual([200, 1]);
    expect((await client.get('/auth/sw/nope')).body).toEqual({ error: 'route_not_found' });
    const appRoute = await client.get('/session/sessions');
    expect([appRoute.status, appRoute.body]).toEqual([200, { user: 'alice', note: 'kept' }]);
  });

  test('the ping records the idle time the client reports, not a request at the current time', async () => {
    app = await start();
    const { client } = await loggedIn(app);
    const login = app.clock.now;
    app.clock.now += 30_000;
    const ping = await client.post<PingResponse>('/session/ping', { json: { idleFor: 20 } });
    expect([ping.status, ping.body.idleFor]).toEqual([200, 20]);
    expect((await app.sw.listSessions('alice'))[0].lastActivity.getTime()).toBe(login + 10_000);
  });
});
