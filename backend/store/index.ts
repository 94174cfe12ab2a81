export type { Store, SessionRecord, SweepCutoffs, SweepResult } from './types';
export { KnexStore, type KnexStoreOptions } from './knex-store';
export { MemoryStore } from './memory-store';
export { connect, isPostgresUrl, DEFAULT_DATABASE_URL, type ConnectOptions } from './connect';
export { migrationSource, migrationConfig, DEFAULT_TABLE_NAME } from './migrations';
