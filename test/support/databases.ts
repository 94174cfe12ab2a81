/**
 * Real databases for integration tests: a fresh SQLite file, or a fresh Postgres schema, per
 * test file, so that parallel runs never collide.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

export type DatabaseKind = 'sqlite' | 'postgres';

/** Both kinds: integration suites run once on each (`describe.each(DATABASE_KINDS)`). */
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres'];

/** The Postgres used by tests: PG_TEST_URL, or the local server's `test` database. */
export const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  /** The Postgres schema of this run (undefined on SQLite). */
  schema?: string;
  /** Removes the file or schema. */
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionwatch-'));
    return {
      kind,
      url: `sqlite:${path.join(dir, 'test.sqlite')}`,
      async drop() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `sw_test_${suffix}`;
  return {
    kind,
    url: PG_TEST_URL,
    schema,
    async drop() {
      const admin = knexFactory({ client: 'pg', connection: PG_TEST_URL, pool: { min: 0, max: 1 } });
      try {
        await admin.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
      } finally {
        await admin.destroy();
      }
    },
  };
}
