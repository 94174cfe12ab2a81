/**
 * `maxSessionsPerUser`: a login beyond the cap revokes the user's least recently active sessions,
 * with a `sessionEnded` event saying why; on SQLite and Postgres (cached Knex store) and on the
 * memory store.
 */
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { startMiniApp, type MiniApp } from '../support/mini-app';
import { TestClient } from '../support/http-client';
import type { SessionEndedEvent } from '../../backend/sessionwatch';
import { anyNumber, objectContaining } from '../support/matchers';

describe.each([...DATABASE_KINDS, 'memory'] as const)('maxSessionsPerUser on %s', (kind) => {
  let db: TestDatabase | undefined;
  let app: MiniApp;
  const ended: SessionEndedEvent[] = [];

  beforeAll(async () => {
    db = kind === 'memory' ? undefined : await createTestDatabase(kind);
    app = await startMiniApp(db ? { database: db.url, schema: db.schema, maxSessionsPerUser: 3 } : { maxSessionsPerUser: 3 });
    app.sw.on('sessionEnded', (event) => ended.push(event));
  });
  afterAll(async () => {
    await app.stop();
    await db?.drop();
  });

  async function login(user: string): Promise<TestClient> {
    const c = new TestClient(app.url);
    expect((await c.post(`/login?user=${user}`)).status).toBe(200);
    app.clock.advance(61);
    return c;
  }

  test('the fourth login revokes the least recently active session (not the oldest), with an event', async () => {
    const [first, second, third] = [await login('carol'), await login('carol'), await login('carol')];
    const other = await login('dave');
    // Ids by login order, read on the server (a request of the browser would count as activity).
    const [firstId, secondId, thirdId] = (await app.sw.listSessions('carol'))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((s) => s.id);
    // The first login is active again (past touchInterval): now the second is the least recently active.
    expect((await first.get('/me')).status).toBe(200);
    app.clock.advance(1);
    ended.length = 0;

    const fourth = await login('carol');
    expect(ended).toEqual([
      { session: objectContaining({ id: secondId, userId: 'carol' }), reason: 'revoked', by: 'server', cause: 'maxSessionsPerUser' },
    ]);
    const live = (await app.sw.listSessions('carol')).map((s) => s.id);
    expect(live).toHaveLength(3);
    // The new login (newest activity, listed first), and the first and third.
    expect(live.slice(1).sort()).toEqual([firstId, thirdId].sort());
    expect([firstId, secondId, thirdId]).not.toContain(live[0]);
    // The revoked browser is told why; the others, and the other user, go on.
    expect((await second.get('/session/sessions')).body).toEqual({ error: 'session_revoked', endedFor: anyNumber() });
    for (const c of [first, third, fourth, other]) expect((await c.get('/me')).status).toBe(200);
    expect(await app.sw.listSessions('dave')).toHaveLength(1);
  });

  test('many logins of one user never leave more than the cap alive', async () => {
    for (let i = 0; i < 8; i++) await login('erin');
    expect(await app.sw.listSessions('erin')).toHaveLength(3);
    expect(await app.sw.store.count({ activeOnly: true })).toBeLessThanOrEqual(3 + 3 + 1);
  });
});

test('maxSessionsPerUser: null turns the cap off', async () => {
  const app = await startMiniApp({ maxSessionsPerUser: null });
  try {
    for (let i = 0; i < 105; i++) expect((await new TestClient(app.url).post('/login?user=frank')).status).toBe(200);
    expect(await app.sw.listSessions('frank')).toHaveLength(105);
  } finally {
    await app.stop();
  }
});

test('the default cap is 100', async () => {
  const app = await startMiniApp();
  try {
    const first = new TestClient(app.url);
    await first.post('/login?user=gina');
    for (let i = 0; i < 100; i++) {
      app.clock.advance(1);
      await new TestClient(app.url).post('/login?user=gina');
    }
    expect(await app.sw.listSessions('gina')).toHaveLength(100);
    expect((await first.get('/me')).status).toBe(401);
  } finally {
    await app.stop();
  }
});
