/**
 * sessionwatch for Koa: tracked sessions ("where you're logged in"), revocation that works with
 * any koa-session store, and server-enforced inactivity expiry.
 */
export {
  SessionWatch,
  createSessionWatch,
  type SessionCreatedEvent,
  type SessionEndedEvent,
  type TrackedSessionPage,
  type SessionWatchEvents,
} from './sessionwatch';
export type { SessionWatchOptions, SessionWatchLogger } from './options';
export type { TrackedSession } from './tracking/records';
export type { PassiveRule } from './inactivity/passive';
export type { ExternalSessionStore } from './tracking/koa-session-adapter';
export { assertSameOrigin } from './http/csrf';
export { SessionWatchHttpError, SessionWatchConfigError, StoreUnavailableError } from './errors';
export * from './store';
export * from '../shared/protocol';
