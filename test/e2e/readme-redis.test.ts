/**
 * The README's Redis example runs as pasted: extracted, pointed at this checkout instead of the
 * installed package, started against the real Redis, and used over HTTP. The session must land in
 * Redis under the default prefix with koa-session's maxAge as its expiry.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { TestClient } from '../support/http-client';
import type { SessionListResponse } from '../../shared/protocol';
import { readmeCodeBlock, ROOT as root, waitForServer } from '../support/readme';
import { anyString } from '../support/matchers';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const SEVEN_DAYS = 7 * 24 * 3600 * 1000;

test('the README Redis example works as pasted', async () => {
  const code = readmeCodeBlock('### Redis');
  expect(code).toContain("from 'sessionwatch/redis'");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionwatch-readme-redis-'));
  const file = path.join(dir, 'app.ts');
  fs.writeFileSync(
    file,
    code
      .replace("from 'sessionwatch/redis'", `from ${JSON.stringify(path.join(root, 'backend', 'redis'))}`)
      .replace("from 'sessionwatch'", `from ${JSON.stringify(path.join(root, 'backend'))}`),
  );
  const port = 20000 + Math.floor(Math.random() * 20000);
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', file], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: String(port),
      REDIS_URL,
      NODE_PATH: path.join(root, 'node_modules'),
      TS_NODE_PROJECT: path.join(root, 'tsconfig.json'),
    },
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const redis = new Redis(REDIS_URL);
  let key: string | undefined;
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForServer(base, child, () => output);
    const browser = new TestClient(base);
    expect((await browser.get('/session/sessions')).status).toBe(401);
    expect((await browser.post('/login?user=42')).status).toBe(200);
    key = `koa:sess:${browser.cookies.get('koa.sess')}`;
    expect(JSON.parse((await redis.get(key))!)).toMatchObject({ sessionwatch: anyString(), _maxAge: SEVEN_DAYS });
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(SEVEN_DAYS);
    expect(ttl).toBeLessThanOrEqual(SEVEN_DAYS + 10_000);
    expect((await browser.get<SessionListResponse>('/session/sessions')).body.sessions).toHaveLength(1);
    expect((await browser.post('/session/logout')).status).toBe(204);
    expect(await redis.exists(key)).toBe(0);
    expect((await browser.get('/session/sessions')).status).toBe(401);
  } finally {
    child.kill();
    if (key) await redis.del(key);
    await redis.quit();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 40000);
