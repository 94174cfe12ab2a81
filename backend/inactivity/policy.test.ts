import type { SessionRecord } from '../store/types';
import { defaultTouchInterval, isExpired, shouldTouch, type ActivityPolicy } from './policy';

const policy: ActivityPolicy = { expireAfterMs: 60_000, touchIntervalMs: 3_000, maxAgeMs: null };

function record(lastActivity: number, createdAt = 0): SessionRecord {
  return {
    id: 'x', tokenHash: 'h', storeKey: null, userId: 'u', ip: '', userAgent: '', browserName: null, browserVersion: null,
    osName: null, osVersion: null, deviceType: 'desktop', createdAt, lastActivity, endedAt: null, endReason: null,
  };
}

describe('defaultTouchInterval', () => {
  test('is 5% of expireAfter, at most 60 s', () => {
    expect(defaultTouchInterval(4)).toBeCloseTo(0.2);
    expect(defaultTouchInterval(600)).toBe(30);
    expect(defaultTouchInterval(1800)).toBe(60);
    expect(defaultTouchInterval(86400)).toBe(60);
  });
});

describe('the throttled activity rules', () => {
  /**
   * Simulates a server applying the rules to a stream of requests at random times, and checks the
   * two promises against the real (unthrottled) last activity, for many random streams.
   */
  test('never expire before expireAfter of real inactivity, always by expireAfter + touchInterval', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 300; run++) {
      const stored = record(0);
      let realLast = 0;
      let time = 0;
      let writes = 0;
      let lastWrite = -Infinity;
      for (let i = 0; i < 40; i++) {
        time += random() * 5_000;
        expect(isExpired(stored, policy, time)).toBe(false); // real idle < 5 s < expireAfter
        realLast = time;
        if (shouldTouch(stored, policy, time)) {
          expect(time - lastWrite).toBeGreaterThanOrEqual(policy.touchIntervalMs);
          stored.lastActivity = time;
          lastWrite = time;
          writes++;
        }
      }
      expect(writes).toBeLessThanOrEqual(Math.ceil(time / policy.touchIntervalMs) + 1);
      // Now the user goes idle: find the moment the server ends the session.
      const idleStart = realLast;
      let t = idleStart;
      while (!isExpired(stored, policy, t)) t += 50;
      expect(t - idleStart).toBeGreaterThanOrEqual(policy.expireAfterMs);
      expect(t - idleStart).toBeLessThanOrEqual(policy.expireAfterMs + policy.touchIntervalMs + 50);
    }
  });

  test('maxAge ends a session at its absolute lifetime, whatever the activity', () => {
    const withMaxAge = { ...policy, maxAgeMs: 3_600_000 };
    expect(isExpired(record(3_599_999, 0), withMaxAge, 3_599_999)).toBe(false);
    expect(isExpired(record(3_599_999, 0), withMaxAge, 3_600_000)).toBe(true);
  });

  test('a request touches only once touchInterval has passed since the stored activity', () => {
    expect(shouldTouch(record(10_000), policy, 12_999)).toBe(false);
    expect(shouldTouch(record(10_000), policy, 13_000)).toBe(true);
  });
});
