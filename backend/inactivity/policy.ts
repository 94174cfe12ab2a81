import type { SessionRecord, SweepCutoffs } from '../store/types';
import { EXPIRY_TOLERANCE_S } from '../../shared/protocol';

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
 * The rules that apply to one record: its own stored {@link SessionLimits} when it has them (a
 * per-session policy), else the global ones (no policy, or a record made before policies existed).
 */
export function recordPolicy(record: SessionRecord, global: ActivityPolicy): ActivityPolicy {
  const { limits } = record;
  if (!limits) return global;
  return { expireAfterMs: limits.expireAfterMs, touchIntervalMs: limits.touchIntervalMs, maxAgeMs: limits.maxAgeMs };
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

/**
 * The sweep's cutoffs: the rules of {@link isExpired} as bounds a store can query with (a record
 * without limits of its own whose `lastActivity` is before `idleBefore`, or whose `createdAt` is
 * before `createdBefore`, has expired; a record with its own limits, whose deadlines are before
 * `deadlineBefore`), plus the retention of ended records and of the security log. Stored times and limits are whole
 * milliseconds, so "at or before the deadline" (`<=`, as isExpired counts the deadline itself) is
 * "before the next millisecond".
 */
export function sweepCutoffs(policy: ActivityPolicy, retentionMs: number, now: number, historyRetentionMs: number): SweepCutoffs {
  return {
    idleBefore: Math.floor(now - policy.expireAfterMs - policy.touchIntervalMs) + 1,
    createdBefore: policy.maxAgeMs === null ? null : Math.floor(now - policy.maxAgeMs) + 1,
    deadlineBefore: Math.floor(now) + 1,
    endedBefore: now - retentionMs,
    eventsBefore: now - historyRetentionMs,
    now,
  };
}

/**
 * The sweep's rule for one record, as every store applies it (in SQL for the Knex store): the
 * cut-offs of {@link sweepCutoffs} against the record's own limits when it has them, else against
 * the global bounds.
 */
export function sweepSelects(record: SessionRecord, cutoffs: SweepCutoffs): boolean {
  const { limits } = record;
  if (limits) {
    if (record.lastActivity + limits.expireAfterMs + limits.touchIntervalMs < cutoffs.deadlineBefore) return true;
    return limits.maxAgeMs !== null && record.createdAt + limits.maxAgeMs < cutoffs.deadlineBefore;
  }
  return record.lastActivity < cutoffs.idleBefore || (cutoffs.createdBefore !== null && record.createdAt < cutoffs.createdBefore);
}

/** True when an ordinary (non-passive) request should write its activity. */
export function shouldTouch(record: SessionRecord, policy: ActivityPolicy, now: number): boolean {
  return now - record.lastActivity >= policy.touchIntervalMs;
}

/**
 * The tolerance of a ping-requested expiry: {@link EXPIRY_TOLERANCE_S}, but at most a quarter of
 * `expireAfter`, so a very short `expireAfter` (tests, demos) never expires a fresh session.
 */
export function expiryToleranceMs(policy: ActivityPolicy): number {
  return Math.min(EXPIRY_TOLERANCE_S * 1000, policy.expireAfterMs / 4);
}

/**
 * True when a ping ends the session as `expired`: the idle time merged from the server's own
 * stored activity and the client's `idleFor` (the smaller: the most recent activity either side
 * saw wins) has reached `expireAfter`, less the latency tolerance. A client therefore cannot end
 * a session the server saw active (its own stored activity is newer), nor keep one alive (the
 * request rules still end it at {@link idleDeadline}). The stored activity lags the server's real
 * last request by less than `touchInterval` (the throttle), which bounds how early the server's
 * side of the merge can be.
 */
export function pingExpires(record: SessionRecord, idleForMs: number, policy: ActivityPolicy, now: number): boolean {
  return Math.min(now - record.lastActivity, idleForMs) >= policy.expireAfterMs - expiryToleranceMs(policy);
}
