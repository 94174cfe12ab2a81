import { assertKnownKeys, closestKey, describeValue, unknownOptionMessage } from './option-checks';

describe('option error wording shared by server and client', () => {
  test('strings are JSON-quoted, other values shown as String() does', () => {
    expect(describeValue('a "b"')).toBe('"a \\"b\\""');
    expect(describeValue('')).toBe('""');
    expect(describeValue(3)).toBe('3');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
  });

  test('functions are described briefly, never by their source', () => {
    function defaultUi() {
      return { locks: true, secret: 'the whole source would follow' };
    }
    expect(describeValue(defaultUi)).toBe('a function');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(class Store {})).toBe('a function');
    expect(describeValue(async () => undefined)).toBe('a function');
  });

  test('the closest known key is suggested, and nothing when none is close', () => {
    const known = ['warnAfter', 'expireAfter', 'maxAge', 'touchInterval'];
    expect(closestKey('expireAftr', known)).toBe('expireAfter');
    expect(closestKey('expireafter', known)).toBe('expireAfter');
    expect(closestKey('wranAfter', known)).toBe('warnAfter');
    expect(closestKey('maxage', known)).toBe('maxAge');
    expect(closestKey('database', known)).toBeUndefined();
    // A part of exactly one longer name suggests it; a part of several, or too short a part, does not.
    expect(closestKey('interval', known)).toBe('touchInterval');
    expect(closestKey('after', known)).toBeUndefined();
    expect(closestKey('age', known)).toBeUndefined();
  });

  test('an unknown key throws a TypeError naming it and the closest known key', () => {
    expect(unknownOptionMessage('expireAftr', ['expireAfter'])).toBe(
      'sessionwatch: unknown option "expireAftr" (did you mean "expireAfter"?)',
    );
    expect(() => assertKnownKeys({ expireAfter: 1 }, ['expireAfter'])).not.toThrow();
    expect(() => assertKnownKeys({ zzz: 1 }, ['expireAfter'])).toThrow(
      new TypeError('sessionwatch: unknown option "zzz" (known options: expireAfter)'),
    );
  });
});
