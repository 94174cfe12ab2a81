/**
 * Instances starting together on a new database: every `migrate()` succeeds (README: "safe at
 * every start and on several instances at once"), on real Postgres and SQLite.
 */
import { connect, KnexStore } from '../../backend';
import { createTestDatabase, DATABASE_KINDS } from '../support/databases';

test.each(DATABASE_KINDS)(
  'four instances migrating a new %s database at once all succeed, and the table is there once',
  async (kind) => {
    for (let round = 0; round < 3; round++) {
      const db = await createTestDatabase(kind);
      const stores = Array.from({ length: 4 }, () => new KnexStore(connect(db.url, { schema: db.schema }), { schema: db.schema }));
      try {
        const results = await Promise.allSettled(stores.map((store) => store.migrate()));
        expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
        expect(await stores[0].count()).toBe(0);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await db.drop();
      }
    }
  },
  60_000,
);
