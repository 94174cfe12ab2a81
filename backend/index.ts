/**
 * sessionwatch for Koa: tracked sessions ("where you're logged in"), revocation that works with
 * any koa-session store, and server-enforced inactivity expiry.
 *
 * @packageDocumentation
 */

// The server API.
export { SessionWatch, createSessionWatch, type TrackedSessionPage, type HistoryPage, type PageOptions } from './sessionwatch';
export type { SessionCreatedEvent, SessionEndedEvent, SessionWatchEvents, LoginOptions } from './core/types';
export type { IdpLogin } from './oidc/idp-login';
export type { SessionWatchOptions, SessionWatchLogger, ResolvedOptions } from './options';
export type { TrackedSession } from './tracking/records';
export type { HistoryEntry } from './insight/events';
export type { GeoipOptions, LocateFunction } from './insight/locator';
export type { IpPrivacy } from './insight/ip-privacy';
export type { PassiveRule } from './inactivity/passive';
export type { SessionPolicy, SessionPolicyFunction, SessionPolicyInput } from './inactivity/session-policy';
export type { ExternalSessionStore } from './tracking/koa-session-adapter';
export { assertSameOrigin } from './http/csrf';
export { SessionWatchHttpError, SessionWatchConfigError, StoreUnavailableError } from './errors';

// Stores of tracked sessions, and the database helpers for apps and knexfiles.
export type {
  Store,
  SessionRecord,
  SessionLimits,
  SweepCutoffs,
  SweepResult,
  ActivePageQuery,
  SecurityEventRecord,
  EventPageQuery,
  DeviceKey,
  IdpSession,
} from './store/types';
export { KnexStore, type KnexStoreOptions } from './store/knex-store';
export { MemoryStore } from './store/memory-store';
export { connect, isPostgresUrl, DEFAULT_DATABASE_URL, type ConnectOptions } from './store/connect';
export { migrationSource, migrationConfig, DEFAULT_TABLE_NAME } from './store/migrations';

// The HTTP protocol, for server code that answers or tests it: the same names as `sessionwatch/shared`,
// listed one by one in shared/index.ts.
export * from '../shared/index';
