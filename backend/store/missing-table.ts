/**
 * True for the error a database gives when the sessions table does not exist, i.e. `migrate()`
 * was never run: Postgres `42P01 undefined_table`, SQLite `no such table`.
 */
export function isMissingTableError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return code === '42P01' || (typeof message === 'string' && /\bno such table\b/i.test(message));
}

/** What to do about a missing sessions table. */
export function missingTableMessage(tableName: string): string {
  return (
    `sessionwatch: the sessions table "${tableName}" does not exist: run migrate() — ` +
    '`await sw.migrate()` before serving, or `npx knex migrate:latest` with `migrations: migrationConfig()` ' +
    'in your knexfile (see the README, "Database and migrations")'
  );
}
