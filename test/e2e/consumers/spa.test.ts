/**
 * The npm package in fresh Vite SPAs (vanilla `sessionwatch/client`, React `sessionwatch/react`):
 * they build with `vite build`, the bundle pulls no Node-only module, and the built pages, served
 * from the example backend's origin, show the warning dialog in Chromium when idle. Prints the
 * client's share of each SPA's JavaScript (the page built with and without sessionwatch). A page
 * without a bundler loads the standalone `sessionwatch/browser` file the same way. The README's
 * Vite dev-server recipe, pasted into the vanilla SPA, runs `vite` (dev) with its proxy in front of
 * the example backend: pings and the logout pass the CSRF check.
 */
import { build as esbuild } from 'esbuild';
import fs from 'node:fs';
import http, { type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'puppeteer-core';
import { createTestDatabase, type TestDatabase } from '../../support/databases';
import { launchBrowser, logInOnPage, until } from '../../../puppeteer-tests/support';
import { createExampleApp, type ExampleApp } from '../../../example/app';
import { FIXTURES, cleanEnv, installApps, packedTarball, removeApp, run, ROOT, type InstalledApp } from './support';
import { spawn } from 'node:child_process';
import { stringMatching } from '../../support/matchers';

jest.setTimeout(60_000);

const SPAS = ['spa-vanilla', 'spa-react'] as const;
type Spa = (typeof SPAS)[number];
/** The built SPAs, and a page without a bundler (fixtures/plain-page). */
const PAGES = [...SPAS, 'plain-page'] as const;
type PageName = (typeof PAGES)[number];

let apps: Record<Spa, InstalledApp> | undefined;
let db: TestDatabase | undefined;
let example: ExampleApp | undefined;
let server: Server | undefined;
let browser: Browser | undefined;
let baseUrl: string;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
};

/**
 * Serves `/<spa>/…` from that SPA's build (dist/), `/plain-page/` from its fixture with the
 * installed `sessionwatch/browser` file, everything else by the example app: one origin.
 */
function listen(handler: http.RequestListener): Promise<Server> {
  const servePage = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const name = PAGES.find((page) => url.pathname.startsWith(`/${page}/`));
    if (!name || !apps || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const root = name === 'plain-page' ? path.join(FIXTURES, name) : path.join(apps[name].dir, 'dist');
    const rel = decodeURIComponent(url.pathname.slice(name.length + 2)) || 'index.html';
    const file =
      name === 'plain-page' && rel === 'sessionwatch.mjs'
        ? createRequire(path.join(apps['spa-vanilla'].dir, 'package.json')).resolve('sessionwatch/browser')
        : path.resolve(root, rel);
    if (!(file.startsWith(root + path.sep) || rel === 'sessionwatch.mjs') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return true;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : fs.readFileSync(file));
    return true;
  };
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => servePage(req, res) || handler(req, res));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

beforeAll(async () => {
  const started = Date.now();
  const tarball = await packedTarball();
  const packed = Date.now();
  const [vanilla, react] = await installApps([...SPAS], tarball);
  apps = { 'spa-vanilla': vanilla, 'spa-react': react };
  const installed = Date.now();
  await Promise.all(
    SPAS.map((spa) =>
      run(process.execPath, [path.join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: apps![spa].dir }),
    ),
  );
  console.log(
    `consumer SPAs: pack ${packed - started} ms (cached when unchanged), installs ${vanilla.installMs} / ${react.installMs} ms in parallel, vite builds ${Date.now() - installed} ms`,
  );

  db = await createTestDatabase('sqlite');
  example = await createExampleApp({
    databaseUrl: db.url,
    keys: ['test-secret-key'],
    sweepInterval: 0,
    warnAfter: 3,
    expireAfter: 25,
    log: () => {},
  });
  const handle = example.app.callback(); // Koa answers its own errors: the promise needs no handler
  server = await listen((req, res) => void handle(req, res));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, 420_000);

afterAll(async () => {
  await browser?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
  }
  await example?.close();
  await db?.drop();
  if (apps) SPAS.forEach((spa) => removeApp(apps![spa]));
});

interface Manifest {
  [key: string]: { file: string; imports?: string[]; isEntry?: boolean };
}

/** The JavaScript a built page loads (its entry chunk and every chunk it imports), in bytes. */
function pageJs(dist: string, html: string): { raw: number; gzip: number; code: string } {
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  const files = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    chunk.imports?.forEach(visit);
  };
  visit(html);
  const code = [...files].map((file) => fs.readFileSync(path.join(dist, file), 'utf8')).join('\n');
  return { raw: [...files].reduce((n, file) => n + fs.statSync(path.join(dist, file)).size, 0), gzip: gzipSync(code).length, code };
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

test('the client and the React hook bundle for the browser without any Node-only module', async () => {
  const dir = apps!['spa-react'].dir;
  const entry = path.join(dir, 'browser-check.js');
  fs.writeFileSync(entry, "export * from 'sessionwatch/client';\nexport * from 'sessionwatch/react';\n");
  // platform "browser": an import of a Node builtin would fail the build outright.
  const result = await esbuild({
    entryPoints: [entry],
    absWorkingDir: dir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs).toEqual(
    expect.arrayContaining([
      'node_modules/sessionwatch/dist/client/index.mjs',
      'node_modules/sessionwatch/dist/client/react.mjs',
      stringMatching(/^node_modules\/broadcast-channel\//),
      stringMatching(/^node_modules\/react\//),
    ]),
  );
  const nodeOnly = inputs.filter(
    (input) =>
      /^node:|^(fs|path|os|crypto|http|https|net|tls|events|stream|child_process|zlib|url|util)$/.test(input) ||
      /node_modules\/(knex|pg|pg-[^/]+|koa|koa-[^/]+|@koa\/[^/]+|better-sqlite3|bindings|ua-parser-js|tarn|ioredis)\//.test(input) ||
      /sessionwatch\/dist\/backend\//.test(input),
  );
  expect(nodeOnly).toEqual([]);
});

test('both SPAs build with vite; the share of sessionwatch in their JavaScript', () => {
  const lines: string[] = [];
  for (const spa of SPAS) {
    const dist = path.join(apps![spa].dir, 'dist');
    const withIt = pageJs(dist, 'index.html');
    const without = pageJs(dist, 'baseline.html');
    expect(withIt.code).toContain('sessionwatch');
    expect(withIt.code).not.toMatch(/better-sqlite3|knex|koa-session/);
    const raw = withIt.raw - without.raw;
    const gzip = withIt.gzip - without.gzip;
    expect(raw).toBeGreaterThan(0);
    lines.push(
      `${spa}: sessionwatch adds ${kB(raw)} minified (${kB(gzip)} gzip) = ${((100 * raw) / withIt.raw).toFixed(0)} % of the page's ` +
        `${kB(withIt.raw)} JS (${((100 * gzip) / withIt.gzip).toFixed(0)} % of ${kB(withIt.gzip)} gzip)`,
    );
  }
  console.log(`client share of the SPA bundle (vite build, page with vs without the import):\n${lines.join('\n')}`);
});

async function openPage(name: PageName): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser!.createBrowserContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(`${baseUrl}/`);
  await logInOnPage(page);
  await page.goto(`${baseUrl}/${name}/`);
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'active', { timeout: 10_000 });
  return {
    page,
    close: async () => {
      expect(errors).toEqual([]);
      await context.close();
    },
  };
}

const statusOf = (page: Page) => page.$eval('#status', (el) => el.textContent ?? '');

test.each(PAGES)('%s: the page warns with the alert dialog when idle, "Stay signed in" goes on', async (spa) => {
  const { page, close } = await openPage(spa);
  try {
    const dialog = await page.waitForSelector('[role="alertdialog"]', { visible: true, timeout: 15_000 });
    expect(dialog).not.toBeNull();
    expect(await statusOf(page)).toMatch(/^warning \d+$/);
    if (spa === 'spa-react') {
      // The hook counts down with the dialog.
      const first = Number((await statusOf(page)).split(' ')[1]);
      await until(async () => Number((await statusOf(page)).split(' ')[1]) < first, { timeout: 5_000, what: 'the countdown' });
    }
    await page.click('[data-sessionwatch-action="stay"]');
    await page.waitForSelector('[role="alertdialog"]', { hidden: true, timeout: 5_000 });
    await until(async () => (await statusOf(page)) === 'active', { timeout: 5_000, what: 'status back to active' });
  } finally {
    await close();
  }
});

/** The README's `vite.config.js` for the dev server ("A single-page app"), exactly as written there. */
function readmeViteConfig(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /```js\n(\/\/ vite\.config\.js[\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README: no ```js block starting with "// vite.config.js"');
  return match[1];
}

/** A free loopback port (the dev server is started with --strictPort on it). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

test("the README's Vite dev-server proxy recipe, as pasted: pings and the logout pass (no 403)", async () => {
  const dir = apps!['spa-vanilla'].dir;
  // The recipe targets the README's http://localhost:3000; here the backend is at baseUrl.
  const config = readmeViteConfig();
  const target = "target: 'http://localhost:3000'";
  expect(config).toContain(target);
  fs.writeFileSync(path.join(dir, 'vite.dev.config.js'), config.replace(target, `target: '${baseUrl}'`));
  const port = await freePort();
  const vite = spawn(
    process.execPath,
    [
      path.join('node_modules', 'vite', 'bin', 'vite.js'),
      '--config',
      'vite.dev.config.js',
      '--port',
      String(port),
      '--strictPort',
      '--host',
      'localhost',
    ],
    {
      cwd: dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  vite.stdout.on('data', (d) => (output += d));
  vite.stderr.on('data', (d) => (output += d));
  const devUrl = `http://localhost:${port}`;
  const context = await browser!.createBrowserContext();
  try {
    await until(async () => (await fetch(`${devUrl}/baseline.html`).catch(() => null))?.ok === true, {
      timeout: 30_000,
      what: `vite dev server (${output})`,
    });
    const page = await context.newPage();
    const api: Array<[string, number]> = [];
    page.on('response', (res) => {
      const url = new URL(res.url());
      if (url.pathname.startsWith('/session/') || url.pathname === '/login')
        api.push([`${res.request().method()} ${url.pathname}`, res.status()]);
    });
    // Log in through the dev server (the page without the client), then open the SPA.
    await page.goto(`${devUrl}/baseline.html`);
    const login = await page.evaluate(async () => {
      const res = await fetch('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'johndoe', password: 'johndoe' }),
      });
      return res.status;
    });
    if (login !== 200) throw new Error(`login through the dev server: ${login}\n${output}`);
    await page.goto(`${devUrl}/`);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'active', { timeout: 10_000 });
    // The warning comes after warnAfter (3 s); "Stay signed in" pings.
    await page.waitForSelector('[role="alertdialog"]', { visible: true, timeout: 15_000 });
    await page.click('[data-sessionwatch-action="stay"]');
    await until(async () => (await statusOf(page)) === 'active', { timeout: 5_000, what: 'status back to active' });
    await until(async () => api.some(([request, status]) => request === 'POST /session/ping' && status === 200), {
      timeout: 5_000,
      what: 'a 200 ping',
    });
    await page.evaluate(() => (window as unknown as { __sessionwatch: { logout(): Promise<void> } }).__sessionwatch.logout());
    await until(async () => api.some(([request]) => request === 'POST /session/logout'), { timeout: 5_000, what: 'the logout' });
    expect(api.filter(([request]) => request === 'POST /session/logout')).toEqual([['POST /session/logout', 204]]);
    expect(api.filter(([, status]) => status === 403)).toEqual([]);
    // The logout ended the session on the backend (asked from the page the client went to after it).
    const listStatus = () => page.evaluate(async () => (await fetch('/session/sessions')).status).catch(() => 0);
    await until(async () => (await listStatus()) === 401, { timeout: 5_000, what: 'the session list refused after the logout' });
  } finally {
    await context.close();
    vite.kill();
  }
});
