/**
 * `reusePreparedStatements(connection)`, on the SQLite connections `connect()` makes: each SQL text
 * is prepared once, and keeps answering right across bindings, errors and schema changes; at most
 * MAX_STATEMENTS are kept. And Knex's queries run through them.
 */
import type { Knex } from 'knex';
import { connect } from './connect';
import { MAX_STATEMENTS } from './sqlite-statements';

/** The little of a better-sqlite3 connection these tests use (the package ships no types). */
interface Statement {
  run(...bindings: unknown[]): unknown;
  all(...bindings: unknown[]): unknown[];
  get(...bindings: unknown[]): unknown;
}
interface Connection {
  prepare(sql: string): Statement;
  exec(sql: string): void;
}

let knex: Knex;
let db: Connection;

beforeEach(async () => {
  knex = connect('sqlite::memory:');
  const client = knex.client as { acquireConnection(): Promise<Connection>; releaseConnection(c: Connection): Promise<void> };
  db = await client.acquireConnection();
  await client.releaseConnection(db);
});
afterEach(() => knex.destroy());

test('the same SQL text is prepared once and answers with each call’s bindings', () => {
  db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)');
  for (const id of ['a', 'b']) db.prepare('INSERT INTO t (id, n) VALUES (?, ?)').run(id, 1);
  const update = 'UPDATE t SET n = MAX(n, ?) WHERE id = ? RETURNING n';
  expect(db.prepare(update)).toBe(db.prepare(update));
  expect(db.prepare(update).all(5, 'a')).toEqual([{ n: 5 }]);
  expect(db.prepare(update).all(3, 'a')).toEqual([{ n: 5 }]);
  expect(db.prepare(update).all(7, 'b')).toEqual([{ n: 7 }]);
  expect(db.prepare(update).all(7, 'missing')).toEqual([]);
});

test('a statement that failed runs again, and one prepared before a migration sees the new schema', () => {
  db.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
  const insert = 'INSERT INTO t (id) VALUES (?)';
  db.prepare(insert).run('a');
  expect(() => db.prepare(insert).run('a')).toThrow(/UNIQUE/);
  db.prepare(insert).run('b');
  expect(db.prepare('SELECT * FROM t ORDER BY id').all()).toEqual([{ id: 'a' }, { id: 'b' }]);
  db.exec("ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'x'");
  expect(db.prepare('SELECT * FROM t ORDER BY id').all()).toEqual([
    { id: 'a', note: 'x' },
    { id: 'b', note: 'x' },
  ]);
});

test(`at most ${MAX_STATEMENTS} texts are kept, the oldest going first`, () => {
  const first = db.prepare('SELECT 0 AS n');
  for (let i = 1; i <= MAX_STATEMENTS; i++) db.prepare(`SELECT ${i} AS n`).get();
  const last = db.prepare(`SELECT ${MAX_STATEMENTS} AS n`);
  expect(db.prepare(`SELECT ${MAX_STATEMENTS} AS n`)).toBe(last);
  expect(db.prepare('SELECT 0 AS n')).not.toBe(first); // dropped, prepared again
  expect(db.prepare('SELECT 0 AS n').get()).toEqual({ n: 0 });
});

test("Knex's queries run through the kept statements", async () => {
  await knex.schema.createTable('t', (table) => {
    table.string('id').primary();
    table.integer('n');
  });
  await knex('t').insert([
    { id: 'a', n: 1 },
    { id: 'b', n: 2 },
  ]);
  const used: Statement[] = [];
  const kept = db.prepare.bind(db);
  db.prepare = (sql) => {
    const statement = kept(sql);
    used.push(statement);
    return statement;
  };
  for (let i = 0; i < 3; i++) expect(await knex('t').where('id', 'b').first()).toEqual({ id: 'b', n: 2 });
  expect(used).toHaveLength(3);
  expect(new Set(used).size).toBe(1);
});
