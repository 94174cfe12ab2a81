/**
 * Several instances on one Postgres: each keeps a cache, and LISTEN/NOTIFY keeps them exact.
 */
import knexFactory from 'knex';
import { createTestDatabase, PG_TEST_URL, type TestDatabase } from '../support/databases';
import { SessionWatch } from '../../backend/sessionwatch';
import { CachedStore } from '../../backend/store/cached-store';
import { waitUntilAcquainted } from '../support/instances';
import type { SessionRecord } from '../../backend/store/types';
import { testRecord } from '../support/records';
import { sleep, until } from '../support/wait';
import { PgInvalidationChannel } from '../../backend/store/pg-invalidation';

describe('two instances on one Postgres', () => {
  let db: TestDatabase;
  let a: SessionWatch;
  let b: SessionWatch;
  const channelConnected = (sw: SessionWatch) => (sw.store as CachedStore).trusted;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    a = new SessionWatch({ database: db.url, schema: db.schema, sweepInterval: 0 });
    b = new SessionWatch({ database: db.url, schema: db.schema, sweepInterval: 0 });
    await a.migrate();
    a.middleware();
    b.middleware();
    await waitUntilAcquainted([a, b]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  async function newSession(id: string): Promise<SessionRecord> {
    const record = testRecord({
      id: id.padEnd(22, 'x'),
      tokenHash: `${id}-hash`,
      userId: 'u',
      createdAt: Date.now(),
      lastActivity: Date.now(),
    });
    await a.store.insert(record);
    return record;
  }

  test('a revocation on A is acknowledged by B before A answers', async () => {
    // Under load (another client keeping both busy) as well as idle.
    for (let i = 0; i < 20; i++) {
      const r = await newSession(`rev${i}`);
      await b.store.findByTokenHash(r.tokenHash);
      await a.revokeSession('u', r.id);
      expect((await b.store.findByTokenHash(r.tokenHash))!.endedAt).not.toBeNull();
    }
  });

  test('a revocation on A reaches B’s cache', async () => {
    const r = await newSession('rev');
    expect((await b.store.findByTokenHash(r.tokenHash))!.endedAt).toBeNull(); // cached on B
    expect(await a.revokeSession('u', r.id)).toBe(true);
    // A answered only once B had evicted it: B's very next lookup sees the revocation.
    expect((await b.store.findByTokenHash(r.tokenHash))!.endedAt).not.toBeNull();
  });

  test('traffic is linear: each instance hears its own heartbeats, every invalidation once, and only its own acknowledgements', async () => {
    const channelOf = (sw: SessionWatch) => (sw.store as CachedStore).channel as PgInvalidationChannel;
    const before = [a, b].map((sw) => ({ ...channelOf(sw).stats }));
    await sleep(1000);
    const idle = [a, b].map((sw, i) => channelOf(sw).stats.delivered - before[i].delivered);
    // 4 heartbeats a second, its own only (with two instances, hearing the other's would double it).
    for (const delivered of idle) expect(delivered).toBeLessThanOrEqual(6);
    const r = await newSession('linear');
    const mid = [a, b].map((sw) => channelOf(sw).stats.delivered);
    expect(await a.revokeSession('u', r.id)).toBe(true);
    await sleep(50);
    const after = [a, b].map((sw, i) => channelOf(sw).stats.delivered - mid[i]);
    // A: its own invalidation echoed + B's acknowledgement (+ a heartbeat or so); B: the invalidation (+ heartbeats).
    expect(after[0]).toBeGreaterThanOrEqual(2);
    expect(after[0]).toBeLessThanOrEqual(4);
    expect(after[1]).toBeGreaterThanOrEqual(1);
    expect(after[1]).toBeLessThanOrEqual(3);
  });

  test('a closed instance leaves at once: revocations do not wait for it', async () => {
    const c = new SessionWatch({ database: db.url, schema: db.schema, sweepInterval: 0 });
    c.middleware();
    await waitUntilAcquainted([a, b, c]);
    await c.close();
    const r = await newSession('left');
    const start = Date.now();
    expect(await a.revokeSession('u', r.id)).toBe(true);
    expect(Date.now() - start).toBeLessThan(1000); // ACK_WAIT_MS is 2 s
  });

  test('a dropped listener stops B from serving its cache until it has reconnected', async () => {
    const r = await newSession('drop');
    await b.store.findByTokenHash(r.tokenHash); // cached on B
    const admin = knexFactory({ client: 'pg', connection: PG_TEST_URL });
    try {
      await admin.raw('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE ?', [
        `sessionwatch-listener sw_${db.schema}%`,
      ]);
      await until(() => !channelConnected(a) || !channelConnected(b), { timeout: 5_000, every: 20, what: 'a listener to drop' });
      // Change the record directly in the database while nobody listens.
      await admin.raw('UPDATE ??.sessionwatch_sessions SET ended_at = 1, end_reason = ? WHERE id = ?', [db.schema!, 'revoked', r.id]);
      expect((await b.store.findByTokenHash(r.tokenHash))!.endedAt).toBe(1);
      await waitUntilAcquainted([a, b]);
      expect((await b.store.findByTokenHash(r.tokenHash))!.endedAt).toBe(1);
    } finally {
      await admin.destroy();
    }
  });
});
