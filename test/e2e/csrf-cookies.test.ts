/**
 * CSRF refusal on every state-changing route of the example app, and its cookie attributes.
 */
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient } from '../support/http-client';
import type { ErrorBody, SessionListResponse } from '../../shared/protocol';
import { anyString, stringContaining } from '../support/matchers';

describe('CSRF and cookies (example app, SQLite)', () => {
  let server: RunningExample;
  let behindProxy: RunningExample;

  beforeAll(async () => {
    server = await startExample('sqlite');
    behindProxy = await startExample('sqlite', { proxy: true });
  });
  afterAll(async () => {
    await server.stop();
    await behindProxy.stop();
  });

  const crossSite: Array<[string, Record<string, string>]> = [
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['a sibling-site request', { 'sec-fetch-site': 'same-site', origin: 'https://other.example.com' }],
  ];

  test.each(crossSite)('%s is refused with 403 on login, logout, ping and revokes; nothing changes', async (_name, headers) => {
    const c = new TestClient(server.url);
    expect((await c.login()).status).toBe(200);
    const before = await server.sw.store.count({ activeOnly: true });
    const attempts = [
      new TestClient(server.url).post('/login', { json: { username: 'johndoe', password: 'johndoe' }, headers }),
      c.post('/logout', { headers }),
      c.post('/session/logout', { headers }),
      c.post('/session/ping', { json: { idleFor: 0 }, headers }),
      c.delete('/session/sessions', { headers }),
      c.delete(`/session/sessions/${'A'.repeat(22)}`, { headers }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'forbidden', message: anyString() });
    }
    expect(await server.sw.store.count({ activeOnly: true })).toBe(before);
    expect((await c.get('/me')).status).toBe(200);
    // The same requests from the app's own origin go through.
    const own = { origin: server.url, 'sec-fetch-site': 'same-origin' };
    expect((await c.post('/session/ping', { json: { idleFor: 0 }, headers: own })).status).toBe(200);
    expect((await c.post('/logout', { headers: own })).status).toBe(204);
  });

  function sessionCookie(setCookies: string[]): string {
    const line = setCookies.find((l) => l.startsWith('sid='));
    if (!line) throw new Error('no session cookie set');
    return line.toLowerCase();
  }

  test('the session cookie is HttpOnly and SameSite=Lax, and not Secure over plain HTTP', async () => {
    const res = await new TestClient(server.url).login();
    const cookie = sessionCookie(res.headers.getSetCookie());
    expect(cookie).toContain('httponly');
    expect(cookie).toContain('samesite=lax');
    expect(cookie).not.toContain('secure');
  });

  test('behind a trusted proxy that says HTTPS the cookie is Secure, and X-Forwarded-For is the IP', async () => {
    const c = new TestClient(behindProxy.url);
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };
    const res = await c.post('/login', { json: { username: 'johndoe', password: 'johndoe' }, headers });
    expect(sessionCookie(res.headers.getSetCookie())).toContain('secure');
    const list = await c.get<SessionListResponse>('/session/sessions', { headers });
    expect(list.body.sessions[0].ip).toBe('203.0.113.7');
  });

  test('X-Forwarded-Host never widens the same-origin check, behind a trusted proxy either', async () => {
    const c = new TestClient(behindProxy.url);
    expect((await c.login()).status).toBe(200);
    const own = new URL(behindProxy.url).host;
    const ping = (headers: Record<string, string>) => c.post<ErrorBody>('/session/ping', { json: { idleFor: 0 }, headers });
    // A client-sent X-Forwarded-Host naming the attacker's origin: refused.
    const forged = await ping({ origin: 'https://evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    expect([forged.status, forged.body.error]).toEqual([403, 'forbidden']);
    expect(forged.body.message).toContain('X-Forwarded-Host names that origin, but the same-origin check never trusts it');
    // A proxy that rewrites Host and says where the browser was, honestly: refused too, saying what to do.
    const honest = await ping({ origin: 'https://app.example', 'x-forwarded-host': 'app.example', 'x-forwarded-proto': 'https' });
    expect([honest.status, honest.body.message]).toEqual([403, stringContaining('proxy_set_header Host $http_host')]);
    // A proxy that passes the browser's Host on: the page's own origin is accepted.
    expect((await ping({ origin: `http://${own}`, 'x-forwarded-host': 'evil.example' })).status).toBe(200);
    expect((await ping({ origin: `https://${own}`, 'x-forwarded-proto': 'https' })).status).toBe(200);
  });

  test('an untrusted X-Forwarded-* is ignored', async () => {
    const c = new TestClient(server.url);
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };
    const res = await c.post('/login', { json: { username: 'johndoe', password: 'johndoe' }, headers });
    expect(sessionCookie(res.headers.getSetCookie())).not.toContain('secure');
    expect((await c.get<SessionListResponse>('/session/sessions')).body.sessions[0].ip).not.toBe('203.0.113.7');
  });
});
