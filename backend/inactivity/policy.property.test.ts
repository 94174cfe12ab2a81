/**
 * Property tests of the time rules, on random policies, records and clocks (fast-check shrinks a
 * failure to its smallest case). The rules are pure, so every promise the server makes about
 * inactivity is checked here once rather than through timing in the end-to-end suites.
 */
import fc from 'fast-check';
import { testRecord } from '../../test/support/records';
import type { SessionLimits } from '../store/types';
import { idleDeadline, isExpired, pingExpires, recordPolicy, shouldTouch, sweepCutoffs, sweepSelects, type ActivityPolicy } from './policy';
import { resolveSessionLimits } from './session-policy';
import { assertProperty } from '../../test/support/property-seeds';

/** Whole milliseconds, as `Date.now()` gives. */
const time = fc.integer({ min: 0, max: 10 ** 9 });

const policyArb: fc.Arbitrary<ActivityPolicy> = fc
  .record({
    expireAfterMs: fc.integer({ min: 1_000, max: 86_400_000 }),
    touchShare: fc.double({ min: 0, max: 0.05, noNaN: true }),
    maxAgeMs: fc.option(fc.integer({ min: 1_000, max: 10 ** 9 }), { nil: null }),
  })
  // As the options resolve it (backend/options.ts): whole milliseconds, the throttle rounded up.
  .map(({ expireAfterMs, touchShare, maxAgeMs }) => ({ expireAfterMs, touchIntervalMs: Math.ceil(expireAfterMs * touchShare), maxAgeMs }));

/**
 * A session's own limits as a login resolves them: whole milliseconds from seconds that may have
 * fractions, with the default throttle or an explicit one.
 */
const limitsArb: fc.Arbitrary<SessionLimits> = fc
  .record({
    expireAfter: fc.double({ min: 1, max: 86_400, noNaN: true }),
    warnShare: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    maxAge: fc.option(fc.double({ min: 0.001, max: 10 ** 6, noNaN: true }), { nil: null }),
    touchInterval: fc.option(fc.double({ min: 0, max: 0.9, noNaN: true }), { nil: undefined }),
  })
  .map(({ expireAfter, warnShare, maxAge, touchInterval }) => {
    const global = {
      warnAfter: 1,
      expireAfter: 2,
      maxAge: null,
      touchInterval: touchInterval === undefined ? undefined : touchInterval * expireAfter,
    };
    return resolveSessionLimits(global, undefined, { warnAfter: expireAfter * warnShare, expireAfter, maxAge })!;
  });

describe('policy properties', () => {
  test('per-record limits: the sweep selects exactly what isExpired ends with the record own rules, at every boundary', () => {
    const nearDeadline = fc.oneof(
      fc.record({ at: fc.constant<'idle' | 'age' | 'any'>('any'), delta: fc.integer({ min: 0, max: 10 ** 9 }) }),
      fc.record({ at: fc.constantFrom<'idle' | 'age'>('idle', 'age'), delta: fc.integer({ min: -2, max: 2 }) }),
    );
    assertProperty(
      fc.property(
        policyArb,
        fc.option(limitsArb, { nil: null }),
        time,
        time,
        nearDeadline,
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (global, limits, createdAt, idle, { at, delta }, fraction) => {
          const lastActivity = createdAt + idle;
          const record = testRecord({ createdAt, lastActivity, limits });
          const own = recordPolicy(record, global);
          const base =
            at === 'idle' ? idleDeadline(record, own) : at === 'age' && own.maxAgeMs !== null ? createdAt + own.maxAgeMs : lastActivity;
          // Own limits are whole milliseconds, so a clock with a fraction of one must agree too.
          const now = Math.max(lastActivity, Math.floor(base) + delta + (limits ? fraction : 0));
          expect(sweepSelects(record, sweepCutoffs(global, 0, now, 0))).toBe(isExpired(record, own, now));
        },
      ),
    );
  });

  test('per-record limits: throttled writes keep both promises with the session own touchInterval', () => {
    assertProperty(
      fc.property(
        limitsArb.map((limits) => ({ ...limits, maxAgeMs: null })),
        fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (limits, gaps, after) => {
          const record = testRecord({ createdAt: 0, lastActivity: 0, limits });
          const policy = recordPolicy(record, { expireAfterMs: 1, touchIntervalMs: 0, maxAgeMs: 1 });
          let realLast = 0;
          for (const gap of gaps) {
            const t = realLast + gap;
            if (isExpired(record, policy, t)) return;
            realLast = t;
            if (shouldTouch(record, policy, t)) record.lastActivity = t;
          }
          const now = realLast + after;
          if (after < limits.expireAfterMs) expect(isExpired(record, policy, now)).toBe(false);
          if (after >= limits.expireAfterMs + limits.touchIntervalMs) expect(isExpired(record, policy, now)).toBe(true);
        },
      ),
    );
  });

  test('the sweep selects exactly the records isExpired ends (same rule, as query bounds)', () => {
    // `now` is drawn around the two deadlines (±2 ms) as often as anywhere: the boundaries are where
    // a `<` against a `<=` would differ.
    const nearDeadline = fc.oneof(
      fc.record({ at: fc.constant<'idle' | 'age' | 'any'>('any'), delta: fc.integer({ min: 0, max: 10 ** 9 }) }),
      fc.record({ at: fc.constantFrom<'idle' | 'age'>('idle', 'age'), delta: fc.integer({ min: -2, max: 2 }) }),
    );
    assertProperty(
      fc.property(policyArb, time, time, nearDeadline, (policy, createdAt, idle, { at, delta }) => {
        const lastActivity = createdAt + idle;
        const record = testRecord({ createdAt, lastActivity });
        const base =
          at === 'idle'
            ? idleDeadline(record, policy)
            : at === 'age' && policy.maxAgeMs !== null
              ? createdAt + policy.maxAgeMs
              : lastActivity;
        const now = Math.max(lastActivity, base + delta);
        const { idleBefore, createdBefore } = sweepCutoffs(policy, 0, now, 0);
        const swept = record.lastActivity < idleBefore || (createdBefore !== null && record.createdAt < createdBefore);
        expect(swept).toBe(isExpired(record, policy, now));
      }),
    );
  });

  test('throttled writes: never expired before expireAfter of real inactivity, always by expireAfter + touchInterval', () => {
    assertProperty(
      fc.property(
        policyArb.map((p) => ({ ...p, maxAgeMs: null })),
        fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (policy, gaps, after) => {
          const record = testRecord({ createdAt: 0, lastActivity: 0 });
          let realLast = 0;
          for (const gap of gaps) {
            const t = realLast + gap;
            if (isExpired(record, policy, t)) return; // ended by a real gap: the rest is another session
            realLast = t;
            if (shouldTouch(record, policy, t)) record.lastActivity = t;
            expect(realLast - record.lastActivity).toBeLessThan(Math.max(policy.touchIntervalMs, 1));
          }
          const now = realLast + after;
          if (after < policy.expireAfterMs) expect(isExpired(record, policy, now)).toBe(false);
          if (after >= policy.expireAfterMs + policy.touchIntervalMs) expect(isExpired(record, policy, now)).toBe(true);
          expect(idleDeadline(record, policy)).toBeLessThanOrEqual(realLast + policy.expireAfterMs + policy.touchIntervalMs);
        },
      ),
    );
  });

  test('a ping cannot end a session the server saw active within expireAfter less the tolerance, whatever idleFor says', () => {
    assertProperty(
      fc.property(
        policyArb,
        time,
        fc.integer({ min: 0, max: 10 ** 9 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (policy, lastActivity, idleForMs, since) => {
          const record = testRecord({ lastActivity });
          const now = lastActivity + since;
          const expires = pingExpires(record, idleForMs, policy, now);
          if (since < policy.expireAfterMs / 2) expect(expires).toBe(false);
          if (expires) expect(Math.min(since, idleForMs)).toBeGreaterThanOrEqual(policy.expireAfterMs * 0.75);
        },
      ),
    );
  });
});
