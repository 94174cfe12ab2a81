/**
 * Prepared statements reused on an SQLite connection. Knex prepares every query anew, and for a
 * small query SQLite's prepare costs as much as running it (a ping's `UPDATE … RETURNING`: about
 * 35 µs to prepare, 25 µs to run): a connection keeps the statements of the SQL texts it has seen.
 */

/** The subset of a better-sqlite3 `Database` this needs. */
export interface PreparingConnection {
  prepare(sql: string): unknown;
}

/** SQL texts kept per connection; the oldest goes first beyond it (Knex's texts of one app are a few dozen). */
export const MAX_STATEMENTS = 200;

/**
 * Makes `connection.prepare` answer the statement it prepared before for the same SQL text.
 * Safe with better-sqlite3 as Knex uses it: a statement runs to completion synchronously (`all`,
 * `run`; never left iterating), takes its bindings anew on every call, and SQLite re-prepares it
 * by itself when the schema changed (a migration).
 */
export function reusePreparedStatements(connection: PreparingConnection): void {
  const prepare = connection.prepare.bind(connection);
  const statements = new Map<string, unknown>();
  connection.prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value as string);
      statements.set(sql, statement);
    }
    return statement;
  };
}
