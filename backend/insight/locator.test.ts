import path from 'node:path';
import { checkedLocation, checkLocationOptions, LOCATE_BACKOFF_MS, LOCATE_TIMEOUT_MS, Locator } from './locator';

const GEOIP = path.join(__dirname, '..', '..', 'test', 'fixtures', 'geoip', 'GeoLite2-City-Test.mmdb');

describe('checkLocationOptions', () => {
  test('none, geoip or locate; both, or a wrong shape, is a TypeError naming the option', () => {
    expect(checkLocationOptions(undefined, undefined)).toBeNull();
    expect(checkLocationOptions({ database: GEOIP }, undefined)).toEqual({ geoip: { database: GEOIP } });
    const locate = () => null;
    expect(checkLocationOptions(undefined, locate)).toEqual({ locate });
    expect(() => checkLocationOptions({ database: GEOIP }, locate)).toThrow(/"geoip" and "locate" are exclusive/);
    expect(() => checkLocationOptions(undefined, 'maxmind')).toThrow(/option "locate" must be a function/);
    for (const bad of [GEOIP, {}, { database: 3 }, { database: '' }]) {
      expect(() => checkLocationOptions(bad, undefined)).toThrow(/option "geoip" must be \{ database/);
    }
    expect(() => checkLocationOptions({}, undefined)).toThrow(/\(got database: undefined\)/);
    expect(() => checkLocationOptions({ database: GEOIP, cacheSize: 5 }, undefined)).toThrow(/unknown key "cacheSize" \(known: database\)/);
    // null is off, like undefined.
    expect(checkLocationOptions(null, locate)).toEqual({ locate });
    expect(checkLocationOptions({ database: GEOIP }, null)).toEqual({ geoip: { database: GEOIP } });
  });

  test('a database file that cannot be read fails at construction, with the path', () => {
    expect(() => checkLocationOptions({ database: '/nope/GeoLite2-City.mmdb' }, undefined)).toThrow(
      /cannot read the database file "\/nope\/GeoLite2-City.mmdb"/,
    );
  });
});

describe('checkedLocation', () => {
  test('keeps names (trimmed, at most 128 characters) and a two-letter country code (upper case)', () => {
    expect(checkedLocation({ city: ' Linköping ', country: 'Sweden', countryCode: 'se' })).toEqual({
      city: 'Linköping',
      country: 'Sweden',
      countryCode: 'SE',
    });
    expect(checkedLocation({ city: 'x'.repeat(300), countryCode: '' })).toEqual({
      city: 'x'.repeat(128),
      country: null,
      countryCode: null,
    });
    expect(checkedLocation({ city: '', country: null })).toBeNull();
    expect(checkedLocation(null)).toBeNull();
    expect(checkedLocation(undefined)).toBeNull();
    for (const wrong of ['London', { city: 5 }, { countryCode: 'france' }, { country: ['SE'] }])
      expect(checkedLocation(wrong)).toBeUndefined();
  });
});

describe('Locator with geoip', () => {
  test('looks addresses up in the database (English names); unknown ones are null', async () => {
    const locator = new Locator({ geoip: { database: GEOIP } }, () => {});
    await locator.ready();
    expect(await locator.locate('81.2.69.142')).toEqual({ city: 'London', country: 'United Kingdom', countryCode: 'GB' });
    expect(await locator.locate('2001:218::1')).toEqual({ city: null, country: 'Japan', countryCode: 'JP' });
    expect(await locator.locate('10.0.0.1')).toBeNull();
    expect(await locator.locate('')).toBeNull();
  });

  test('a file that is not a MaxMind database rejects ready() with the reason', async () => {
    const locator = new Locator({ geoip: { database: __filename } }, () => {});
    await expect(locator.ready()).rejects.toThrow(/is not a MaxMind database/);
  });
});

describe('Locator with locate', () => {
  test('asks once per address, remembers the answer', async () => {
    const locate = jest.fn(async (ip: string) => (ip === '1.2.3.4' ? { city: 'Here', country: 'There', countryCode: 'TH' } : undefined));
    const locator = new Locator({ locate }, () => {});
    for (let i = 0; i < 3; i++) {
      expect(await locator.locate('1.2.3.4')).toEqual({ city: 'Here', country: 'There', countryCode: 'TH' });
      expect(await locator.locate('5.6.7.8')).toBeNull();
    }
    expect(locate).toHaveBeenCalledTimes(2);
  });

  test('a throw, a wrong answer or a slow answer leaves the location null, is said, and rests the source before asking again', async () => {
    jest.useFakeTimers();
    try {
      const said: string[] = [];
      let calls = 0;
      let answer: () => unknown = () => {
        throw new Error('service down');
      };
      const locator = new Locator(
        {
          locate: () => {
            calls++;
            return answer() as null;
          },
        },
        (key) => said.push(key),
      );
      expect(await locator.locate('1.2.3.4')).toBeNull();
      // Resting: no call, no wait, for every address.
      expect(await locator.locate('5.6.7.8')).toBeNull();
      expect(calls).toBe(1);
      await jest.advanceTimersByTimeAsync(LOCATE_BACKOFF_MS);
      answer = () => ({ city: 5 });
      expect(await locator.locate('1.2.3.4')).toBeNull();
      await jest.advanceTimersByTimeAsync(LOCATE_BACKOFF_MS);
      answer = () => new Promise(() => {});
      const slow = locator.locate('1.2.3.4');
      await jest.advanceTimersByTimeAsync(LOCATE_TIMEOUT_MS);
      expect(await slow).toBeNull();
      await jest.advanceTimersByTimeAsync(LOCATE_BACKOFF_MS);
      // Failures were not remembered: asked again, and right this time.
      answer = () => ({ country: 'Sweden' });
      expect(await locator.locate('1.2.3.4')).toEqual({ city: null, country: 'Sweden', countryCode: null });
      expect(said).toEqual(['locate-threw', 'locate-type', 'locate-timeout']);
      expect(calls).toBe(4);
    } finally {
      jest.useRealTimers();
    }
  });
});
