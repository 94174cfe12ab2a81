/**
 * Every endpoint against the bad-input corpus, on SQLite and Postgres: each request gets a 4xx JSON
 * answer (or is treated as no session), never a 5xx; the process stays up; and the database is
 * exactly as it was.
 */
import { DATABASE_KINDS } from '../support/databases';
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient, type TestResponse } from '../support/http-client';
import type { AdminSessionListResponse, SessionListResponse } from '../../shared/protocol';
import { BAD_BODIES, BAD_IDLE_FOR, BAD_IDS, BAD_POLICIES, badCookies } from '../support/bad-input';
import { anyString, stringContaining, objectContaining } from '../support/matchers';

describe.each(DATABASE_KINDS)('bad input on %s', (kind) => {
  let server: RunningExample;
  let john: TestClient;
  let jane: TestClient;
  let snapshot: unknown;
  const logged: string[] = [];

  const tableSnapshot = async () => ({
    sessions: await server.knex('sessionwatch_sessions').select().orderBy('id'),
    users: await server.knex('example_users').select().orderBy('id'),
  });

  function expectRejected(res: TestResponse, what: string) {
    expect({ what, status: res.status >= 400 && res.status < 500 }).toEqual({ what, status: true });
    expect({ what, type: res.headers.get('content-type') ?? '' }).toEqual({ what, type: stringContaining('application/json') });
    expect(res.body).toEqual(objectContaining({ error: anyString() }));
  }

  beforeAll(async () => {
    for (const method of ['log', 'info', 'warn', 'error'] as const) {
      jest.spyOn(console, method).mockImplementation((...args) => logged.push(args.map(String).join(' ')));
    }
    server = await startExample(kind); // default expireAfter: no activity write happens during the test
    server.app.on('error', (err: unknown) => logged.push(String(err instanceof Error ? (err.stack ?? err) : err)));
    john = new TestClient(server.url);
    jane = new TestClient(server.url);
    await john.login('johndoe');
    await new TestClient(server.url).login('johndoe');
    await jane.login('janedoe');
    snapshot = await tableSnapshot();
  });
  afterAll(async () => {
    await server.stop();
    jest.restoreAllMocks();
  });

  /** Logout takes no input: only bodies a JSON parser must refuse (malformed, oversized) are bad for it. */
  const unparsable = ({ body, contentType }: { body: string; contentType: string }) => {
    if (contentType !== 'application/json' || body === '') return false;
    try {
      JSON.parse(body);
      return body.length > 16 * 1024;
    } catch {
      return true;
    }
  };

  test('bad bodies on the ping, login and logout', async () => {
    for (const bad of BAD_BODIES) {
      const targets: Array<[TestClient, string]> = [
        [john, '/session/ping'],
        [new TestClient(server.url), '/login'],
      ];
      if (unparsable(bad)) targets.push([john, '/logout']);
      for (const [client, path] of targets) {
        const res = await client.post(path, { body: bad.body, headers: { 'content-type': bad.contentType } });
        expectRejected(res, `${bad.name} → POST ${path}`);
      }
    }
  });

  test('bad idleFor values', async () => {
    for (const value of BAD_IDLE_FOR) {
      const res = await john.post('/session/ping', { body: `{"idleFor":${value}}`, headers: { 'content-type': 'application/json' } });
      expectRejected(res, `idleFor ${value}`);
      expect(res.status).toBe(400);
    }
  });

  test('bad login fields', async () => {
    const anonymous = new TestClient(server.url);
    for (const body of [
      {},
      { username: 'johndoe' },
      { username: ['johndoe'], password: 'johndoe' },
      { username: 'johndoe', password: { $ne: '' } },
      { username: "' OR 1=1 --", password: 'x' },
      { username: 'x'.repeat(10_000), password: 'x' },
      { username: 'johndoe', password: 'x'.repeat(100_000) },
    ]) {
      expectRejected(await anonymous.post('/login', { json: body }), `login ${JSON.stringify(body).slice(0, 60)}`);
    }
  });

  test('bad and foreign session ids on revoke', async () => {
    const janeId = (await jane.get<SessionListResponse>('/session/sessions')).body.sessions[0].id;
    for (const id of [...BAD_IDS, janeId]) {
      const res = await john.delete(`/session/sessions/${id}`);
      expectRejected(res, `DELETE ${id.slice(0, 40)}`);
      expect(res.status).toBe(404);
    }
    // An empty id is the collection route with a trailing slash, or the collection itself.
    const res = await new TestClient(server.url).delete('/session/sessions/');
    expectRejected(res, 'empty id, anonymous');
  });

  test('the admin policy routes (jane is an administrator): bad bodies, bad policies 400; bad ids 404', async () => {
    const johnSession = (await john.get<SessionListResponse>('/session/sessions')).body.sessions[0];
    const johnId = (await jane.get<AdminSessionListResponse>('/session/admin/sessions')).body.sessions.find(
      (s) => s.id === johnSession.id,
    )!.userId;
    const routes = [`/session/admin/users/${encodeURIComponent(johnId)}/policy`, `/session/admin/sessions/${johnSession.id}/policy`];
    for (const path of routes) {
      for (const bad of BAD_BODIES) {
        const res = await jane.request('PUT', path, { body: bad.body, headers: { 'content-type': bad.contentType } });
        expectRejected(res, `${bad.name} → PUT ${path}`);
      }
      for (const body of BAD_POLICIES) {
        const res = await jane.request('PUT', path, { body, headers: { 'content-type': 'application/json' } });
        expectRejected(res, `${body} → PUT ${path}`);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
    }
    for (const id of BAD_IDS) {
      const res = await jane.request('PUT', `/session/admin/sessions/${id}/policy`, { json: { expireAfter: 60, warnAfter: 30 } });
      expectRejected(res, `PUT policy of ${id.slice(0, 40)}`);
      expect(res.status).toBe(404);
    }
  });

  test('bad cookies are treated as no session on every endpoint', async () => {
    const valid = { value: john.cookies.get('sid')!, sig: john.cookies.get('sid.sig')! };
    for (const { name, cookie } of badCookies(valid, 'test-secret-key')) {
      for (const [method, path, json] of [
        ['GET', '/session/sessions'],
        ['DELETE', '/session/sessions'],
        ['DELETE', '/session/sessions/' + 'A'.repeat(22)],
        ['PUT', '/session/admin/users/1/policy', { expireAfter: 60, warnAfter: 30 }],
        ['POST', '/session/ping', { idleFor: 0 }],
        ['POST', '/session/logout'],
        ['GET', '/me'],
        ['POST', '/logout'],
      ] as const) {
        const res = await new TestClient(server.url).request(method, path, { json, headers: { cookie } });
        expect({ name, path, status: res.status < 500 }).toEqual({ name, path, status: true });
        if (path.startsWith('/session/') && !path.endsWith('logout')) expectRejected(res, `${name} → ${method} ${path}`);
        if (path === '/me') expect({ name, status: res.status }).toEqual({ name, status: 401 });
      }
    }
  });

  test('afterwards: the database is unchanged, the process is up, nothing leaked into logs', async () => {
    expect(await tableSnapshot()).toEqual(snapshot);
    expect((await john.get('/me')).status).toBe(200);
    expect((await jane.get('/session/sessions')).status).toBe(200);
    const secrets = [...john.cookies.values(), ...jane.cookies.values()];
    const rows = (snapshot as { sessions: Array<{ token_hash: string }> }).sessions;
    for (const line of logged) {
      for (const secret of [...secrets, ...rows.map((r) => r.token_hash)]) expect(line).not.toContain(secret);
    }
    expect(logged.filter((l) => /Error/.test(l))).toEqual([]);
  });
});
