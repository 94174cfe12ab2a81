/**
 * The migrations ship as code and run both ways: programmatically (`sw.migrate()`, covered by every
 * integration test) and with the Knex CLI through `knexfile.ts`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import knexFactory from 'knex';
import { createTestDatabase } from '../../test/support/databases';
import { sqliteFilename } from './connect';

const root = path.resolve(__dirname, '../..');
const knexCli = path.join(root, 'node_modules', 'knex', 'bin', 'cli.js');

test('`knex migrate:latest` through knexfile.ts creates the table, and is idempotent', async () => {
  const db = await createTestDatabase('sqlite');
  const run = () =>
    execFileSync(process.execPath, [knexCli, 'migrate:latest', '--knexfile', path.join(root, 'knexfile.ts')], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: 'utf8',
    });
  try {
    expect(run()).toMatch(/Batch 1 run: 1 migrations/);
    expect(run()).toMatch(/Already up to date/);
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: sqliteFilename(db.url) }, useNullAsDefault: true });
    try {
      expect(await knex.schema.hasTable('sessionwatch_sessions')).toBe(true);
      expect((await knex<{ name: string }>('sessionwatch_sessions_migrations').select('name')).map((r) => r.name)).toEqual([
        '001_create_sessions',
      ]);
    } finally {
      await knex.destroy();
    }
  } finally {
    await db.drop();
  }
}, 30000);
