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
import { until } from '../support/wait';

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
