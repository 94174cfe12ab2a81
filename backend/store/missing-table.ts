/**
 * True for the error a database gives when sessionwatch's schema is missing or older than the code,
 * i.e. `migrate()` was not run (at all, or after an upgrade): Postgres `42P01 undefined_table` and
 * `42703 undefined_column`, SQLite `no such table`, `no such column`, `has no column named`.
 */
export function isMissingTableError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (
    code === '42P01' ||
    code === '42703' ||
    (typeof message === 'string' && /\bno such (table|column)\b|\bhas no column named\b/i.test(message))
  );
}

/** What to do about a missing or out-of-date schema. */
export function missingTableMessage(tableName: string): string {
  return (
    `sessionwatch: the sessions table "${tableName}" (or its security log "${tableName}_events") does not exist ` +
    'or is older than this version of sessionwatch: run migrate() — ' +
    '`await sw.migrate()` before serving, or `npx knex migrate:latest` with `migrations: migrationConfig()` ' +
    'in your knexfile (see the README, "Database and migrations")'
  );
}
