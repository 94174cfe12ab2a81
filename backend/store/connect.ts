import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';

/** Default database: an embedded SQLite file, relative to the working directory. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/sessionwatch.sqlite';

/** Milliseconds SQLite waits for a lock before failing: writers queue instead of `SQLITE_BUSY`. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The file behind an SQLite URL: `sqlite:./data/app.sqlite`, `sqlite:///abs/path.sqlite`,
 * `file:./x.sqlite`, `:memory:` or a plain path.
 */
export function sqliteFilename(url: string): string {
  if (url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  const stripped = url.replace(/^(sqlite3?|file):(\/\/)?/i, '');
  return stripped === '' ? ':memory:' : stripped;
}

export interface ConnectOptions {
  /** Postgres schema to use (created if missing); default the server's search path. */
  schema?: string;
  /** Milliseconds to wait for a pooled connection before failing (default 5000). */
  acquireTimeoutMs?: number;
}

/**
 * Creates a Knex instance for a database URL: Postgres for `postgres://…`, otherwise embedded
 * SQLite (better-sqlite3) in WAL mode with a busy timeout, so concurrent writers wait rather than fail.
 */
export function connect(url: string, options: ConnectOptions = {}): Knex {
  const acquireConnectionTimeout = options.acquireTimeoutMs ?? 5000;
  if (isPostgresUrl(url)) {
    return knexFactory({
      client: 'pg',
      connection: url,
      searchPath: options.schema ? [options.schema] : undefined,
      pool: { min: 0, max: 10 },
      acquireConnectionTimeout,
    });
  }
  const filename = sqliteFilename(url);
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    acquireConnectionTimeout,
    pool: {
      // One connection: better-sqlite3 is synchronous, so more would only add lock contention.
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          conn.pragma('synchronous = NORMAL');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}
