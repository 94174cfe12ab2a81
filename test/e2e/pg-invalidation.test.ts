/**
 * Several instances on one Postgres: each keeps a cache, and LISTEN/NOTIFY keeps them exact.
 */
import knexFactory from 'knex';
import { createTestDatabase, PG_TEST_URL, type TestDatabase } from '../support/databases';
import { SessionWatch } from '../../backend/sessionwatch';
import { migrationConfig } from '../../backend/store/migrations';
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

  test('traffic is linear: idle, no notification at all (heartbeats are round trips); an invalidation reaches each instance once, acknowledgements its publisher only', async () => {
    const channelOf = (sw: SessionWatch) => (sw.store as CachedStore).channel as PgInvalidationChannel;
    const before = [a, b].map((sw) => ({ ...channelOf(sw).stats }));
    await sleep(1000);
    for (const [i, sw] of [a, b].entries()) {
      expect(channelOf(sw).stats.delivered - before[i].delivered).toBe(0);
      expect(channelOf(sw).stats.heartbeats - before[i].heartbeats).toBeGreaterThanOrEqual(3);
    }
    const r = await newSession('linear');
    const mid = [a, b].map((sw) => channelOf(sw).stats.delivered);
    expect(await a.revokeSession('u', r.id)).toBe(true);
    await sleep(50);
    // A: its own invalidation echoed + B's acknowledgement; B: the invalidation.
    expect([a, b].map((sw, i) => channelOf(sw).stats.delivered - mid[i])).toEqual([2, 1]);
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

/** An instance on `db` whose logger lines are kept. */
function loggingWatch(db: TestDatabase): { sw: SessionWatch; logged: string[] } {
  const logged: string[] = [];
  const sw = new SessionWatch({
    database: db.url,
    schema: db.schema,
    sweepInterval: 0,
    logger: { error: (message) => logged.push(message) },
  });
  return { sw, logged };
}

const untilCacheServes = (sw: SessionWatch) =>
  until(() => (sw.store as CachedStore).trusted, { timeout: 15_000, every: 50, what: 'the cache to serve after migrate()' });

describe('an instance whose database lacks the lease table (migration 004 not run)', () => {
  test('says "run migrate()" once, serves nothing from its cache, and recovers without a restart once migrated', async () => {
    const db = await createTestDatabase('postgres');
    const knex = knexFactory({ client: 'pg', connection: PG_TEST_URL, searchPath: [db.schema!] });
    await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [db.schema!]);
    for (let i = 0; i < 3; i++) await knex.migrate.up(migrationConfig());
    const { sw, logged } = loggingWatch(db);
    try {
      sw.middleware();
      await until(() => logged.some((m) => /run migrate\(\)/.test(m)), { timeout: 5_000, every: 50, what: 'the "run migrate()" line' });
      expect((sw.store as CachedStore).trusted).toBe(false);
      await sleep(500);
      expect(logged.filter((m) => /run migrate\(\)/.test(m))).toHaveLength(1);
      await sw.migrate();
      await untilCacheServes(sw);
    } finally {
      await sw.close();
      await knex.destroy();
      await db.drop();
    }
  });
});

describe('a fresh database, the README order: middleware() then migrate()', () => {
  test('says nothing about a missing table while migrate() creates it, and the cache serves', async () => {
    const db = await createTestDatabase('postgres');
    const { sw, logged } = loggingWatch(db);
    try {
      sw.middleware(); // starts the listener, which may reach the database before the tables exist
      await sw.migrate();
      await untilCacheServes(sw);
      expect(logged.filter((m) => /run migrate\(\)|does not exist/.test(m))).toEqual([]);
    } finally {
      await sw.close();
      await db.drop();
    }
  });
});
