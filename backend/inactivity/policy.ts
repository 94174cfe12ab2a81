import type { SessionRecord } from '../store/types';

/** The time rules of a session, in milliseconds. */
export interface ActivityPolicy {
  /** Inactivity after which a session ends. */
  expireAfterMs: number;
  /** Minimum time between two activity writes of one session from ordinary requests. */
  touchIntervalMs: number;
  /** Absolute lifetime since login, or null when off. */
  maxAgeMs: number | null;
}

/**
 * The default write throttle: 5% of `expireAfter`, at most 60 s. The server ends a session between
 * `expireAfter` and `expireAfter + touchInterval` after its last activity, so the throttle costs at
 * most 5% of extra lifetime.
 */
export function defaultTouchInterval(expireAfter: number): number {
  return Math.min(60, expireAfter / 20);
}

/**
 * A throttled write may have skipped up to `touchInterval` of real activity, so the stored
 * `lastActivity` can be that much behind. Ending the session only once `expireAfter +
 * touchInterval` has passed since the stored value guarantees both promises, on any number of
 * instances: never before `expireAfter` of real inactivity, always by `expireAfter + touchInterval`.
 */
export function idleDeadline(record: SessionRecord, policy: ActivityPolicy): number {
  return record.lastActivity + policy.expireAfterMs + policy.touchIntervalMs;
}

/** True when the session must end now: idle past its deadline, or older than `maxAge`. */
export function isExpired(record: SessionRecord, policy: ActivityPolicy, now: number): boolean {
  if (now >= idleDeadline(record, policy)) return true;
  return policy.maxAgeMs !== null && now - record.createdAt >= policy.maxAgeMs;
}

/** True when an ordinary (non-passive) request should write its activity. */
export function shouldTouch(record: SessionRecord, policy: ActivityPolicy, now: number): boolean {
  return now - record.lastActivity >= policy.touchIntervalMs;
}
