/**
 * The migrations ship as code and run both ways: programmatically (`sw.migrate()`, covered by every
 * integration test) and with the Knex CLI through `knexfile.ts`.
 */
import { toTrackedSession } from '../tracking/records';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import knexFactory from 'knex';
import { createTestDatabase } from '../../test/support/databases';
import { testRecord } from '../../test/support/records';
import { connect, sqliteFilename } from './connect';
import { KnexStore } from './knex-store';
import { migrationConfig } from './migrations';
import type { SessionRecord } from './types';

const root = path.resolve(__dirname, '../..');

/** A record as a row of the 001 schema (as 0.2 wrote it): the columns every version has. */
function rowOf001(fields: Omit<SessionRecord, 'limits' | 'idp' | 'location'>): Record<string, unknown> {
  return {
    id: fields.id,
    token_hash: fields.tokenHash,
    store_key: null,
    user_id: fields.userId,
    ip: fields.ip,
    user_agent: fields.userAgent,
    browser_name: fields.browserName,
    browser_version: fields.browserVersion,
    os_name: fields.osName,
    os_version: fields.osVersion,
    device_type: fields.deviceType,
    created_at: fields.createdAt,
    last_activity: fields.lastActivity,
  };
}
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
    expect(run()).toMatch(/Batch 1 run: 5 migrations/);
    expect(run()).toMatch(/Already up to date/);
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: sqliteFilename(db.url) }, useNullAsDefault: true });
    try {
      expect(await knex.schema.hasTable('sessionwatch_sessions')).toBe(true);
      expect((await knex<{ name: string }>('sessionwatch_sessions_migrations').select('name')).map((r) => r.name)).toEqual([
        '001_create_sessions',
        '002_session_limits',
        '003_security_insight',
        '004_instances',
        '005_login_flows',
      ]);
      expect(await knex.schema.hasTable('sessionwatch_sessions_events')).toBe(true);
    } finally {
      await knex.destroy();
    }
  } finally {
    await db.drop();
  }
}, 30000);

test('a record made before 002_session_limits (and 003) reads back without limits, login address nor location, and is swept by the global cut-offs', async () => {
  const db = await createTestDatabase('sqlite');
  const knex = connect(db.url);
  const store = new KnexStore(knex);
  try {
    await knex.migrate.up(migrationConfig()); // 001 only: the table as 0.2 made it
    const old = testRecord({ lastActivity: 1_000, createdAt: 1_000 });
    const { limits: _none, ...fields } = old;
    await knex('sessionwatch_sessions').insert(rowOf001(fields));
    await store.migrate();
    expect(await store.findById(old.id)).toEqual({ ...old, loginIp: null, location: null });
    // Its login was at its only recorded address.
    expect(toTrackedSession((await store.findById(old.id))!).loginIp).toBe(old.ip);
    // Its own deadlines would be NULL: only the global idle bound can end it.
    expect(
      (await store.sweep({ idleBefore: 1_000, createdBefore: null, deadlineBefore: 10 ** 12, endedBefore: 0, eventsBefore: 0, now: 5 }))
        .expired,
    ).toEqual([]);
    expect(
      (
        await store.sweep({ idleBefore: 1_001, createdBefore: null, deadlineBefore: 0, endedBefore: 0, eventsBefore: 0, now: 5 })
      ).expired.map((r) => r.id),
    ).toEqual([old.id]);
  } finally {
    await store.close();
    await db.drop();
  }
});

test('a schema before 005_login_flows reads records without an OpenID sign-in; after it, records keep theirs', async () => {
  const db = await createTestDatabase('sqlite');
  const knex = connect(db.url);
  const store = new KnexStore(knex);
  try {
    for (let i = 0; i < 4; i++) await knex.migrate.up(migrationConfig()); // 001 … 004: the table as 0.2 made it
    expect(await knex.schema.hasColumn('sessionwatch_sessions', 'idp_issuer')).toBe(false);
    const old = testRecord();
    const { limits: _limits, idp: _idp, location: _location, ...fields } = old;
    await knex('sessionwatch_sessions').insert({ ...rowOf001(fields), login_ip: fields.loginIp });
    // Read by a store on the old schema (an instance still running the earlier version's table).
    expect(await store.findById(old.id)).toEqual(old);
    await store.migrate();
    expect(await store.findById(old.id)).toEqual(old);
    const signedIn = testRecord({ idp: { issuer: 'https://idp.example', subject: 'alice', sid: 'abc' } });
    await store.insert(signedIn);
    expect((await store.endAllOfIdp('https://idp.example', { sid: 'abc' }, 'revoked', 5)).map((r) => r.id)).toEqual([signedIn.id]);
  } finally {
    await store.close();
    await db.drop();
  }
});
