/**
 * The CSRF check of the API's state-changing routes, over real HTTP: `Sec-Fetch-Site` in any case
 * and in every value of a repeated header, and 403 messages that say same-site vs cross-site and
 * name `trustedOrigins`.
 */
import http from 'node:http';
import { startMiniApp, type MiniApp } from '../../test/support/mini-app';
import { TestClient } from '../../test/support/http-client';
import type { ErrorBody } from '../../shared/protocol';
import { stringContaining } from '../../test/support/matchers';

let app: MiniApp;
let trusting: MiniApp;

beforeAll(async () => {
  app = await startMiniApp();
  trusting = await startMiniApp({ trustedOrigins: ['http://localhost:5173'] });
});
afterAll(async () => {
  await app.stop();
  await trusting.stop();
});

async function loggedIn(target = app): Promise<TestClient> {
  const c = new TestClient(target.url);
  expect((await c.post('/login')).status).toBe(200);
  return c;
}

/** A ping sent with raw header lines, so that a header may appear twice. */
function rawPing<T = unknown>(c: TestClient, headers: Record<string, string | string[]>): Promise<{ status: number; body: T }> {
  const body = JSON.stringify({ idleFor: 0 });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${c.baseUrl}/session/ping`,
      {
        method: 'POST',
        headers: { cookie: c.cookieHeader(), 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as T }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test.each(['CROSS-SITE', 'Cross-Site', 'cross-site', 'SAME-SITE', ' same-site '])(
  'Sec-Fetch-Site %j is refused whatever its case',
  async (site) => {
    const c = await loggedIn();
    const res = await c.post<ErrorBody>('/session/ping', { json: { idleFor: 0 }, headers: { 'sec-fetch-site': site } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'forbidden', message: stringContaining('trustedOrigins') });
  },
);

test.each([
  [['same-origin', 'cross-site']],
  [['cross-site', 'same-origin']],
  [['same-origin', 'SAME-SITE']],
  [['same-origin, cross-site']],
])('a repeated Sec-Fetch-Site %j is refused when any value is not same-origin', async (values) => {
  const c = await loggedIn();
  const res = await rawPing<ErrorBody>(c, { 'sec-fetch-site': values });
  expect(res.status).toBe(403);
  expect(res.body.error).toBe('forbidden');
});

test('same-origin requests (one or repeated same-origin values, or none) pass', async () => {
  const c = await loggedIn();
  expect((await rawPing(c, { 'sec-fetch-site': ['same-origin', 'same-origin'] })).status).toBe(200);
  expect((await rawPing(c, { 'sec-fetch-site': 'SAME-ORIGIN', origin: app.url })).status).toBe(200);
  expect((await rawPing(c, {})).status).toBe(200);
});

test('another port of the same host is called same-site, and the message names the origin and trustedOrigins', async () => {
  const c = await loggedIn();
  const port = Number(new URL(app.url).port) + 1;
  const other = `http://127.0.0.1:${port}`;
  // Through a dev server's proxy the browser says same-origin, but Origin is the dev server's.
  const proxied = await c.post<ErrorBody>('/session/ping', {
    json: { idleFor: 0 },
    headers: { origin: other, 'sec-fetch-site': 'same-origin' },
  });
  expect(proxied.status).toBe(403);
  expect(proxied.body.message).toContain(`Origin ${other} is a same-site origin (another port), not this app's ${app.url}`);
  expect(proxied.body.message).toContain('trustedOrigins');
  expect(proxied.body.message).not.toMatch(/cross-site/i);
  // Straight from the other origin, the browser says same-site: the message says so too.
  const direct = await c.post<ErrorBody>('/session/ping', {
    json: { idleFor: 0 },
    headers: { origin: other, 'sec-fetch-site': 'same-site' },
  });
  expect(direct.status).toBe(403);
  expect(direct.body.message).toMatch(/^Same-site request refused .*Origin http:\/\/127\.0\.0\.1:\d+.*trustedOrigins/);
});

test('another scheme or site is called cross-site', async () => {
  const c = await loggedIn();
  const https = await c.post<ErrorBody>('/session/ping', { json: { idleFor: 0 }, headers: { origin: app.url.replace('http:', 'https:') } });
  expect(https.body.message).toContain('is a cross-site origin');
  const evil = await c.post<ErrorBody>('/session/ping', {
    json: { idleFor: 0 },
    headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
  });
  expect(evil.status).toBe(403);
  expect(evil.body.message).toMatch(/^Cross-site request refused \(Sec-Fetch-Site: cross-site, from Origin https:\/\/evil\.example;/);
});

test('a long Origin is shown cut at 200 characters: the 403 never echoes all a client sent', async () => {
  const c = await loggedIn();
  const origin = `https://${'a'.repeat(5000)}.example`;
  const res = await c.post<ErrorBody>('/session/ping', { json: { idleFor: 0 }, headers: { origin } });
  expect(res.status).toBe(403);
  expect(res.body.message).toContain(`Origin ${origin.slice(0, 200)}… is a cross-site origin`);
  expect(res.body.message!.length).toBeLessThan(800);
});

test('an origin in trustedOrigins passes, with Sec-Fetch-Site same-site or cross-site', async () => {
  const c = await loggedIn(trusting);
  for (const site of ['same-site', 'CROSS-SITE', 'same-origin']) {
    const res = await c.post('/session/ping', {
      json: { idleFor: 0 },
      headers: { origin: 'http://localhost:5173', 'sec-fetch-site': site },
    });
    expect(res.status).toBe(200);
  }
  const other = await c.post('/session/ping', {
    json: { idleFor: 0 },
    headers: { origin: 'http://localhost:5174', 'sec-fetch-site': 'same-site' },
  });
  expect(other.status).toBe(403);
});
