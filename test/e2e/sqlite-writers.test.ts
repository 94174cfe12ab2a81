/**
 * Database faults on SQLite: two instances (processes, in production) writing one file at once
 * never fail with SQLITE_BUSY. Postgres going away: database-faults.test.ts.
 */
import { SessionWatch } from '../../backend/sessionwatch';
import type { SessionRecord } from '../../backend/store/types';
import { createTestDatabase } from '../support/databases';
import { testRecord } from '../support/records';

describe('SQLite under concurrent writers', () => {
  test('two instances writing one file at once never fail with SQLITE_BUSY', async () => {
    const db = await createTestDatabase('sqlite');
    const a = new SessionWatch({ database: db.url, sweepInterval: 0, cache: false });
    const b = new SessionWatch({ database: db.url, sweepInterval: 0, cache: false });
    try {
      await a.migrate();
      await b.migrate();
      const now = Date.now();
      const record = (i: number, who: string): SessionRecord =>
        testRecord({
          id: `${who}_${String(i).padStart(5, '0')}`.padEnd(22, 'x'),
          tokenHash: `${who}-${i}`,
          userId: who,
          createdAt: now,
          lastActivity: now,
        });
      const work = (sw: SessionWatch, who: string) =>
        Promise.all(
          Array.from({ length: 200 }, async (_, i) => {
            await sw.store.insert(record(i, who));
            await sw.store.touch(record(i, who).id, now + i);
            if (i % 3 === 0) await sw.store.end(record(i, who).id, 'revoked', now + i);
          }),
        );
      await Promise.all([work(a, 'a'), work(b, 'b'), a.sweep(), b.sweep()]);
      expect(await a.store.count()).toBe(400);
      expect(await b.store.count({ activeOnly: true })).toBe(400 - 2 * 67);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
