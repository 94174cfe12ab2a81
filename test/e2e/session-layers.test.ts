/**
 * What sits in `ctx.session`, and what the app does with it, over real HTTP: a test's mock in
 * place of koa-session's session (koa-session's own "can be mocked" tests, egg's `mm`), a stand-in
 * without koa-session (koa-passport's own tests), something that is no session at all; and the
 * edges of a login: data kept across it, `ctx.session = null` as a logout, a logout of a session
 * that was just revoked.
 */
import Koa from 'koa';
import session from 'koa-session';
import { MemoryStore, SessionWatch, type ExternalSessionStore } from '../../backend';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { listen, startMiniApp, type MiniApp } from '../support/mini-app';
import { MemorySessionStore } from '../../example/memory-session-store';
import type { SessionListResponse } from '../../shared/protocol';
import { stringContaining, stringMatching } from '../support/matchers';

/** An app whose `ctx.session` is replaced on the context prototype, as `mm(app.context, 'session', …)` does. */
async function mockedApp(
  mock: unknown,
  { koaSession = true, store }: { koaSession?: boolean; store?: ExternalSessionStore } = {},
): Promise<{ url: string; stop(): Promise<void>; errors: string[]; sw: SessionWatch }> {
  const errors: string[] = [];
  const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 0, logger: { error: (message) => errors.push(message) } });
  await sw.migrate();
  const app = new Koa();
  app.keys = ['layers'];
  app.silent = true;
  if (koaSession) app.use(session({ store: store as never }, app));
  app.use(sw.middleware());
  app.use(async (ctx) => {
    if (ctx.path === '/login') {
      await sw.login(ctx, 'alice');
      ctx.body = { tracked: sw.current(ctx)?.userId ?? null };
      return;
    }
    ctx.body = ctx.session as unknown;
  });
  Object.defineProperty(app.context, 'session', { value: mock, writable: true, configurable: true });
  return { ...(await listen(app, sw)), errors, sw };
}

describe('a mocked ctx.session', () => {
  test.each([
    ['cookie sessions', undefined],
    ['an external store', new MemorySessionStore()],
  ])('with koa-session and %s, a plain object in its place just works', async (_name, store) => {
    const app = await mockedApp({ foo: 'bar' }, { store });
    try {
      const res = await new TestClient(app.url).get('/');
      expect([res.status, res.body]).toEqual([200, { foo: 'bar' }]);
      expect(app.errors).toEqual([]);
    } finally {
      await app.stop();
    }
  });

  test("without koa-session, a stand-in with regenerate() (koa-passport's own tests) is used, logins included", async () => {
    const mock = { regenerate: async () => undefined, save: async () => undefined };
    const app = await mockedApp(mock, { koaSession: false });
    try {
      const res = await new TestClient(app.url).post('/login');
      expect([res.status, res.body]).toEqual([200, { tracked: 'alice' }]);
      expect(typeof (mock as Record<string, unknown>).sessionwatch).toBe('string');
    } finally {
      await app.stop();
    }
  });

  test.each([
    ['a string', 'not a session', true, /ctx\.session is a string, not a session object/],
    ['an object without regenerate() and no koa-session', { user: 'x' }, false, /not a koa-session session \(no regenerate\(\) method\)/],
  ])('%s: a JSON 500 misconfigured saying what was found, logged once', async (_name, mock, koaSession, message) => {
    const app = await mockedApp(mock, { koaSession });
    try {
      for (const path of ['/', '/session/sessions']) {
        const res = await new TestClient(app.url).get(path);
        expect(res.status).toBe(500);
        expect(res.body).toEqual({ error: 'misconfigured', message: stringMatching(message) });
      }
      expect(app.errors).toEqual([stringMatching(message)]);
    } finally {
      await app.stop();
    }
  });
});

test('sw.login() on a request sw.middleware() never checked: a 500 misconfigured saying to mount it, logged once', async () => {
  const errors: string[] = [];
  const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 0, logger: { error: (message) => errors.push(message) } });
  const app = new Koa();
  app.keys = ['layers'];
  app.silent = true;
  app.use(session(app));
  // The router that logs in, mounted before sessionwatch.
  app.use(async (ctx, next) => {
    if (ctx.path !== '/login') {
      await next();
      return;
    }
    try {
      await sw.login(ctx, 'alice');
      ctx.body = { ok: true };
    } catch (err) {
      ctx.status = 500;
      ctx.body = { message: (err as Error).message };
    }
  });
  app.use(sw.middleware());
  const server = await listen(app, sw);
  try {
    for (let i = 0; i < 2; i++) {
      const res = await new TestClient(server.url).post('/login');
      expect([res.status, res.body]).toEqual([
        500,
        { message: stringContaining('mount `app.use(sw.middleware())` right after koa-session') },
      ]);
    }
    expect(errors).toHaveLength(1);
    expect(await sw.listSessions('alice')).toEqual([]);
  } finally {
    await server.stop();
  }
});

describe.each(DATABASE_KINDS)('login and logout edges on %s', (kind) => {
  let db: TestDatabase;
  let app: MiniApp;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    app = await startMiniApp(
      { database: db.url, schema: db.schema },
      {
        loginOptions: (ctx) => (ctx.query.keep ? { keepSessionInfo: (ctx.query.keep === '1' || ctx.query.keep) as boolean } : {}),
        routes: async (ctx, next) => {
          const data = ctx.session as { returnTo?: string } | null;
          if (ctx.path === '/remember') {
            data!.returnTo = '/reports';
            ctx.body = { ok: true };
          } else if (ctx.path === '/return-to') ctx.body = { returnTo: data?.returnTo ?? null };
          else if (ctx.path === '/drop') {
            ctx.session = null;
            ctx.status = 204;
          } else if (ctx.path === '/app-logout') {
            await app.sw.logout(ctx);
            ctx.status = 204;
          } else await next();
        },
      },
    );
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  test('sw.login starts an empty session; with keepSessionInfo the data before the login stays', async () => {
    const plain = new TestClient(app.url);
    await plain.post('/remember');
    await plain.post('/login?user=carol');
    expect((await plain.get('/return-to')).body).toEqual({ returnTo: null });

    const keeping = new TestClient(app.url);
    await keeping.post('/remember');
    const before = keeping.cookies.get('sid');
    await keeping.post('/login?user=carol&keep=1');
    expect(keeping.cookies.get('sid')).not.toBe(before);
    expect((await keeping.get('/return-to')).body).toEqual({ returnTo: '/reports' });
    expect((await keeping.get('/me')).body).toEqual({ user: 'carol' });
  });

  test('keepSessionInfo must be a boolean', async () => {
    const res = await new TestClient(app.url).post('/login?user=carol&keep=yes');
    expect(res.status).toBe(500);
  });

  test("ctx.session = null (an app's own logout) ends the tracked session", async () => {
    const browser = new TestClient(app.url);
    await browser.post('/login?user=dave');
    expect(await app.sw.listSessions('dave')).toHaveLength(1);
    const res = await browser.post('/drop');
    expect(res.headers.get('session-ended')).toBe('logged-out');
    expect(await app.sw.listSessions('dave')).toEqual([]);
  });

  test.each(['/session/logout', '/app-logout'])('a logout (%s) right after a revocation answers Session-Ended: revoked', async (path) => {
    const browser = new TestClient(app.url);
    const user = `erin${path.length}`;
    await browser.post(`/login?user=${user}`);
    const other = new TestClient(app.url);
    await other.post(`/login?user=${user}`);
    const { sessions } = (await other.get<SessionListResponse>('/session/sessions')).body;
    expect((await other.delete(`/session/sessions/${sessions.find((s) => !s.current)!.id}`)).status).toBe(204);
    const res = await browser.post(path);
    expect(res.status).toBe(204);
    expect(res.headers.get('session-ended')).toBe('revoked');
    expect((await browser.post(path)).headers.get('session-ended')).toBe('logged-out');
  });
});

test('a login whose idp.iss is not an issuer of backChannelLogout is said once in the log (its sessions could not be ended)', async () => {
  const errors: string[] = [];
  const app = await startMiniApp(
    { backChannelLogout: { issuer: 'https://idp.example', clientId: 'app' }, logger: { error: (message) => errors.push(message) } },
    { loginOptions: () => ({ idp: { iss: 'https://idp.example/', sub: 'u1', sid: 's1' } }) },
  );
  try {
    for (let i = 0; i < 2; i++) expect((await new TestClient(app.url).post('/login?user=u1')).status).toBe(200);
    expect(errors).toEqual([stringContaining('must name that issuer exactly (its issuers are "https://idp.example")')]);
  } finally {
    await app.stop();
  }
});
