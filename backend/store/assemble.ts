import type { Knex } from 'knex';
import type { ClientConfig } from 'pg';
import { failClosed, type StoreObserver } from './fail-closed';
import { CachedStore } from './cached-store';
import { connect } from './connect';
import { KnexStore } from './knex-store';
import { isMissingTableError, missingTableMessage } from './missing-table';
import { PgInvalidationChannel } from './pg-invalidation';
import { instancesTableName } from './migrations';
import type { Store } from './types';

/** What {@link assembleStore} needs: the store options of `SessionWatchOptions`, resolved. */
export interface StoreSettings {
  database: string | Knex | Store;
  schema?: string;
  tableName: string;
  queryTimeoutMs: number;
  cache: { maxEntries: number } | false;
}

/** The layers of the tracked-session store, built once per `SessionWatch`. */
export interface AssembledStore {
  /** The store as given or connected: `migrate()` goes here, unguarded. */
  raw: Store;
  /** What requests use: `raw`, failing closed (503) on errors and timeouts, cached when enabled. */
  store: Store;
  /** Starts background work of the layers (the cache's cross-instance invalidation listener). */
  start(): void;
}

/** A {@link Store} given as `database`. */
export function isStore(value: unknown): value is Store {
  return typeof value === 'object' && value !== null && typeof (value as Store).findByTokenHash === 'function';
}

/** A Knex instance given as `database`. */
export function isKnex(value: unknown): value is Knex {
  return typeof value === 'function' && typeof (value as Knex).schema === 'object';
}

/**
 * Builds the store layers from validated options: the raw store (a URL connected, a Knex instance
 * wrapped, a custom {@link Store} as is), then fail-closed, then — when enabled — the cache, with
 * Postgres LISTEN/NOTIFY invalidation so that several instances stay exact.
 *
 * @internal
 */
export function assembleStore(settings: StoreSettings, observe: StoreObserver): AssembledStore {
  const { database, tableName, schema, cache, queryTimeoutMs } = settings;
  let raw: Store;
  if (isStore(database)) raw = database;
  else if (isKnex(database)) raw = new KnexStore(database, { tableName, schema });
  else if (typeof database === 'string') raw = new KnexStore(connect(database, { schema }), { tableName, schema });
  else throw new TypeError('sessionwatch: option "database" must be a URL, a Knex instance or a Store');

  const guarded = failClosed(raw, queryTimeoutMs, observe, missingTableMessage(tableName));
  if (!cache) return { raw, store: guarded, start: () => {} };
  const cached = new CachedStore(guarded, { maxEntries: cache.maxEntries, channel: invalidationChannelFor(raw, schema, observe) });
  return { raw, store: cached, start: () => cached.start() };
}

/** Postgres stores get LISTEN/NOTIFY invalidation; others are single-process (SQLite) or custom. */
function invalidationChannelFor(store: Store, schema: string | undefined, observe: StoreObserver): PgInvalidationChannel | undefined {
  if (!(store instanceof KnexStore) || !store.isPostgres) return undefined;
  const name = `sw_${schema ? `${schema}_` : ''}${store.tableName}`.slice(0, 63);
  // Qualified: the listener's own connection does not get the pool's search path. Both names are
  // SQL identifiers (validated options), so quoting them is enough.
  const instances = `${schema ? `"${schema}".` : ''}"${instancesTableName(store.tableName)}"`;
  // A missing lease table is said like the store's ("run migrate()"); a dropped connection is not
  // news (the cache stops serving and the listener reconnects; requests go to the database meanwhile).
  return new PgInvalidationChannel(store.knex, store.connectionSettings as string | ClientConfig, name, instances, (error) => {
    if (isMissingTableError(error)) observe(error);
  });
}
