/**
 * What sessionwatch reads from and does to koa-session, against the real koa-session over loopback
 * HTTP: whether it is mounted (and before us), the request's session, its external store and keys,
 * and regenerating a session (data cleared, new cookie, old store entry destroyed).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import { stringContaining } from '../../test/support/matchers';
import { TestClient } from '../../test/support/http-client';
import {
  currentStoreKey,
  externalStoreOf,
  koaSessionOrder,
  regenerateSession,
  requestStoreKey,
  sessionOf,
  unusableSession,
  type ExternalSessionStore,
} from './koa-session-adapter';

/** An external koa-session store in a Map, recording what was destroyed. */
class MapStore implements ExternalSessionStore {
  readonly entries = new Map<string, Record<string, unknown>>();
  readonly destroyed: string[] = [];
  get(key: string) {
    return this.entries.get(key);
  }
  set(key: string, sess: unknown) {
    this.entries.set(key, JSON.parse(JSON.stringify(sess)) as Record<string, unknown>);
  }
  destroy(key: string) {
    this.destroyed.push(key);
    this.entries.delete(key);
  }
}

interface Setup {
  koaSession?: 'before' | 'after' | 'none';
  store?: ExternalSessionStore;
  /** koa-session's `externalKey` option: the key travels in the `x-session-key` header. */
  headerKey?: boolean;
}

let server: http.Server | undefined;

/** What the test app keeps in `ctx.session` (Koa types it `any`). */
const appSession = (ctx: Context) => ctx.session as { v?: string; fresh?: boolean } | null | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/**
 * `GET /order` answers koaSessionOrder before anything reads the session; `POST /set?v=` stores v;
 * `GET /get` answers the session and its keys; `POST /regenerate` regenerates (after
 * `ctx.session = null` with `?null=1`) and stores `fresh: true` in the new session.
 */
async function start({ koaSession = 'before', store, headerKey = false }: Setup = {}): Promise<string> {
  const app = new Koa();
  app.keys = ['adapter-test'];
  app.silent = true;
  const options = {
    key: 'sid',
    store: store as never,
    ...(headerKey && {
      externalKey: {
        get: (ctx: Context) => ctx.get('x-session-key'),
        set: (ctx: Context, value: string) => ctx.set('x-session-key', value),
      },
    }),
  };
  const sessions = koaSession === 'none' ? undefined : session(options, app);
  if (koaSession === 'before') app.use(sessions!);
  app.use(async (ctx, next) => {
    if (ctx.path === '/order') {
      ctx.body = { order: koaSessionOrder(ctx) };
      return;
    }
    if (ctx.path === '/session-of') {
      // A mock in place of koa-session's accessor, as egg's `mm(app.context, 'session', …)` does.
      if (ctx.query.mock) Object.defineProperty(ctx, 'session', { value: ctx.query.mock === 'string' ? 'a session' : { user: 'mocked' } });
      ctx.body = { session: typeof sessionOf(ctx)?.regenerate, unusable: unusableSession(ctx) ?? null };
      return;
    }
    await next();
  });
  if (koaSession === 'after') app.use(sessions!);
  app.use(async (ctx) => {
    if (ctx.path === '/set') appSession(ctx)!.v = String(ctx.query.v);
    if (ctx.path === '/regenerate') {
      if (ctx.query.null) ctx.session = null;
      const requestKey = requestStoreKey(ctx);
      const fresh = await regenerateSession(ctx);
      const keptData = Object.keys(fresh.toJSON!());
      fresh.fresh = true;
      ctx.body = { requestKey: requestKey ?? null, keptData, currentKey: currentStoreKey(ctx) };
      return;
    }
    ctx.body = {
      v: appSession(ctx)?.v ?? null,
      fresh: appSession(ctx)?.fresh ?? null,
      store: externalStoreOf(ctx) === undefined ? null : externalStoreOf(ctx) === store ? "the app's" : 'another',
      requestKey: requestStoreKey(ctx) ?? null,
      currentKey: currentStoreKey(ctx),
    };
  });
  const handle = app.callback();
  server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('koaSessionOrder and sessionOf', () => {
  test.each([
    ['mounted before', 'before', 'ok'],
    ['mounted after', 'after', 'after'],
    ['not set up', 'none', 'missing'],
  ] as const)('koa-session %s: %s', async (_name, koaSession, order) => {
    const url = await start({ koaSession });
    expect((await new TestClient(url).get('/order')).body).toEqual({ order });
  });

  test("sessionOf is the request's koa-session session; unusableSession says what ctx.session holds when it is no session", async () => {
    const url = await start();
    expect((await new TestClient(url).get('/session-of')).body).toEqual({ session: 'function', unusable: null });
    // A stand-in object (a test's mock) is usable as it is; a string is not.
    expect((await new TestClient(url).get('/session-of?mock=object')).body).toEqual({ session: 'undefined', unusable: null });
    expect((await new TestClient(url).get('/session-of?mock=string')).body).toEqual({
      session: 'undefined',
      unusable: stringContaining('ctx.session is a string, not a session object'),
    });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    expect((await new TestClient(await start({ koaSession: 'none' })).get('/session-of')).body).toEqual({
      session: 'undefined',
      unusable: stringContaining('ctx.session is undefined'),
    });
  });
});

describe('with cookie sessions', () => {
  test('no external store, no store keys', async () => {
    const c = new TestClient(await start());
    await c.post('/set?v=1');
    expect((await c.get('/get')).body).toEqual({ v: '1', fresh: null, store: null, requestKey: null, currentKey: null });
  });

  test('regenerateSession clears the data and issues a new cookie holding only what is set after it', async () => {
    const c = new TestClient(await start());
    await c.post('/set?v=secret');
    const before = c.cookies.get('sid');
    expect((await c.post('/regenerate')).body).toEqual({ requestKey: null, keptData: [], currentKey: null });
    expect(c.cookies.get('sid')).not.toBe(before);
    expect((await c.get('/get')).body).toMatchObject({ v: null, fresh: true });
  });

  test('after the app set ctx.session = null, regenerateSession gives back an empty, usable session', async () => {
    const c = new TestClient(await start());
    await c.post('/set?v=secret');
    expect((await c.post('/regenerate?null=1')).body).toMatchObject({ keptData: [] });
    expect((await c.get('/get')).body).toMatchObject({ v: null, fresh: true });
  });
});

describe('with an external store', () => {
  test("the store is the app's; the request's key is the cookie's value, where the store keeps the session", async () => {
    const store = new MapStore();
    const c = new TestClient(await start({ store }));
    await c.post('/set?v=1');
    const key = c.cookies.get('sid')!;
    expect(store.entries.get(key)).toMatchObject({ v: '1' });
    expect((await c.get('/get')).body).toEqual({ v: '1', fresh: null, store: "the app's", requestKey: key, currentKey: key });
  });

  test("the request's key is read even when the store no longer has the entry", async () => {
    const store = new MapStore();
    const c = new TestClient(await start({ store }));
    await c.post('/set?v=1');
    const key = c.cookies.get('sid')!;
    store.entries.clear();
    expect((await c.get('/get')).body).toMatchObject({ v: null, requestKey: key });
  });

  test("with koa-session's externalKey option, the key comes from where that option reads it", async () => {
    const store = new MapStore();
    const url = await start({ store, headerKey: true });
    const first = await fetch(`${url}/set?v=1`, { method: 'POST' });
    const key = first.headers.get('x-session-key')!;
    expect(store.entries.get(key)).toMatchObject({ v: '1' });
    const again = await fetch(`${url}/get`, { headers: { 'x-session-key': key } });
    expect(await again.json()).toMatchObject({ v: '1', requestKey: key, currentKey: key });
  });

  test('regenerateSession destroys the old entry and moves to a new key (currentStoreKey), without the old data', async () => {
    const store = new MapStore();
    const c = new TestClient(await start({ store }));
    await c.post('/set?v=secret');
    const oldKey = c.cookies.get('sid')!;
    const regenerated = await c.post('/regenerate');
    const newKey = c.cookies.get('sid')!;
    expect(newKey).not.toBe(oldKey);
    expect(regenerated.body).toEqual({ requestKey: oldKey, keptData: [], currentKey: newKey });
    expect(store.destroyed).toContain(oldKey);
    expect(store.entries.has(oldKey)).toBe(false);
    expect(store.entries.get(newKey)).toMatchObject({ fresh: true });
    expect(store.entries.get(newKey)).not.toHaveProperty('v');
    expect((await c.get('/get')).body).toMatchObject({ v: null, fresh: true, requestKey: newKey });
  });
});
