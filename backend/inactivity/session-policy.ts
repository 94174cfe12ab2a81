import type { Context } from 'koa';
import { closestKey, describeValue } from '../../shared/option-checks';
import type { PushPolicy } from '../../shared/protocol';
import type { SessionLimits, SessionRecord } from '../store/types';
import { defaultTouchInterval } from './policy';

/**
 * The time limits of one session, in seconds, as a `policy` gives them. A field left out keeps the
 * value of the global option of the same name; `maxAge: null` means no absolute lifetime for this
 * session, even when the global `maxAge` is set.
 */
export interface SessionPolicy {
  warnAfter?: number;
  expireAfter?: number;
  maxAge?: number | null;
}

/** What the `policy` option is called with, at each login. */
export interface SessionPolicyInput {
  /** The user logging in (as a string, as records store it). */
  userId: string;
  /** The login request. */
  ctx: Context;
}

/**
 * The `policy` option: the limits of a new session, from its user and its login request (sync or
 * async). `undefined` (or `{}`): the global options.
 */
export type SessionPolicyFunction = (input: SessionPolicyInput) => SessionPolicy | undefined | Promise<SessionPolicy | undefined>;

/** The global settings a session's limits start from (seconds; `touchInterval` only when given explicitly). */
export interface GlobalLimits {
  warnAfter: number;
  expireAfter: number;
  maxAge: number | null;
  /** The `touchInterval` option when the app gave one: then every session uses it. */
  touchInterval: number | undefined;
}

const POLICY_KEYS = ['warnAfter', 'expireAfter', 'maxAge'] as const;

/** Where a policy came from, as error messages say it. */
export type PolicySource = 'the "policy" option' | 'sw.login(…, { policy })' | 'sw.setPolicy(…)' | 'the request body';

function fail(source: PolicySource, message: string, Kind: typeof TypeError = TypeError): never {
  throw new Kind(`sessionwatch: ${message}, from ${source}`);
}

/** A policy as given, checked field by field: a TypeError or RangeError naming the field and the source. */
function checkPolicy(value: unknown, source: PolicySource): SessionPolicy {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail(source, `a policy must be an object { warnAfter?, expireAfter?, maxAge? } (got ${describeValue(value)})`);
  }
  const policy = value as Record<string, unknown>;
  for (const key of Object.keys(policy)) {
    if ((POLICY_KEYS as readonly string[]).includes(key)) continue;
    const guess = closestKey(key, POLICY_KEYS);
    fail(source, `unknown policy field ${describeValue(key)}${guess ? ` (did you mean ${describeValue(guess)}?)` : ''}`);
  }
  const checked: SessionPolicy = {};
  for (const key of POLICY_KEYS) {
    const field = policy[key];
    if (field === undefined) continue;
    if (key === 'maxAge' && field === null) {
      checked.maxAge = null;
      continue;
    }
    if (typeof field !== 'number' || Number.isNaN(field))
      fail(source, `policy "${key}" must be a number of seconds (got ${describeValue(field)})`);
    // At least a millisecond: limits are stored in whole milliseconds.
    if (!Number.isFinite(field) || field < 0.001) {
      fail(source, `policy "${key}" must be a positive finite number of seconds (got ${describeValue(field)})`, RangeError);
    }
    checked[key] = field;
  }
  return checked;
}

/** True when a policy sets nothing: the session follows the global options. */
function isEmpty(policy: SessionPolicy): boolean {
  return POLICY_KEYS.every((key) => policy[key] === undefined);
}

/**
 * The limits of a new session: the global options, then the `policy` option's result
 * (`fromOption`), then the login's own (`fromLogin`), each field overriding the one before. Null
 * when neither sets anything: the record then follows the global options, as it always did.
 * Validated as the global options are (positive seconds, `warnAfter < expireAfter`, an explicit
 * `touchInterval` below `expireAfter`); a bad value throws a TypeError or RangeError naming the
 * field and where it came from. The throttle is `min(60, expireAfter / 20)` of the session's own
 * `expireAfter`, unless the app gave `touchInterval`, which then holds for every session.
 */
export function resolveSessionLimits(global: GlobalLimits, fromOption: unknown, fromLogin: unknown): SessionLimits | null {
  return resolveLimits(global, checkPolicy(fromOption, 'the "policy" option'), fromLogin, 'sw.login(…, { policy })');
}

/**
 * The limits a live session gets from `sw.setPolicy` (and the admin route): `policy` over the
 * global options, checked as a login's policy is (the same errors, naming `sw.setPolicy(…)`).
 * Null for `null` or `{}`: back to the global options. The `policy` option is not asked again: it
 * decides at login, from the login request.
 */
export function resolveChangedLimits(
  global: GlobalLimits,
  policy: unknown,
  source: PolicySource = 'sw.setPolicy(…)',
): SessionLimits | null {
  return resolveLimits(global, {}, policy, source);
}

/** The rule of both: `option` (checked), then `given` from `source`, over the global options. */
function resolveLimits(global: GlobalLimits, option: SessionPolicy, given: unknown, givenSource: PolicySource): SessionLimits | null {
  const login = checkPolicy(given, givenSource);
  if (isEmpty(option) && isEmpty(login)) return null;
  const source: PolicySource = isEmpty(login) ? 'the "policy" option' : givenSource;
  const warnAfter = login.warnAfter ?? option.warnAfter ?? global.warnAfter;
  const expireAfter = login.expireAfter ?? option.expireAfter ?? global.expireAfter;
  const maxAge = login.maxAge !== undefined ? login.maxAge : option.maxAge !== undefined ? option.maxAge : global.maxAge;
  const ms = (seconds: number) => Math.round(seconds * 1000);
  if (ms(warnAfter) >= ms(expireAfter)) {
    fail(source, `policy "warnAfter" (${warnAfter}) must be less than "expireAfter" (${expireAfter})`, RangeError);
  }
  const touchInterval = global.touchInterval ?? defaultTouchInterval(expireAfter);
  if (touchInterval >= expireAfter) {
    fail(source, `policy "expireAfter" (${expireAfter}) must be greater than the "touchInterval" option (${touchInterval})`, RangeError);
  }
  return {
    warnAfterMs: ms(warnAfter),
    expireAfterMs: ms(expireAfter),
    // Rounded up: the store compares whole milliseconds, and a throttle a fraction longer keeps both promises.
    touchIntervalMs: Math.ceil(touchInterval * 1000),
    maxAgeMs: maxAge === null ? null : ms(maxAge),
  };
}

/**
 * The limits a session has now, in seconds, as its browser is told them (the ping's `warnAfter`
 * and `expireAfter`, the push stream's `policy`): its own, else the global options.
 */
export function limitsInSeconds(record: SessionRecord, global: GlobalLimits): PushPolicy {
  const { limits } = record;
  if (!limits) return { warnAfter: global.warnAfter, expireAfter: global.expireAfter, maxAge: global.maxAge };
  return {
    warnAfter: limits.warnAfterMs / 1000,
    expireAfter: limits.expireAfterMs / 1000,
    maxAge: limits.maxAgeMs === null ? null : limits.maxAgeMs / 1000,
  };
}
