import type { Knex } from 'knex';

/** Default name of the table of tracked sessions. */
export const DEFAULT_TABLE_NAME = 'sessionwatch_sessions';

/** Name of the Knex bookkeeping table for a sessions table: kept apart from the app's own. */
export function migrationsTableName(tableName: string): string {
  return `${tableName}_migrations`;
}

/**
 * The idle deadline of a record with its own limits, as SQL: indexed as written (an expression
 * index), so the sweep must query it with exactly this text. NULL for records without.
 */
export const IDLE_DEADLINE = '(last_activity + expire_after + touch_interval)';

/** The absolute deadline of a record with its own `maxAge`, as SQL (indexed likewise). */
export const AGE_DEADLINE = '(created_at + max_age)';

/** Name of the table of live instances (Postgres cache invalidation: a lease row each). */
export function instancesTableName(tableName: string): string {
  return `${tableName}_instances`;
}

/** Name of the security log table of a sessions table. */
export function eventsTableName(tableName: string): string {
  return `${tableName}_events`;
}

interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * The schema, as Knex migrations. Times are UTC epoch milliseconds (bigint): unambiguous across
 * SQLite and Postgres and cheap to compare atomically (`MAX`/`GREATEST`) in an UPDATE.
 */
function migrations(table: string): Migration[] {
  return [
    {
      name: '001_create_sessions',
      async up(knex) {
        await knex.schema.createTable(table, (t) => {
          t.string('id', 32).primary();
          t.string('token_hash', 64).notNullable().unique(`${table}_token_hash_unique`);
          t.string('store_key', 255).nullable().index(`${table}_store_key_index`);
          t.string('user_id', 255).notNullable();
          t.string('ip', 64).notNullable();
          t.string('user_agent', 512).notNullable();
          t.string('browser_name', 64).nullable();
          t.string('browser_version', 64).nullable();
          t.string('os_name', 64).nullable();
          t.string('os_version', 64).nullable();
          t.string('device_type', 16).notNullable();
          t.bigInteger('created_at').notNullable().index(`${table}_created_at_index`);
          t.bigInteger('last_activity').notNullable().index(`${table}_last_activity_index`);
          t.bigInteger('ended_at').nullable().index(`${table}_ended_at_index`);
          t.string('end_reason', 16).nullable();
          // The session list: one user's records, newest activity first.
          t.index(['user_id', 'last_activity'], `${table}_user_activity_index`);
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(table);
      },
    },
    {
      // Per-session limits (the `policy` option, `sw.login(…, { policy })`), in milliseconds. All
      // NULL for sessions without a policy and for every record made before: those follow the
      // global options. Nullable columns: adding them rewrites no row, on SQLite or Postgres.
      name: '002_session_limits',
      async up(knex) {
        await knex.schema.alterTable(table, (t) => {
          t.bigInteger('warn_after').nullable();
          t.bigInteger('expire_after').nullable();
          t.bigInteger('touch_interval').nullable();
          t.bigInteger('max_age').nullable();
        });
        // The sweep finds expired sessions with limits of their own by these deadlines.
        await knex.raw(`CREATE INDEX ?? ON ?? (${IDLE_DEADLINE})`, [`${table}_idle_deadline_index`, table]);
        await knex.raw(`CREATE INDEX ?? ON ?? (${AGE_DEADLINE})`, [`${table}_age_deadline_index`, table]);
      },
      async down(knex) {
        await knex.raw('DROP INDEX IF EXISTS ??', [`${table}_idle_deadline_index`]);
        await knex.raw('DROP INDEX IF EXISTS ??', [`${table}_age_deadline_index`]);
        await knex.schema.alterTable(table, (t) => {
          t.dropColumns('warn_after', 'expire_after', 'touch_interval', 'max_age');
        });
      },
    },
    {
      // Security insight: the last address of a session and where it is (the login address kept
      // apart), and the security log. Nullable columns: no existing row is rewritten.
      name: '003_security_insight',
      async up(knex) {
        await knex.schema.alterTable(table, (t) => {
          t.string('login_ip', 64).nullable();
          t.string('city', 128).nullable();
          t.string('country', 128).nullable();
          t.string('country_code', 2).nullable();
        });
        const events = eventsTableName(table);
        await knex.schema.createTable(events, (t) => {
          t.string('id', 32).primary();
          t.string('user_id', 255).notNullable();
          t.string('type', 16).notNullable();
          t.bigInteger('at').notNullable().index(`${events}_at_index`);
          t.string('session_id', 32).notNullable();
          t.string('ip', 64).notNullable();
          t.string('city', 128).nullable();
          t.string('country', 128).nullable();
          t.string('country_code', 2).nullable();
          t.string('browser_name', 64).nullable();
          t.string('browser_version', 64).nullable();
          t.string('os_name', 64).nullable();
          t.string('os_version', 64).nullable();
          t.string('device_type', 16).notNullable();
          t.string('actor', 16).nullable();
          t.string('actor_session_id', 32).nullable();
          t.string('actor_user_id', 255).nullable();
          t.boolean('new_device').nullable();
          // A user's log, newest first (the keyset of its pages), and "a login from this kind of browser since".
          t.index(['user_id', 'at', 'id'], `${events}_user_at_index`);
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(eventsTableName(table));
        await knex.schema.alterTable(table, (t) => {
          t.dropColumns('login_ip', 'city', 'country', 'country_code');
        });
      },
    },
    {
      // Cross-instance cache invalidation on Postgres: each running instance holds a lease row,
      // renewed every second, so that a publisher knows whom to wait for without every instance
      // announcing itself to every other (traffic linear in the number of instances). Unused on SQLite.
      name: '004_instances',
      async up(knex) {
        await knex.schema.createTable(instancesTableName(table), (t) => {
          t.string('id', 32).primary();
          t.timestamp('expires_at', { useTz: true }).notNullable();
        });
      },
      async down(knex) {
        await knex.schema.dropTableIfExists(instancesTableName(table));
      },
    },
    {
      // Sessions signed in through an OpenID provider (`sw.login(…, { idp })`): its issuer, the
      // user's subject there and the provider's session id, so that the provider's back-channel
      // logout finds them (by sid, or all of a subject's), each an index range. NULL for every other
      // login and every record made before; nullable columns: no existing row is rewritten.
      name: '005_login_flows',
      async up(knex) {
        await knex.schema.alterTable(table, (t) => {
          t.string('idp_issuer', 255).nullable();
          t.string('idp_subject', 255).nullable();
          t.string('idp_sid', 255).nullable();
          t.index(['idp_issuer', 'idp_sid'], `${table}_idp_sid_index`);
          t.index(['idp_issuer', 'idp_subject'], `${table}_idp_subject_index`);
        });
      },
      async down(knex) {
        await knex.schema.alterTable(table, (t) => {
          t.dropIndex(['idp_issuer', 'idp_sid'], `${table}_idp_sid_index`);
          t.dropIndex(['idp_issuer', 'idp_subject'], `${table}_idp_subject_index`);
        });
        await knex.schema.alterTable(table, (t) => {
          t.dropColumns('idp_issuer', 'idp_subject', 'idp_sid');
        });
      },
    },
  ];
}

/**
 * A Knex migration source for the sessions table, usable programmatically
 * (`knex.migrate.latest({ migrationSource })`) and from `knexfile.ts` with the Knex CLI.
 * Shipping migrations as code (not as a folder) makes them work from TypeScript sources and from
 * the compiled package alike.
 */
export function migrationSource(tableName: string = DEFAULT_TABLE_NAME): Knex.MigrationSource<Migration> {
  const list = migrations(tableName);
  return {
    getMigrations: async () => list,
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => migration,
  };
}

/** Knex migration config for the sessions table (for `knexfile.ts` or `knex.migrate.*`). */
export function migrationConfig(tableName: string = DEFAULT_TABLE_NAME): Knex.MigratorConfig {
  return { tableName: migrationsTableName(tableName), migrationSource: migrationSource(tableName) };
}
