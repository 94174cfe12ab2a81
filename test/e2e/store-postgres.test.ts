/**
 * The store contract (test/support/store-contract.ts) on the Knex store over real Postgres: it must
 * behave as the in-memory and SQLite stores do (backend/store/store.test.ts).
 */
import { connect, KnexStore } from '../../backend';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { testRecord } from '../support/records';
import { indexesServeEveryQuery, storeContract } from '../support/store-contract';

describe.each(['postgres'] as const)('%s store', (kind) => storeContract(kind));

describe('indexes', () => {
  test.each(['postgres'] as const)('every query of the store is served by an index on %s', indexesServeEveryQuery);
});

/**
 * Statements that change several rows lock them in one order (id), so they never deadlock: a
 * "revoke all" (and a sweep) while the same user's sessions ping, whose touches go in batches.
 */
describe('no deadlock between multi-row statements on postgres', () => {
  let db: TestDatabase;
  let store: KnexStore;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = new KnexStore(connect(db.url, { schema: db.schema }), { schema: db.schema });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  test('revoke all, sweeps and batched touches of the same sessions at once, ten rounds', async () => {
    const deadlocksBefore = await deadlocks();
    for (let round = 0; round < 10; round++) {
      const user = `u${round}`;
      const records = Array.from({ length: 150 }, () => testRecord({ userId: user, lastActivity: 1_000 }));
      await Promise.all(records.map((r) => store.insert(r)));
      const shuffled = [...records].sort(() => Math.random() - 0.5);
      const touches = shuffled.flatMap((r, i) => [store.touch(r.id, 2_000 + i), store.touch(r.id, 3_000 + i)]);
      const [revoked] = await Promise.all([
        store.endAllOfUser(user, 'revoked', 5_000, records[0].id),
        store.endAllOfUser(user, 'revoked', 5_000, records[1].id),
        store.sweep({ idleBefore: 0, createdBefore: null, deadlineBefore: 0, endedBefore: 0, eventsBefore: 0, now: 5_000 }),
        ...touches,
      ]);
      expect(revoked.length).toBeGreaterThan(0);
    }
    expect(await deadlocks()).toBe(deadlocksBefore);
  }, 60_000);

  async function deadlocks(): Promise<number> {
    const result = await store.knex.raw<{ rows: { n: string }[] }>(
      'SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(result.rows[0].n);
  }
});
