import { testRecord } from '../../test/support/records';
import { limitsInSeconds, resolveChangedLimits, resolveSessionLimits, type GlobalLimits } from './session-policy';

const global: GlobalLimits = { warnAfter: 1740, expireAfter: 1800, maxAge: 36_000, touchInterval: undefined };

describe('resolveSessionLimits', () => {
  test('nothing set by either: null (the record follows the global options)', () => {
    expect(resolveSessionLimits(global, undefined, undefined)).toBeNull();
    expect(resolveSessionLimits(global, {}, {})).toBeNull();
    expect(resolveSessionLimits(global, null, { warnAfter: undefined })).toBeNull();
  });

  test('global, then the option, then the login: field by field, in milliseconds, with the session own throttle', () => {
    expect(resolveSessionLimits(global, { warnAfter: 840, expireAfter: 900 }, undefined)).toEqual({
      warnAfterMs: 840_000,
      expireAfterMs: 900_000,
      touchIntervalMs: 45_000, // min(60, 900 / 20)
      maxAgeMs: 36_000_000,
    });
    expect(resolveSessionLimits(global, { warnAfter: 840, expireAfter: 900 }, { expireAfter: 1_209_600, maxAge: null })).toEqual({
      warnAfterMs: 840_000,
      expireAfterMs: 1_209_600_000,
      touchIntervalMs: 60_000,
      maxAgeMs: null,
    });
    expect(resolveSessionLimits(global, { maxAge: null }, { maxAge: 60 })!.maxAgeMs).toBe(60_000);
  });

  test('an explicit touchInterval option holds for every session; fractions of a millisecond round up', () => {
    expect(resolveSessionLimits({ ...global, touchInterval: 0.0004 }, { expireAfter: 10, warnAfter: 5 }, undefined)!.touchIntervalMs).toBe(
      1,
    );
    expect(resolveSessionLimits({ ...global, touchInterval: 0 }, { expireAfter: 10, warnAfter: 5 }, undefined)!.touchIntervalMs).toBe(0);
    expect(resolveSessionLimits(global, { expireAfter: 1.001, warnAfter: 0.5 }, undefined)!.touchIntervalMs).toBe(51); // 50.05 ms
  });

  test.each([
    [
      { warnAfter: -1 },
      undefined,
      RangeError,
      /policy "warnAfter" must be a positive finite number of seconds \(got -1\), from the "policy" option/,
    ],
    [
      { expireAfter: '900' },
      undefined,
      TypeError,
      /policy "expireAfter" must be a number of seconds \(got "900"\), from the "policy" option/,
    ],
    [{ maxAge: 0 }, undefined, RangeError, /policy "maxAge" must be a positive/],
    [{ maxAge: Infinity }, undefined, RangeError, /policy "maxAge"/],
    [{ warnAfter: NaN }, undefined, TypeError, /policy "warnAfter"/],
    [{ expireAfter: 0.0001 }, undefined, RangeError, /policy "expireAfter"/],
    [
      { expireAfer: 900 },
      undefined,
      TypeError,
      /unknown policy field "expireAfer" \(did you mean "expireAfter"\?\), from the "policy" option/,
    ],
    ['900', undefined, TypeError, /a policy must be an object .*got "900".*from the "policy" option/],
    [[900], undefined, TypeError, /a policy must be an object/],
    [
      { warnAfter: 1800 },
      undefined,
      RangeError,
      /policy "warnAfter" \(1800\) must be less than "expireAfter" \(1800\), from the "policy" option/,
    ],
    [
      undefined,
      { warnAfter: 2000 },
      RangeError,
      /"warnAfter" \(2000\) must be less than "expireAfter" \(1800\), from sw\.login\(…, \{ policy \}\)/,
    ],
    [undefined, { expireAfter: -5 }, RangeError, /policy "expireAfter" .* from sw\.login/],
    [
      { expireAfter: 900 },
      { expireAfter: 100 },
      RangeError,
      /"warnAfter" \(1740\) must be less than "expireAfter" \(100\), from sw\.login/,
    ],
  ])('%p / %p: %p', (fromOption, fromLogin, Kind, message) => {
    const call = () => resolveSessionLimits(global, fromOption, fromLogin);
    expect(call).toThrow(Kind);
    expect(call).toThrow(message);
  });

  test('an explicit touchInterval at or over the policy expireAfter is refused, naming both', () => {
    expect(() => resolveSessionLimits({ ...global, touchInterval: 30 }, { warnAfter: 10, expireAfter: 20 }, undefined)).toThrow(
      /policy "expireAfter" \(20\) must be greater than the "touchInterval" option \(30\), from the "policy" option/,
    );
  });
});

describe('resolveChangedLimits', () => {
  test('the policy over the global options (never the policy option); null or {}: the global options', () => {
    expect(resolveChangedLimits(global, null)).toBeNull();
    expect(resolveChangedLimits(global, {})).toBeNull();
    expect(resolveChangedLimits(global, { warnAfter: 840, expireAfter: 900 })).toEqual({
      warnAfterMs: 840_000,
      expireAfterMs: 900_000,
      touchIntervalMs: 45_000,
      maxAgeMs: 36_000_000,
    });
  });

  test("checked as a login's policy, naming where it came from", () => {
    expect(() => resolveChangedLimits(global, { warnAfter: 1800 })).toThrow(
      new RangeError('sessionwatch: policy "warnAfter" (1800) must be less than "expireAfter" (1800), from sw.setPolicy(…)'),
    );
    expect(() => resolveChangedLimits(global, { expireAfter: '900' }, 'the request body')).toThrow(
      new TypeError('sessionwatch: policy "expireAfter" must be a number of seconds (got "900"), from the request body'),
    );
  });
});

describe('limitsInSeconds', () => {
  test("a record's own limits, else the global options", () => {
    const own = { ...testRecord(), limits: { warnAfterMs: 840_000, expireAfterMs: 900_500, touchIntervalMs: 45_000, maxAgeMs: null } };
    expect(limitsInSeconds(own, global)).toEqual({ warnAfter: 840, expireAfter: 900.5, maxAge: null });
    expect(limitsInSeconds(testRecord(), global)).toEqual({ warnAfter: 1740, expireAfter: 1800, maxAge: 36_000 });
  });
});
