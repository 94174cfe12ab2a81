import knexFactory, { type Knex } from 'knex';
import fs from 'node:fs';
import path from 'node:path';
import { parseDatabaseUrl, redact } from './database-url';
import { reusePreparedStatements, type PreparingConnection } from './sqlite-statements';

/** Default database: an embedded SQLite file, relative to the working directory. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/sessionwatch.sqlite';

/** Milliseconds SQLite waits for a lock before failing: writers queue instead of `SQLITE_BUSY`. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The file behind an SQLite URL: `sqlite:./data/app.sqlite`, `sqlite:/abs/path.sqlite`,
 * `sqlite:///abs/path.sqlite`, or `:memory:` for `sqlite::memory:`. Throws a TypeError for
 * anything else (see `parseDatabaseUrl`).
 */
export function sqliteFilename(url: string): string {
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind !== 'sqlite') throw new TypeError(`sessionwatch: ${JSON.stringify(redact(url))} is not an SQLite URL`);
  return parsed.filename;
}

/** The npm package Knex needs for each client: optional peer dependencies of sessionwatch. */
const DRIVER_PACKAGES = { pg: 'pg', 'better-sqlite3': 'better-sqlite3' } as const;

/**
 * Creates the Knex instance, turning a missing driver into an error that names the package to
 * install (Knex loads the driver at construction and would only log its own hint).
 */
function knexWithDriver(config: Knex.Config, url: string): Knex {
  try {
    return knexFactory({
      ...config,
      log: {
        // Knex logs its own hint before throwing; ours (below) replaces it.
        error: (message: unknown) => {
          if (!/^Knex: run/.test(String(message))) console.error(message);
        },
      },
    });
  } catch (err) {
    const pkg = DRIVER_PACKAGES[config.client as keyof typeof DRIVER_PACKAGES];
    if (
      /Cannot find module|MODULE_NOT_FOUND/i.test(String((err as Error)?.message)) ||
      (err as { code?: string })?.code === 'MODULE_NOT_FOUND'
    ) {
      throw new Error(
        `sessionwatch: database ${JSON.stringify(redact(url))} needs the "${pkg}" package, an optional peer dependency: npm install ${pkg}`,
        { cause: err },
      );
    }
    throw err;
  }
}

export interface ConnectOptions {
  /** Postgres schema to use (created if missing); default the server's search path. */
  schema?: string;
  /** Milliseconds to wait for a pooled connection before failing (default 5000). */
  acquireTimeoutMs?: number;
  /**
   * Most pooled Postgres connections (default 10). Many instances on one server must stay within
   * its `max_connections` (each also holds one listening connection).
   */
  poolMax?: number;
}

/**
 * Creates a Knex instance for a database URL (forms in `parseDatabaseUrl`): Postgres (pg) for
 * `postgres://…`, embedded SQLite (better-sqlite3) for `sqlite:…` in WAL mode with a busy timeout,
 * so concurrent writers wait rather than fail. Any other URL throws a TypeError before touching
 * the disk; a missing driver package throws an Error naming it.
 */
export function connect(url: string, options: ConnectOptions = {}): Knex {
  const acquireConnectionTimeout = options.acquireTimeoutMs ?? 5000;
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind === 'postgres') {
    return knexWithDriver(
      {
        client: 'pg',
        connection: url,
        searchPath: options.schema ? [options.schema] : undefined,
        pool: { min: 0, max: options.poolMax ?? 10 },
        acquireConnectionTimeout,
      },
      url,
    );
  }
  const { filename } = parsed;
  // Load the driver before creating the file's directory: a missing package leaves no trace.
  const knex = knexWithDriver(
    {
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      acquireConnectionTimeout,
      pool: {
        // One connection: better-sqlite3 is synchronous, so more would only add lock contention.
        min: 1,
        max: 1,
        afterCreate(conn: PreparingConnection & { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          try {
            conn.pragma('journal_mode = WAL');
            conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
            conn.pragma('synchronous = NORMAL');
            reusePreparedStatements(conn);
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    },
    url,
  );
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  return knex;
}
