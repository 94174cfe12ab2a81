/**
 * The example app's session policies and administration, over HTTP on real SQLite and Postgres:
 * janedoe is an administrator with shorter timeouts, "keep me signed in" is a 14-day session, the
 * admin page and API, and a password change that ends the user's other sessions.
 */
import { DATABASE_KINDS } from '../support/databases';
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient } from '../support/http-client';
import type { AdminSessionListResponse, ErrorBody, PingResponse } from '../../shared/protocol';
import { sleep } from '../support/wait';

describe.each(DATABASE_KINDS)('example policies on %s', (kind) => {
  let server: RunningExample;
  const client = () => new TestClient(server.url);
  async function loggedIn(username: string, extra: Record<string, unknown> = {}): Promise<TestClient> {
    const c = client();
    expect((await c.post('/login', { json: { username, password: username, ...extra } })).status).toBe(200);
    return c;
  }
  const ping = async (c: TestClient) => (await c.post<PingResponse & ErrorBody>('/session/ping', { json: { idleFor: 0 } })).body;

  beforeAll(async () => {
    server = await startExample(kind, {
      warnAfter: 600,
      expireAfter: 1200,
      adminWarnAfter: 2,
      adminExpireAfter: 4,
      rememberExpireAfter: 3600,
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  test('per-role values in the ping answer: administrator, everyone else, "keep me signed in"', async () => {
    expect(await ping(await loggedIn('janedoe'))).toMatchObject({ warnAfter: 2, expireAfter: 4 });
    expect(await ping(await loggedIn('johndoe'))).toMatchObject({ warnAfter: 600, expireAfter: 1200 });
    expect(await ping(await loggedIn('johndoe', { remember: true }))).toMatchObject({ warnAfter: 3540, expireAfter: 3600 });
    // Administrators keep their stricter limits even when they ask to be remembered.
    expect(await ping(await loggedIn('janedoe', { remember: true }))).toMatchObject({ warnAfter: 2, expireAfter: 4 });
  });

  test("an administrator's session with short timings expires while a normal one lives", async () => {
    const admin = await loggedIn('janedoe');
    const user = await loggedIn('johndoe');
    await sleep(5500);
    const refused = await admin.get<ErrorBody>('/session/sessions');
    expect([refused.status, refused.body.error]).toEqual([401, 'session_expired']);
    expect((await user.get('/me')).status).toBe(200);
  }, 15_000);

  test('the admin page and API for janedoe; 403 for johndoe; the login page for anonymous', async () => {
    const admin = await loggedIn('janedoe');
    const page = await admin.get<string>('/admin/sessions', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain("Everyone's sessions");
    const list = await admin.get<AdminSessionListResponse>('/session/admin/sessions');
    expect(list.status).toBe(200);
    expect(list.body.sessions.length).toBeGreaterThan(0);
    const user = await loggedIn('johndoe');
    expect((await user.get('/admin/sessions')).status).toBe(403);
    expect((await user.get<ErrorBody>('/session/admin/sessions')).body).toEqual({ error: 'forbidden', message: 'administrators only' });
    expect((await user.get('/')).text).not.toContain('/admin/sessions');
    const anonymous = await client().get('/admin/sessions');
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([302, '/?next=/admin/sessions']);
  });

  test('a password change ends every other session of the user, not this one; the new password works', async () => {
    const other = await loggedIn('johndoe');
    const here = await loggedIn('johndoe');
    const wrong = await here.post<ErrorBody>('/password', { json: { current: 'nope', next: 'a-new-password' } });
    expect([wrong.status, wrong.body.error]).toEqual([403, 'invalid_credentials']);
    const short = await here.post<ErrorBody>('/password', { json: { current: 'johndoe', next: 'short' } });
    expect([short.status, short.body.error]).toEqual([400, 'bad_request']);
    const changed = await here.post<{ ended: number }>('/password', { json: { current: 'johndoe', next: 'a-new-password' } });
    expect(changed.status).toBe(200);
    expect(changed.body.ended).toBeGreaterThanOrEqual(1);
    const refused = await other.get<ErrorBody>('/session/sessions');
    expect([refused.status, refused.body.error]).toEqual([401, 'session_revoked']);
    expect((await here.get('/me')).status).toBe(200);
    expect((await client().post('/login', { json: { username: 'johndoe', password: 'a-new-password' } })).status).toBe(200);
  });
});
