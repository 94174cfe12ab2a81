/**
 * The npm package in fresh Koa apps: `npm pack`, then installed into a plain CommonJS app
 * (Koa 2, `require('sessionwatch')`, koa-session 6 on the Redis store of `sessionwatch/redis`) and
 * a TypeScript ESM app (`"type": "module"`, nodenext, type-checked against the shipped .d.ts).
 * Both mount sessionwatch on SQLite and answer `GET /session/sessions`. Also: what the tarball
 * contains, and nothing else.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { cookieHeader, installApps, packedTarball, removeApp, ROOT, run, startApp, type InstalledApp, type RunningApp } from './support';
import { anyString, stringMatching, objectContaining } from '../../support/matchers';

jest.setTimeout(60_000);

interface AppInfo {
  port: number;
  resolved: Record<string, string>;
  client: string;
  sessionsRoute: string;
  /** The CommonJS app's Redis key prefix. */
  redisPrefix?: string;
  /** `typeof redisSessionStore` in the ESM app. */
  redisStore?: string;
}

let tarball: string;
let cjs: InstalledApp | undefined;
let esm: InstalledApp | undefined;

beforeAll(async () => {
  const started = Date.now();
  tarball = await packedTarball();
  const packed = Date.now();
  [cjs, esm] = await installApps(['koa-cjs', 'koa-esm-ts'], tarball);
  console.log(
    `consumer Koa apps: pack ${packed - started} ms (cached when unchanged), installs ${cjs.installMs} / ${esm.installMs} ms in parallel`,
  );
}, 420_000);

afterAll(() => {
  removeApp(cjs);
  removeApp(esm);
});

/** 401 before login, 200 with the one session after; returns the session cookies. */
async function checkSessions(app: RunningApp<AppInfo>): Promise<string> {
  const anonymous = await fetch(`${app.url}/session/sessions`);
  expect(anonymous.status).toBe(401);
  expect(await anonymous.json()).toEqual({ error: 'unauthenticated' });
  const login = await fetch(`${app.url}/login`, { method: 'POST' });
  expect(login.status).toBe(200);
  const { session } = (await login.json()) as { session: string };
  const list = await fetch(`${app.url}/session/sessions`, { headers: { cookie: cookieHeader(login) } });
  expect(list.status).toBe(200);
  const { sessions } = (await list.json()) as { sessions: { id: string; current: boolean }[] };
  expect(sessions).toEqual([objectContaining({ id: session, current: true })]);
  return cookieHeader(login);
}

test('the tarball holds the built entries and no tests, test doubles, bench or example', () => {
  const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  expect(listing.status).toBe(0);
  const files = listing.stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  for (const entry of [
    'backend/index',
    'backend/redis/index',
    'client/index',
    'client/core',
    'client/ui/index',
    'client/drafts/index',
    'client/react',
    'client/react-core',
    'shared/index',
  ]) {
    for (const ext of ['.js', '.mjs', '.d.ts', '.d.mts', '.js.map']) expect(files).toContain(`dist/${entry}${ext}`);
  }
  expect(files).toContain('dist/browser/sessionwatch.mjs');
  expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']));
  const unwanted = files.filter((f) =>
    /(\.test\.|(^|\/)(bench|example|puppeteer-tests|testing)\/|fake-transport|memory-tabs|\.ts$(?<!\.d\.ts)|\.mts$(?<!\.d\.mts))/.test(f),
  );
  expect(unwanted).toEqual([]);
  expect(files.every((f) => f.startsWith('dist/') || ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f))).toBe(true);
});

test('a CommonJS Koa 2 app: require("sessionwatch") on SQLite, koa-session 6 sessions in Redis (require("sessionwatch/redis"))', async () => {
  const app = await startApp<AppInfo>(cjs!.dir, ['app.js']);
  try {
    expect(app.info.client).toBe('function');
    expect(app.info.sessionsRoute).toBe('/sessions');
    // require resolves every entry to CommonJS.
    for (const [id, file] of Object.entries(app.info.resolved)) {
      expect([id, path.relative(cjs!.dir, file)]).toEqual([id, stringMatching(/^node_modules\/sessionwatch\/dist\/.*\.js$/)]);
    }
    const cookies = await checkSessions(app);
    // The session lives in Redis, under the app's prefix and koa-session 6's cookie value.
    const sid = /(?:^|; )koa\.sess=([^;]+)/.exec(cookies)![1];
    const redis = new Redis(process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379');
    try {
      const key = `${app.info.redisPrefix}${sid}`;
      expect(JSON.parse((await redis.get(key))!)).toMatchObject({ userId: 'user-1', sessionwatch: anyString() });
      expect(await redis.pttl(key)).toBeGreaterThan(60_000);
      await redis.del(key);
    } finally {
      await redis.quit();
    }
  } finally {
    await app.stop();
  }
});

test("the README's Knex CLI recipe migrates from the installed package, with the app's own knexfile", async () => {
  const dir = cjs!.dir;
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const knexBin = path.join(dir, 'node_modules', '.bin', 'knex');
  const migrate = await run(knexBin, ['migrate:latest', '--knexfile', 'knexfile.sessionwatch.js'], { cwd: dir });
  expect(migrate.stdout).toMatch(/Batch 1 run: 5 migrations/);
  // The table is there: a SessionWatch on that file serves without calling migrate().
  const check = await run(
    process.execPath,
    [
      '-e',
      `
    const { createSessionWatch } = require('sessionwatch');
    const sw = createSessionWatch({ database: 'sqlite:./data/cli.sqlite', sweepInterval: 0 });
    sw.listSessions('nobody').then((list) => sw.close().then(() => console.log(JSON.stringify(list))));
  `,
    ],
    { cwd: dir },
  );
  expect(check.stdout.trim()).toBe('[]');
  // And again: nothing left to run.
  expect((await run(knexBin, ['migrate:latest', '--knexfile', 'knexfile.sessionwatch.js'], { cwd: dir })).stdout).toMatch(
    /Already up to date/,
  );
});

test('a URL that needs a missing driver names the package to install', async () => {
  // The CommonJS app has better-sqlite3 but not pg (an optional peer dependency).
  await expect(
    run(process.execPath, ['-e', `require('sessionwatch').createSessionWatch({ database: 'postgres://u@127.0.0.1/db' })`], {
      cwd: cjs!.dir,
    }),
  ).rejects.toThrow(/needs the "pg" package.*npm install pg/);
});

/** The README's React example (the first tsx block under "### React"). */
function readmeReactExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /```tsx\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### React')));
  if (!match) throw new Error('no tsx example under "### React" in README.md');
  return match[1];
}

/** The README's Redis example (the first ts block under "### Redis"). */
function readmeRedisExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### Redis')));
  if (!match) throw new Error('no ts example under "### Redis" in README.md');
  return match[1];
}

test('a TypeScript ESM app: type-checks against the shipped types (nodenext), imports ESM, runs on SQLite', async () => {
  const tsc = path.join(esm!.dir, 'node_modules', 'typescript', 'bin', 'tsc');
  // The README's React and Redis examples type-check as pasted, along with the app (compiled, not run).
  fs.writeFileSync(path.join(esm!.dir, 'src', 'readme-react.tsx'), readmeReactExample());
  fs.writeFileSync(path.join(esm!.dir, 'src', 'readme-redis.ts'), readmeRedisExample());
  // Type-check, and emit (without checking again) in parallel.
  await Promise.all([
    run(process.execPath, [tsc, '--noEmit', '-p', '.'], { cwd: esm!.dir }),
    run(process.execPath, [tsc, '--noCheck', '-p', '.'], { cwd: esm!.dir }),
  ]);
  const app = await startApp<AppInfo>(esm!.dir, ['build/app.js']);
  try {
    expect(app.info.client).toBe('function');
    expect(app.info.redisStore).toBe('function');
    // import resolves every entry to ESM.
    for (const [id, url] of Object.entries(app.info.resolved)) {
      expect([id, url]).toEqual([id, stringMatching(/\/node_modules\/sessionwatch\/dist\/.*\.mjs$/)]);
    }
    await checkSessions(app);
  } finally {
    await app.stop();
  }
});
