/**
 * A live session's limits changed on the server (`sw.setPolicy`, the admin policy routes) reach
 * its push streams as a `policy` event, the streams staying open, over real HTTP on SQLite and
 * Postgres, and across two instances on Postgres (through the cache's invalidation channel).
 */
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { appSession, startMiniApp, type MiniApp } from '../support/mini-app';
import { openStream, type OpenStream } from '../support/sse';
import type { PingResponse, PolicyChangeResponse, PushPolicy } from '../../shared/protocol';
import { waitUntilAcquainted } from '../support/instances';
import { until } from '../support/wait';

/** The events of a stream but the first `open`, by name and data. */
const said = (stream: OpenStream) => stream.events.slice(1).map(({ event, data }) => [event, data]);

describe.each(DATABASE_KINDS)('policy changes on the push stream on %s', (kind) => {
  let db: TestDatabase;
  let app: MiniApp;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    app = await startMiniApp({
      database: db.url,
      schema: db.schema,
      warnAfter: 1740,
      expireAfter: 1800,
      isAdmin: (ctx) => appSession(ctx)?.user === 'admin',
    });
  });
  afterEach(async () => {
    await app.stop();
    await db.drop();
  });

  async function streamOf(user: string): Promise<{ browser: TestClient; stream: OpenStream }> {
    const browser = new TestClient(app.url);
    expect((await browser.post(`/login?user=${user}`)).status).toBe(200);
    const stream = await openStream(browser);
    await stream.next('open');
    return { browser, stream };
  }

  test("an administrator tightens a user's idle limit: each of their streams says so at once and stays open; others hear nothing", async () => {
    const [first, second, other] = [await streamOf('alice'), await streamOf('alice'), await streamOf('bob')];
    const admin = new TestClient(app.url);
    await admin.post('/login?user=admin');
    const changedAt = Date.now();
    const res = await admin.request<PolicyChangeResponse>('PUT', '/session/admin/users/alice/policy', {
      json: { warnAfter: 540, expireAfter: 600, maxAge: 28_800 },
    });
    expect(res.body).toEqual({ changed: 2 });
    const expected: PushPolicy = { warnAfter: 540, expireAfter: 600, maxAge: 28_800 };
    for (const { stream } of [first, second]) {
      const policy = await stream.next('policy', 1000);
      expect([policy.data, policy.at - changedAt < 1000]).toEqual([expected, true]);
    }
    // What a tab then asks, the ping, holds the same limits.
    expect((await first.browser.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body).toMatchObject({
      warnAfter: 540,
      expireAfter: 600,
    });
    // The same limits again change nothing the browser must hear; the streams are still the session's.
    await app.sw.setPolicy('alice', expected);
    await app.sw.revokeAll('alice');
    for (const { stream } of [first, second]) {
      await stream.next('ended', 1000);
      expect(said(stream)).toEqual([
        ['policy', expected],
        ['ended', { reason: 'revoked', by: 'server' }],
      ]);
      await stream.closed;
    }
    expect(said(other.stream)).toEqual([]);
  });

  test('one session given its own limits: only its stream hears; back on the global options, it hears them', async () => {
    const [target, sibling] = [await streamOf('carol'), await streamOf('carol')];
    const id = (target.stream.events[0].data as { session: string }).session;
    expect(await app.sw.setPolicy('carol', { maxAge: null, warnAfter: 3000, expireAfter: 3600 }, { sessionId: id })).toBe(1);
    expect((await target.stream.next('policy', 1000)).data).toEqual({ warnAfter: 3000, expireAfter: 3600, maxAge: null });
    await app.sw.setPolicy('carol', null, { sessionId: id });
    await until(() => said(target.stream).length === 2, { timeout: 1000, what: 'the second policy event' });
    expect(said(target.stream).map(([, data]) => data)).toEqual([
      { warnAfter: 3000, expireAfter: 3600, maxAge: null },
      { warnAfter: 1740, expireAfter: 1800, maxAge: null },
    ]);
    expect(said(sibling.stream)).toEqual([]);
  });

  test('a limit the session is already past: the stream says it ended (expired), not the new limits', async () => {
    const { stream } = await streamOf('dave');
    app.clock.advance(120);
    expect(await app.sw.setPolicy('dave', { warnAfter: 30, expireAfter: 60 })).toBe(1);
    expect((await stream.next('ended', 1000)).data).toEqual({ reason: 'expired' });
    expect(said(stream)).toEqual([['ended', { reason: 'expired' }]]);
    await stream.closed;
  });
});

describe('policy changes across two instances on Postgres', () => {
  let db: TestDatabase;
  let a: MiniApp;
  let b: MiniApp;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const options = { database: db.url, schema: db.schema };
    a = await startMiniApp(options);
    b = await startMiniApp(options);
    await waitUntilAcquainted([a.sw, b.sw]);
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await db.drop();
  });

  test("a policy changed on instance A reaches the stream held by instance B within a second, once; B's requests apply it", async () => {
    const browser = new TestClient(a.url);
    expect((await browser.post('/login?user=erin')).status).toBe(200);
    const onB = new TestClient(b.url);
    for (const [k, v] of browser.cookies) onB.cookies.set(k, v);
    const stream = await openStream(onB);
    await stream.next('open');
    const changedAt = Date.now();
    expect(await a.sw.setPolicy('erin', { warnAfter: 240, expireAfter: 300 })).toBe(1);
    const policy = await stream.next('policy', 1000);
    expect([policy.data, policy.at - changedAt < 1000]).toEqual([{ warnAfter: 240, expireAfter: 300, maxAge: null }, true]);
    expect((await onB.post<PingResponse>('/session/ping', { json: { idleFor: 0 } })).body).toMatchObject({
      warnAfter: 240,
      expireAfter: 300,
    });
    // Another change of the record (its end) is not a change of limits: one policy event, then the end.
    await a.sw.revokeAll('erin');
    await stream.next('ended', 1000);
    expect(said(stream)).toEqual([
      ['policy', { warnAfter: 240, expireAfter: 300, maxAge: null }],
      ['ended', { reason: 'revoked' }],
    ]);
  });
});
