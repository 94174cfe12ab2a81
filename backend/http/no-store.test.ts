/**
 * `Cache-Control: no-store` on the app's authenticated HTML (the `noStore` option), over real
 * HTTP: pages of a logged-in user get it; scripts, styles, images and anonymous pages keep their
 * caching; the app's own Cache-Control wins; the option turns it off or chooses the responses.
 */
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import { SessionWatch } from '../sessionwatch';
import type { SessionWatchOptions } from '../options';
import { MemoryStore } from '../store/memory-store';
import { listen } from '../../test/support/mini-app';
import { TestClient } from '../../test/support/http-client';

const ASSETS: Record<string, [string, string]> = {
  '/page': ['text/html; charset=utf-8', '<!doctype html><p>Your account</p>'],
  '/page-without-type': ['', '<p>Your account</p>'],
  '/app.js': ['text/javascript', 'console.log(1)'],
  '/app.css': ['text/css', 'p{}'],
  '/logo.png': ['image/png', 'PNG'],
  '/data': ['application/json', '{"a":1}'],
};

async function start(options: SessionWatchOptions = {}) {
  const sw = new SessionWatch({ database: new MemoryStore(), sweepInterval: 0, ...options });
  const app = new Koa();
  app.keys = ['no-store-test'];
  app.use(session({ key: 'sid' }, app));
  app.use(sw.middleware());
  app.use(async (ctx: Context) => {
    if (ctx.path === '/login') {
      await sw.login(ctx, 'alice');
      ctx.body = 'ok';
      return;
    }
    if (ctx.path === '/cached-page') {
      ctx.set('Cache-Control', 'private, max-age=60');
      ctx.body = '<p>cached on purpose</p>';
      return;
    }
    const asset = ASSETS[ctx.path];
    if (!asset) return;
    if (asset[0]) ctx.type = asset[0];
    ctx.body = asset[1];
  });
  return listen(app, sw);
}

async function cacheControls(url: string, loggedIn: boolean): Promise<Record<string, string | null>> {
  const c = new TestClient(url);
  if (loggedIn) await c.post('/login');
  const result: Record<string, string | null> = {};
  for (const path of [...Object.keys(ASSETS), '/cached-page']) result[path] = (await c.get(path)).headers.get('cache-control');
  return result;
}

test("default: HTML of a logged-in user gets no-store; assets, JSON, the app's own header and anonymous pages do not", async () => {
  const server = await start();
  try {
    expect(await cacheControls(server.url, true)).toEqual({
      '/page': 'no-store',
      '/page-without-type': 'no-store',
      '/app.js': null,
      '/app.css': null,
      '/logo.png': null,
      '/data': null,
      '/cached-page': 'private, max-age=60',
    });
    expect(Object.values(await cacheControls(server.url, false)).filter((v) => v === 'no-store')).toEqual([]);
  } finally {
    await server.stop();
  }
});

test('noStore: false turns it off', async () => {
  const server = await start({ noStore: false });
  try {
    expect((await cacheControls(server.url, true))['/page']).toBeNull();
  } finally {
    await server.stop();
  }
});

test("noStore: a function chooses the responses; the app's own header still wins", async () => {
  const server = await start({ noStore: (ctx) => ctx.path === '/data' || ctx.path === '/cached-page' });
  try {
    const got = await cacheControls(server.url, false);
    expect(got['/data']).toBe('no-store');
    expect(got['/page']).toBeNull();
    expect(got['/cached-page']).toBe('private, max-age=60');
  } finally {
    await server.stop();
  }
});
