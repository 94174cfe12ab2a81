import { resolveOptions } from './options';
import { MemoryStore } from './store/memory-store';

const database = new MemoryStore();

describe('options', () => {
  test('defaults', () => {
    const o = resolveOptions({ database });
    expect(o).toMatchObject({
      prefix: '/session',
      sessionKey: 'sessionwatch',
      warnAfter: 1740,
      expireAfter: 1800,
      policy: { expireAfterMs: 1_800_000, touchIntervalMs: 60_000, maxAgeMs: null },
      sweepIntervalMs: 60_000,
      retentionMs: 7 * 24 * 3600 * 1000,
      queryTimeoutMs: 5000,
    });
  });

  test('touchInterval follows a small expireAfter', () => {
    expect(resolveOptions({ database, warnAfter: 2, expireAfter: 4 }).policy.touchIntervalMs).toBeCloseTo(200);
  });

  test.each([
    [{ warnAfter: 'soon' }, TypeError, /"warnAfter"/],
    [{ expireAfter: NaN }, TypeError, /"expireAfter"/],
    [{ expireAfter: Infinity }, RangeError, /"expireAfter"/],
    [{ warnAfter: -1 }, RangeError, /"warnAfter"/],
    [{ warnAfter: 0 }, RangeError, /"warnAfter"/],
    [{ warnAfter: 100, expireAfter: 100 }, RangeError, /"warnAfter" \(100\) must be less than "expireAfter"/],
    [{ maxAge: 0 }, RangeError, /"maxAge"/],
    [{ touchInterval: 2000 }, RangeError, /"touchInterval"/],
    [{ touchInterval: -5 }, RangeError, /"touchInterval"/],
    [{ prefix: 'session' }, TypeError, /"prefix"/],
    [{ prefix: '/session/' }, TypeError, /"prefix"/],
    [{ sessionKey: '_sw' }, TypeError, /"sessionKey"/],
    [{ tableName: 'x; drop table' }, TypeError, /"tableName"/],
    [{ schema: 'a-b' }, TypeError, /"schema"/],
    [{ trustedOrigins: ['https://a.example/path'] }, TypeError, /trustedOrigins\[0\]/],
    [{ trustedOrigins: 'https://a.example' }, TypeError, /"trustedOrigins"/],
    [{ sweepInterval: -1 }, RangeError, /"sweepInterval"/],
    [{ queryTimeout: 0 }, RangeError, /"queryTimeout"/],
    [{ sessionStore: {} }, TypeError, /"sessionStore"/],
    [{ passive: [3] }, TypeError, /passive\[0\]/],
    [{ database: {} }, TypeError, /"database"/],
  ])('%j is refused', (bad, type, message) => {
    expect(() => resolveOptions({ database, ...(bad as object) })).toThrow(type as ErrorConstructor);
    expect(() => resolveOptions({ database, ...(bad as object) })).toThrow(message as RegExp);
  });

  test('less than 20 s between warning and expiry is allowed, with a process warning (WCAG 2.2.1)', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      resolveOptions({ database, warnAfter: 50, expireAfter: 60 });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/WCAG 2\.2\.1/), { code: 'SESSIONWATCH_SHORT_WARNING' });
      warn.mockClear();
      resolveOptions({ database, warnAfter: 40, expireAfter: 60 });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test('trusted origins are normalised', () => {
    expect([...resolveOptions({ database, trustedOrigins: ['https://app.example.com/'] }).trustedOrigins]).toEqual(['https://app.example.com']);
  });
});
