import type { SessionRecord } from '../store/types';
import { testRecord } from '../../test/support/records';
import { defaultTouchInterval, isExpired, pingExpires, shouldTouch, type ActivityPolicy } from './policy';

const policy: ActivityPolicy = { expireAfterMs: 60_000, touchIntervalMs: 3_000, maxAgeMs: null };

const record = (lastActivity: number, createdAt = 0): SessionRecord => testRecord({ lastActivity, createdAt });

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
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
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

describe('ping-requested expiry (issue 13)', () => {
  const tolerance = 1_000;
  /**
   * A server applying the request rules (throttled writes) and a client pinging with `idleFor`:
   * the session ends on a ping only when both the client's claim and the server's own stored
   * activity say `expireAfter - tolerance`. An honest client ends it at its deadline; a lying one
   * cannot end it while the server saw a request within `expireAfter - tolerance - touchInterval`
   * (the throttle's lag), nor keep one alive past the request rules' deadline.
   */
  test('a forged idleFor cannot end a session the server saw active', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 300; run++) {
      const stored = record(0);
      let realServerLast = 0;
      let time = 0;
      for (let i = 0; i < 40; i++) {
        // Server requests at random, sometimes with long gaps.
        time += random() * (random() < 0.2 ? 70_000 : 5_000);
        if (isExpired(stored, policy, time)) break;
        const forged = 365 * 24 * 3600 * 1000;
        const ends = pingExpires(stored, forged, policy, time);
        const realIdle = time - realServerLast;
        if (realIdle < policy.expireAfterMs - tolerance - policy.touchIntervalMs) expect(ends).toBe(false);
        if (ends) break;
        realServerLast = time;
        if (shouldTouch(stored, policy, time)) stored.lastActivity = time;
      }
    }
  });

  test('an honest client ends the session at its deadline, not before', () => {
    const stored = record(0);
    expect(pingExpires(stored, 58_999, policy, 200_000)).toBe(false);
    expect(pingExpires(stored, 59_000, policy, 200_000)).toBe(true);
    // The server's own newer activity wins over the client's claim.
    const active = record(150_000);
    expect(pingExpires(active, 60_000, policy, 200_000)).toBe(false);
    expect(pingExpires(active, 60_000, policy, 209_000)).toBe(true);
  });

  test('the tolerance never exceeds a quarter of expireAfter', () => {
    const short = { ...policy, expireAfterMs: 2_000 };
    expect(pingExpires(record(0), 1_499, short, 10_000)).toBe(false);
    expect(pingExpires(record(0), 1_500, short, 10_000)).toBe(true);
  });

  test('the request rules stay the bound: a ping-expiry only ever comes earlier than isExpired', () => {
    for (let idle = 0; idle <= policy.expireAfterMs + policy.touchIntervalMs; idle += 250) {
      if (isExpired(record(0), policy, idle)) expect(pingExpires(record(0), idle, policy, idle)).toBe(true);
    }
  });
});
