/**
 * Knex CLI configuration: `npx knex migrate:latest` creates or updates the sessionwatch table in
 * the database named by DATABASE_URL (default the embedded SQLite file of the example app).
 * The same migrations run programmatically with `await sw.migrate()`.
 */
import type { Knex } from 'knex';
import { isPostgresUrl, sqliteFilename } from './backend/store/connect';
import { migrationConfig } from './backend/store/migrations';

const url = process.env.DATABASE_URL || 'sqlite:./data/example.sqlite';

const config: Knex.Config = isPostgresUrl(url)
  ? { client: 'pg', connection: url, migrations: migrationConfig(process.env.SESSIONWATCH_TABLE) }
  : {
      client: 'better-sqlite3',
      connection: { filename: sqliteFilename(url) },
      useNullAsDefault: true,
      migrations: migrationConfig(process.env.SESSIONWATCH_TABLE),
    };

module.exports = config;
