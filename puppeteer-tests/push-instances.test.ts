/**
 * Browser tests (Chromium and Firefox) of the push stream with two app instances on one Postgres:
 * each browser's tabs talk to an instance of their own, so the end decided on one instance reaches
 * the stream the other holds through the cache's invalidation channel. Revoked by the user's other
 * browser, by an administrator (the admin HTTP API) and by the server API (`sw.revokeAll`): every
 * idle tab of the other instance is locked within a second.
 */
import { findOrCreateUser } from '../example/users';
import { createTestDatabase, type TestDatabase } from '../test/support/databases';
import { startExample, type RunningExample } from '../test/support/example-server';
import { waitUntilAcquainted } from '../test/support/instances';
import { oneLeader, revokeAll, revokedWithin } from './push-support';
import { BROWSERS, launchBrowser, Session, until, type Tab } from './support';

let db: TestDatabase;
/** Instance A (the revoking side) and instance B (the tabs that must learn of it). */
let a: RunningExample;
let b: RunningExample;

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  const options = { db, warnAfter: 600, expireAfter: 1200, adminWarnAfter: 600, adminExpireAfter: 1200 };
  [a, b] = [await startExample('postgres', options), await startExample('postgres', options)];
  await waitUntilAcquainted([a.sw, b.sw]);
}, 60_000);

afterAll(async () => {
  await a?.stop({ dropDatabase: false });
  await b?.stop();
});

describe.each(BROWSERS)('%s', (kind) => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const sessions: Session[] = [];

  // A browser's start takes seconds, and more on a loaded machine (two suites at a time, 2 cores).
  beforeAll(async () => {
    browser = await launchBrowser(kind);
  }, 60_000);
  afterEach(async () => {
    const all = sessions.splice(0);
    const errors = all.flatMap((s) => s.tabs).flatMap((tab) => tab.errors);
    await Promise.all(all.map((s) => s.close()));
    expect(errors).toEqual([]);
    await until(() => a.sw.pushStreams + b.sw.pushStreams === 0, { what: 'every stream closed' });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A browser of `user` on `instance` with `count` idle tabs, once one leads and holds the instance's one stream. */
  async function onInstance(instance: RunningExample, user: string, count: number): Promise<Tab[]> {
    const session = await Session.login(browser, instance.url, '/', user);
    sessions.push(session);
    for (let i = 1; i < count; i++) await session.open('/');
    await oneLeader(session.tabs);
    await until(() => instance.sw.pushStreams === 1, { timeout: 10_000, what: `the stream on ${instance === a ? 'A' : 'B'}` });
    return session.tabs;
  }

  /** johndoe's browser on instance B: 3 idle tabs. */
  const johnOnB = () => onInstance(b, 'johndoe', 3);

  test('two browsers of one user, 3 idle tabs each, on two instances: "log out all other sessions" on A locks every tab on B within 1 s', async () => {
    const tabsB = await johnOnB();
    const tabsA = await onInstance(a, 'johndoe', 3);
    const { revoked } = await tabsA[2].page.evaluate(() =>
      fetch('/session/sessions', { method: 'DELETE' }).then((r) => r.json() as Promise<{ revoked: number }>),
    );
    // From the answer to the revoking request (the measure; the stream may even be first).
    const answeredAt = Date.now();
    expect(revoked).toBeGreaterThanOrEqual(1);
    await revokedWithin(tabsB, answeredAt, `${kind}, two instances, other session`);
    expect([a.sw.pushStreams, b.sw.pushStreams]).toEqual([1, 0]);
  }, 60_000);

  test('an administrator on A revokes the user (DELETE /session/admin/users/:id/sessions): every tab on B locked within 1 s', async () => {
    const tabsB = await johnOnB();
    const [admin] = await onInstance(a, 'janedoe', 1);
    const userId = String((await findOrCreateUser(a.knex, 'johndoe')).id);
    const answer = await admin.page.evaluate(
      (id) =>
        fetch(`/session/admin/users/${id}/sessions`, { method: 'DELETE' }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { revoked: number },
        })),
      userId,
    );
    // From the answer to the revoking request (the measure; the stream may even be first).
    const answeredAt = Date.now();
    // B's browser's session, and any an earlier test left live: at least one.
    expect(answer.status).toBe(200);
    expect(answer.body.revoked).toBeGreaterThanOrEqual(1);
    await revokedWithin(tabsB, answeredAt, `${kind}, two instances, admin`);
  }, 60_000);

  test('the server API on A (sw.revokeAll): every tab on B locked within 1 s', async () => {
    const tabsB = await johnOnB();
    await revokedWithin(tabsB, await revokeAll(a, 'johndoe'), `${kind}, two instances, sw.revokeAll`);
  }, 60_000);
});
