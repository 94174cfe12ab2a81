import type { Knex } from 'knex';
import type { DeviceType, EndReason, Location, RevokedBy, SecurityEventType } from '../../shared/protocol';
import type {
  ActivePageQuery,
  DeviceKey,
  EventPageQuery,
  IdpSession,
  SecurityEventRecord,
  SessionLimits,
  SessionRecord,
  Store,
  SweepCutoffs,
  SweepResult,
  IdpMatch,
} from './types';
import { AGE_DEADLINE, IDLE_DEADLINE } from './migrations';
import { DEFAULT_TABLE_NAME, eventsTableName, migrationConfig } from './migrations';
import { TouchBatch } from './touch-batch';
import { checkIdpMatch } from './idp-match';

/** Rows ended per statement by the sweep, so one sweep never holds a long lock. */
const SWEEP_BATCH = 1000;

export interface KnexStoreOptions {
  /** Name of the sessions table (default `sessionwatch_sessions`). */
  tableName?: string;
  /** Postgres schema that `migrate()` creates when missing (the Knex search path must point to it). */
  schema?: string;
}

/** A location as three columns (all null: none). */
interface LocationColumns {
  city: string | null;
  country: string | null;
  country_code: string | null;
}

function locationOf(row: LocationColumns): Location | null {
  // `== null`: also undefined, columns a schema before 003 does not have.
  if (row.city == null && row.country == null && row.country_code == null) return null;
  return { city: row.city ?? null, country: row.country ?? null, countryCode: row.country_code ?? null };
}

function locationColumns(location: Location | null): LocationColumns {
  return { city: location?.city ?? null, country: location?.country ?? null, country_code: location?.countryCode ?? null };
}

interface Row extends LocationColumns {
  id: string;
  token_hash: string;
  store_key: string | null;
  user_id: string;
  ip: string;
  login_ip: string | null;
  user_agent: string;
  browser_name: string | null;
  browser_version: string | null;
  os_name: string | null;
  os_version: string | null;
  device_type: string;
  created_at: number | string;
  last_activity: number | string;
  ended_at: number | string | null;
  end_reason: string | null;
  /** A session's own limits (ms): all four set, or all null (the global options; records before 0.3). */
  warn_after: number | string | null;
  expire_after: number | string | null;
  touch_interval: number | string | null;
  max_age: number | string | null;
  /** The OpenID Connect sign-in (migration 005): all three null for any other login; the sid may be null alone. */
  idp_issuer: string | null;
  idp_subject: string | null;
  idp_sid: string | null;
}

interface EventRow extends LocationColumns {
  id: string;
  user_id: string;
  type: string;
  at: number | string;
  session_id: string;
  ip: string;
  browser_name: string | null;
  browser_version: string | null;
  os_name: string | null;
  os_version: string | null;
  device_type: string;
  actor: string | null;
  actor_session_id: string | null;
  actor_user_id: string | null;
  /** SQLite stores booleans as 0 / 1. */
  new_device: boolean | number | null;
}

function fromEventRow(row: EventRow): SecurityEventRecord {
  return {
    id: row.id,
    userId: row.user_id,
    type: row.type as SecurityEventType,
    at: toMillis(row.at),
    sessionId: row.session_id,
    ip: row.ip,
    location: locationOf(row),
    browserName: row.browser_name,
    browserVersion: row.browser_version,
    osName: row.os_name,
    osVersion: row.os_version,
    deviceType: row.device_type as DeviceType,
    by: row.actor as RevokedBy | null,
    actorSessionId: row.actor_session_id,
    actorUserId: row.actor_user_id,
    newDevice: row.new_device === null ? null : Boolean(row.new_device),
  };
}

function toEventRow(event: SecurityEventRecord): EventRow {
  return {
    id: event.id,
    user_id: event.userId,
    type: event.type,
    at: event.at,
    session_id: event.sessionId,
    ip: event.ip,
    ...locationColumns(event.location),
    browser_name: event.browserName,
    browser_version: event.browserVersion,
    os_name: event.osName,
    os_version: event.osVersion,
    device_type: event.deviceType,
    actor: event.by,
    actor_session_id: event.actorSessionId,
    actor_user_id: event.actorUserId,
    new_device: event.newDevice,
  };
}

/** The rows of a raw query: the driver's own result, rows (better-sqlite3) or `{ rows }` (pg). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** Postgres returns bigint columns as strings; SQLite as numbers. */
function toMillis(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Attempts of {@link KnexStore.migrate} when another instance migrates at the same moment (a few seconds in all). */
const MIGRATE_ATTEMPTS = 20;

/** An error of two migrations started together: a duplicate object, Knex's lock taken, SQLite busy. */
function isCreationRace(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return code === '23505' || code === '42P07' || code === 'SQLITE_BUSY' || /already (locked|exists)/i.test(String(message));
}

function limitsOf(row: Row): SessionLimits | null {
  if (row.expire_after === null || row.warn_after === null || row.touch_interval === null) return null;
  return {
    warnAfterMs: toMillis(row.warn_after),
    expireAfterMs: toMillis(row.expire_after),
    touchIntervalMs: toMillis(row.touch_interval),
    maxAgeMs: row.max_age === null ? null : toMillis(row.max_age),
  };
}

/** A session's own limits as four columns (all null: the global options). */
function limitColumns(limits: SessionLimits | null): Pick<Row, 'warn_after' | 'expire_after' | 'touch_interval' | 'max_age'> {
  return {
    warn_after: limits?.warnAfterMs ?? null,
    expire_after: limits?.expireAfterMs ?? null,
    touch_interval: limits?.touchIntervalMs ?? null,
    max_age: limits?.maxAgeMs ?? null,
  };
}

function idpOf(row: Row): IdpSession | null {
  // `== null`: also undefined, columns a schema before 005 does not have.
  if (row.idp_issuer == null || row.idp_subject == null) return null;
  return { issuer: row.idp_issuer, subject: row.idp_subject, sid: row.idp_sid ?? null };
}

function fromRow(row: Row): SessionRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    storeKey: row.store_key,
    userId: row.user_id,
    ip: row.ip,
    location: locationOf(row),
    loginIp: row.login_ip ?? null,
    userAgent: row.user_agent,
    browserName: row.browser_name,
    browserVersion: row.browser_version,
    osName: row.os_name,
    osVersion: row.os_version,
    deviceType: row.device_type as DeviceType,
    createdAt: toMillis(row.created_at),
    lastActivity: toMillis(row.last_activity),
    endedAt: row.ended_at === null ? null : toMillis(row.ended_at),
    endReason: row.end_reason as EndReason | null,
    limits: limitsOf(row),
    idp: idpOf(row),
  };
}

function toRow(record: SessionRecord): Row {
  return {
    id: record.id,
    token_hash: record.tokenHash,
    store_key: record.storeKey,
    user_id: record.userId,
    ip: record.ip,
    login_ip: record.loginIp,
    ...locationColumns(record.location),
    user_agent: record.userAgent,
    browser_name: record.browserName,
    browser_version: record.browserVersion,
    os_name: record.osName,
    os_version: record.osVersion,
    device_type: record.deviceType,
    created_at: record.createdAt,
    last_activity: record.lastActivity,
    ended_at: record.endedAt,
    end_reason: record.endReason,
    ...limitColumns(record.limits),
    idp_issuer: record.idp?.issuer ?? null,
    idp_subject: record.idp?.subject ?? null,
    idp_sid: record.idp?.sid ?? null,
  };
}

/**
 * A batch of touches on SQLite (`table` quoted): the unary `+` keeps the planner off the
 * `ended_at` index, which it would otherwise prefer, scanning every live session for each batch
 * instead of looking each id up.
 *
 * @internal exported for the query-plan test
 */
export function sqliteTouchBatchSql(table: string): string {
  return (
    `UPDATE ${table} SET last_activity = MAX(last_activity, v.at) ` +
    `FROM (SELECT value ->> 'id' AS id, value ->> 'at' AS at FROM json_each(?)) AS v ` +
    `WHERE ${table}.id = v.id AND +${table}.ended_at IS NULL RETURNING ${table}.id, ${table}.last_activity`
  );
}

/**
 * A batch of touches on Postgres (`table` quoted): the rows are locked in id order first, so two
 * batches (of this instance or another) never wait for each other in a cycle.
 */
function pgTouchBatchSql(table: string): string {
  return (
    `WITH v AS (SELECT id, at FROM jsonb_to_recordset(?::jsonb) AS x(id text, at bigint)), ` +
    `locked AS (SELECT s.id FROM ${table} s JOIN v ON s.id = v.id WHERE s.ended_at IS NULL ORDER BY s.id FOR UPDATE OF s) ` +
    `UPDATE ${table} AS s SET last_activity = GREATEST(s.last_activity, v.at) FROM v JOIN locked ON locked.id = v.id ` +
    `WHERE s.id = v.id AND s.ended_at IS NULL RETURNING s.id, s.last_activity`
  );
}

/** The configuration a Knex instance was created with (Knex types its client as `any`). */
function configOf(knex: Knex): Knex.Config {
  return (knex.client as { config: Knex.Config }).config;
}

/**
 * The real {@link Store}: a table of tracked sessions through Knex, on embedded SQLite
 * (better-sqlite3) or Postgres (pg). Every query is served by an index (see `migrations.ts`).
 */
export class KnexStore implements Store {
  readonly knex: Knex;
  readonly tableName: string;
  private readonly schema?: string;
  private readonly greatest: 'GREATEST' | 'MAX';

  constructor(knex: Knex, options: KnexStoreOptions = {}) {
    this.knex = knex;
    this.tableName = options.tableName ?? DEFAULT_TABLE_NAME;
    this.schema = options.schema;
    const client = String(configOf(knex).client);
    // Two-argument MAX in SQLite is the scalar maximum, as GREATEST is in Postgres.
    this.greatest = /sqlite/i.test(client) ? 'MAX' : 'GREATEST';
    this.isPostgres = /^(pg|postgres(ql)?)$/i.test(client);
    // better-sqlite3 is synchronous: gather the touches of an event-loop turn (see TouchBatch).
    this.touches = new TouchBatch((batch) => this.writeTouches(batch), { gather: this.isPostgres ? 'now' : 'turn' });
  }

  /** True on Postgres (else SQLite). */
  readonly isPostgres: boolean;

  /**
   * The connection settings Knex was configured with: a dedicated connection outside the pool
   * (Postgres LISTEN) is opened with the same ones.
   */
  get connectionSettings(): unknown {
    return configOf(this.knex).connection;
  }

  async migrate(): Promise<void> {
    // A pool of one connection could not lend one to the lock and one to the migrations.
    if (!this.isPostgres || configOf(this.knex).pool?.max === 1) return this.migrateRetrying();
    // On Postgres, instances starting together take turns: a session advisory lock, held on one
    // pooled connection while the others run the migrations (Knex's own lock cannot cover the
    // creation of its lock table).
    const client = this.knex.client as {
      acquireConnection(): Promise<{ query(sql: string, values: unknown[]): Promise<unknown> }>;
      releaseConnection(connection: unknown): Promise<void>;
    };
    const connection = await client.acquireConnection();
    const key = `sessionwatch:migrate:${this.schema ?? ''}:${this.tableName}`;
    try {
      await connection.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
      try {
        await this.migrateRetrying();
      } finally {
        await connection.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
      }
    } finally {
      await client.releaseConnection(connection);
    }
  }

  private async migrateRetrying(): Promise<void> {
    // Instances starting together on a new database race to create the schema and Knex's own
    // tables; the loser fails with a duplicate while the winner migrates. Trying again then waits
    // on Knex's migration lock and finds the work done.
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.schema) await this.knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [this.schema]);
        await this.knex.migrate.latest(migrationConfig(this.tableName));
        return;
      } catch (err) {
        if (attempt >= MIGRATE_ATTEMPTS || !isCreationRace(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  }

  private table() {
    return this.knex<Row>(this.tableName);
  }

  private events() {
    return this.knex<EventRow>(eventsTableName(this.tableName));
  }

  async insert(record: SessionRecord): Promise<void> {
    await this.table().insert(toRow(record));
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const row = await this.table().where('token_hash', tokenHash).first();
    return row && fromRow(row);
  }

  async findByStoreKey(storeKey: string): Promise<SessionRecord | undefined> {
    const row = await this.table().where('store_key', storeKey).first();
    return row && fromRow(row);
  }

  async findById(id: string): Promise<SessionRecord | undefined> {
    const row = await this.table().where('id', id).first();
    return row && fromRow(row);
  }

  async listActive(userId: string): Promise<SessionRecord[]> {
    const rows = await this.table().where('user_id', userId).whereNull('ended_at').orderBy('last_activity', 'desc');
    return rows.map(fromRow);
  }

  async listActivePage({ userId, limit, after }: ActivePageQuery): Promise<SessionRecord[]> {
    let query = this.table().whereNull('ended_at');
    if (userId !== undefined) query = query.where('user_id', userId);
    if (after) {
      // (last_activity, id) < (after), written so that the first term is a range on the activity
      // index (an OR alone would scan from the newest row down: the cost of an offset).
      query = query
        .where('last_activity', '<=', after.lastActivity)
        .whereRaw('(last_activity < ? OR id < ?)', [after.lastActivity, after.id]);
    }
    const rows = await query
      .orderBy([
        { column: 'last_activity', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(fromRow);
  }

  /**
   * The SQL of {@link touch}, compiled once by the query builder (bindings: time, then id). Every
   * ping and every due activity write runs it: as raw SQL it skips building and compiling the
   * query each time, and Knex still runs it (pool, `query` events, errors).
   */
  private touchSql?: string;
  private touchBatchSql?: string;
  /** Activity writes gathered under load (see `touch-batch.ts`). */
  private readonly touches: TouchBatch;

  touch(id: string, at: number): Promise<number | undefined> {
    // Integer milliseconds: Postgres refuses a fractional bigint.
    return this.touches.touch(id, Math.round(at));
  }

  /**
   * One atomic statement per batch: concurrent touches (tabs, instances) can only move
   * `last_activity` forward. A batch of one is the plain `UPDATE … WHERE id = ?`; a larger one joins
   * the ids and times given as one JSON parameter (one SQL text whatever the size, so SQLite's
   * prepared statement and Postgres's plan are reused).
   */
  private async writeTouches(batch: ReadonlyMap<string, number>): Promise<ReadonlyMap<string, number>> {
    if (batch.size === 1) {
      const [[id, at]] = batch;
      this.touchSql ??= this.table()
        .where('id', '')
        .whereNull('ended_at')
        .update({ last_activity: this.knex.raw(`${this.greatest}(last_activity, ?)`, [0]) } as never)
        .returning(['last_activity'])
        .toSQL().sql;
      const rows = rowsOf<Pick<Row, 'last_activity'>>(await this.knex.raw(this.touchSql, [at, id]));
      return new Map(rows.length ? [[id, toMillis(rows[0].last_activity)]] : []);
    }
    if (this.touchBatchSql === undefined) {
      const table = this.knex.raw('??', [this.tableName]).toQuery();
      this.touchBatchSql = this.isPostgres ? pgTouchBatchSql(table) : sqliteTouchBatchSql(table);
    }
    // Sorted: Postgres locks the rows in this order (see pgTouchBatchSql).
    const payload = JSON.stringify([...batch].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, at]) => ({ id, at })));
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = rowsOf<Pick<Row, 'id' | 'last_activity'>>(await this.knex.raw(this.touchBatchSql, [payload]));
        return new Map(rows.map((row) => [row.id, toMillis(row.last_activity)]));
      } catch (err) {
        // A deadlock with another multi-row statement (a "revoke all" locks its rows in its own
        // order): Postgres aborted this one, which changed nothing. Once more.
        if (attempt >= 3 || (err as { code?: unknown }).code !== '40P01') throw err;
      }
    }
  }

  async end(id: string, reason: Exclude<EndReason, 'logged-out'>, at: number) {
    const rows: Row[] = await this.table()
      .where('id', id)
      .whereNull('ended_at')
      .update({ ended_at: at, end_reason: reason })
      .returning('*');
    return rows.length ? fromRow(rows[0]) : undefined;
  }

  async endAllOfUser(userId: string, reason: Exclude<EndReason, 'logged-out'>, at: number, exceptId?: string) {
    const matching = this.table().select('id').where('user_id', userId).whereNull('ended_at');
    if (exceptId !== undefined) matching.whereNot('id', exceptId);
    const rows: Row[] = await this.table()
      .whereIn('id', this.lockedInIdOrder(matching))
      .whereNull('ended_at')
      .update({ ended_at: at, end_reason: reason })
      .returning('*');
    return rows.map(fromRow);
  }

  async endAllOfIdp(issuer: string, match: IdpMatch, reason: 'revoked', at: number) {
    const { sid, subject, createdBefore } = checkIdpMatch(issuer, match);
    // Served by the (idp_issuer, idp_sid) or (idp_issuer, idp_subject) index (migration 005).
    const matching = this.table().select('id').where('idp_issuer', issuer).whereNull('ended_at');
    if (sid !== undefined) matching.where('idp_sid', sid);
    if (subject !== undefined) matching.where('idp_subject', subject);
    if (createdBefore !== undefined) matching.where('created_at', '<', createdBefore);
    const query = this.table().whereIn('id', this.lockedInIdOrder(matching));
    // Still live once locked. On SQLite as `+ended_at`: without ANALYZE statistics its planner
    // would rather walk the `ended_at` index (every live session) than look the few ids up by the
    // primary key (as in `sqliteTouchBatchSql`).
    if (this.isPostgres) query.whereNull('ended_at');
    else query.whereRaw('+?? IS NULL', ['ended_at']);
    const rows: Row[] = await query.update({ ended_at: at, end_reason: reason }).returning('*');
    return rows.map(fromRow);
  }

  async setLimits(userId: string, limits: SessionLimits | null, onlyId?: string): Promise<SessionRecord[]> {
    const matching = this.table().select('id').where('user_id', userId).whereNull('ended_at');
    if (onlyId !== undefined) matching.where('id', onlyId);
    const rows: Row[] = await this.table()
      .whereIn('id', this.lockedInIdOrder(matching))
      .whereNull('ended_at')
      .update(limitColumns(limits))
      .returning('*');
    return rows.map(fromRow);
  }

  async setStoreKey(id: string, storeKey: string | null): Promise<boolean> {
    const updated = await this.table().where('id', id).whereNull('ended_at').update({ store_key: storeKey });
    return updated > 0;
  }

  /**
   * Postgres: the rows whose ids `ids` selects, locked in id order before a statement
   * changes several rows. Every statement here that changes several rows takes its locks in that
   * one order (batched touches too), so two of them — a "revoke all" while that user's sessions
   * ping, a sweep — never wait for each other in a cycle, which Postgres would end as a deadlock.
   * SQLite has a single writer.
   */
  private lockedInIdOrder(ids: Knex.QueryBuilder): Knex.QueryBuilder {
    return this.isPostgres ? this.table().select('id').whereIn('id', ids).orderBy('id').forUpdate() : ids;
  }

  async relocate(id: string, ip: string, location: Location | null): Promise<boolean> {
    const updated = await this.table()
      .where('id', id)
      .whereNull('ended_at')
      // A record from before 003 has no login address: the address it leaves is that one.
      .update({ login_ip: this.knex.raw('COALESCE(login_ip, ip)'), ip, ...locationColumns(location) } as never);
    return updated > 0;
  }

  async addEvents(events: SecurityEventRecord[]): Promise<void> {
    // Batches below SQLite's 999 bound parameters (19 columns a row).
    for (let i = 0; i < events.length; i += 50) await this.events().insert(events.slice(i, i + 50).map(toEventRow));
  }

  async listEvents({ userId, limit, after, since }: EventPageQuery): Promise<SecurityEventRecord[]> {
    let query = this.events().where('user_id', userId);
    if (since !== undefined) query = query.where('at', '>=', since);
    // (at, id) < (after): a range on the (user_id, at, id) index, as the sessions' keyset.
    if (after) query = query.where('at', '<=', after.at).whereRaw('(at < ? OR id < ?)', [after.at, after.id]);
    const rows = await query
      .orderBy([
        { column: 'at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(fromEventRow);
  }

  async hasLogin(userId: string, device: DeviceKey, since: number): Promise<boolean> {
    // `where(column, null)` is IS NULL in Knex: an unknown browser matches an unknown browser.
    const row = await this.events()
      .select('id')
      .where({ user_id: userId, type: 'login', browser_name: device.browserName, os_name: device.osName, device_type: device.deviceType })
      .where('at', '>=', since)
      .first();
    return row !== undefined;
  }

  async rewriteAddresses(rewrite: (ip: string) => string): Promise<number> {
    // By distinct value (far fewer than rows): one UPDATE per changed address and column.
    let changed = 0;
    const targets: Array<[() => Knex.QueryBuilder, string]> = [
      [() => this.table(), 'ip'],
      [() => this.table(), 'login_ip'],
      [() => this.events(), 'ip'],
    ];
    for (const [table, column] of targets) {
      const values = (await table().distinct(column).whereNotNull(column)) as Array<Record<string, string>>;
      for (const { [column]: ip } of values) {
        const rewritten = rewrite(ip);
        if (rewritten !== ip)
          changed += await table()
            .where(column, ip)
            .update({ [column]: rewritten });
      }
    }
    return changed;
  }

  async delete(id: string): Promise<SessionRecord | undefined> {
    // Knex has no DELETE … RETURNING on SQLite; of concurrent deleters only the one that deleted
    // the row reports it.
    const record = await this.findById(id);
    if (!record) return undefined;
    const deleted = await this.table().where('id', id).delete();
    return deleted ? record : undefined;
  }

  async sweep({ idleBefore, createdBefore, deadlineBefore, endedBefore, eventsBefore, now }: SweepCutoffs): Promise<SweepResult> {
    const expired: SessionRecord[] = [];
    for (;;) {
      // The rule of `sweepSelects` (inactivity/policy.ts), one index range per arm: records without
      // limits of their own by the global bounds on their indexed columns, the others by their
      // deadlines, each an indexed expression (see migrations.ts). A UNION ALL rather than one OR:
      // SQLite uses no expression index inside an OR, nor in a UNION (it merges by id).
      const active = () => this.table().select('id').whereNull('ended_at');
      const arms = [
        active().whereNull('expire_after').where('last_activity', '<', idleBefore),
        active().whereRaw(`${IDLE_DEADLINE} < ?`, [deadlineBefore]),
        active().whereRaw(`${AGE_DEADLINE} < ?`, [deadlineBefore]),
      ];
      if (createdBefore !== null) arms.push(active().whereNull('expire_after').where('created_at', '<', createdBefore));
      const due = this.knex.select('id').from(this.knex.unionAll(arms).as('due')).limit(SWEEP_BATCH);
      const rows: Row[] = await this.table()
        .whereIn('id', this.lockedInIdOrder(due))
        .whereNull('ended_at')
        .update({ ended_at: now, end_reason: 'expired' })
        .returning('*');
      expired.push(...rows.map(fromRow));
      // A record in two arms fills two places of a batch: only an empty batch means none is left.
      if (rows.length === 0) break;
    }
    let deleted = 0;
    for (;;) {
      const old = this.table().select('id').where('ended_at', '<', endedBefore).limit(SWEEP_BATCH);
      const count = await this.table().whereIn('id', old).delete();
      deleted += count;
      if (count < SWEEP_BATCH) break;
    }
    let purgedEvents = 0;
    for (;;) {
      const old = this.events().select('id').where('at', '<', eventsBefore).limit(SWEEP_BATCH);
      const count = await this.events().whereIn('id', old).delete();
      purgedEvents += count;
      if (count < SWEEP_BATCH) break;
    }
    return { expired, deleted, purgedEvents };
  }

  async count(options: { activeOnly?: boolean } = {}): Promise<number> {
    const query = this.table().count<{ n: number | string }[]>({ n: '*' });
    if (options.activeOnly) query.whereNull('ended_at');
    const [{ n }] = await query;
    return Number(n);
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}
