/**
 * Where an address is: the `geoip` option (a MaxMind GeoLite2 / GeoIP2 City or Country database,
 * read with the `maxmind` package) or the `locate` option (the app's own function). Looked up at
 * login and when a session's address changes, never on an ordinary request, and remembered per
 * address. A failing source never fails a login: the location is then null, said once in the log.
 */
import fs from 'node:fs';
import type { Location } from '../../shared/protocol';
import { describeValue } from '../../shared/option-checks';

/** The `locate` option: the location of an address, or null / undefined when unknown. */
export type LocateFunction = (ip: string) => Location | null | undefined | Promise<Location | null | undefined>;

/** The `geoip` option. */
export interface GeoipOptions {
  /** Path of a GeoLite2 / GeoIP2 City (or Country) `.mmdb` file; relative to the working directory. */
  database: string;
}

/** Addresses whose location a {@link Locator} remembers (least recently used go first). */
const CACHE_ENTRIES = 10_000;
/** Longest a `locate` function may take before the login goes on without a location. */
export const LOCATE_TIMEOUT_MS = 1000;
/**
 * After a `locate` failure (a throw, a wrong answer, a timeout), how long it is left alone: the
 * requests meanwhile get no location at once instead of each waiting for a failing service.
 */
export const LOCATE_BACKOFF_MS = 30_000;
/** Longest name kept (the column's width). */
const MAX_NAME_LENGTH = 128;

/** What a locator says about its setup or a failed lookup (`key`: once per kind). */
export type LocatorLog = (key: string, message: string) => void;

/** The part of a MaxMind City / Country record read here. */
interface GeoRecord {
  city?: { names?: Record<string, string> };
  country?: { iso_code?: string; names?: Record<string, string> };
}

interface GeoReader {
  get(ip: string): GeoRecord | null;
  metadata: { databaseType: string };
}

/** A name as stored: a non-empty string of at most 128 characters, else null. */
function name(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, MAX_NAME_LENGTH) : null;
}

/** A field of a location: absent, null or a string. */
const isName = (value: unknown) => value === undefined || value === null || typeof value === 'string';

/**
 * A location as returned by the app's `locate`, checked: names trimmed and cut to 128
 * characters, the country code upper-cased. undefined: not a location (not an object, a field of
 * another type, a country code that is not two letters).
 */
export function checkedLocation(value: unknown): Location | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return undefined;
  const { city, country, countryCode } = value as Record<string, unknown>;
  if (!isName(city) || !isName(country) || !isName(countryCode)) return undefined;
  if (typeof countryCode === 'string' && countryCode !== '' && !/^[A-Za-z]{2}$/.test(countryCode)) return undefined;
  const code = typeof countryCode === 'string' && countryCode !== '' ? countryCode.toUpperCase() : null;
  const location = { city: name(city), country: name(country), countryCode: code };
  return location.city === null && location.country === null && location.countryCode === null ? null : location;
}

/** A wrong answer of `locate`, as the log shows it (objects as JSON, cut short). */
function shown(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? JSON.stringify(value).slice(0, 120) : describeValue(value);
  } catch {
    return describeValue(value);
  }
}

/** The location of a MaxMind record (English names). */
function fromGeoRecord(record: GeoRecord | null): Location | null {
  if (!record) return null;
  return (
    checkedLocation({ city: record.city?.names?.en, country: record.country?.names?.en, countryCode: record.country?.iso_code }) ?? null
  );
}

/**
 * Validates the `geoip` and `locate` options (shape, file readable) at construction; throws a
 * TypeError naming the option. Returns the lookup to use, or null without either.
 */
export function checkLocationOptions(geoip: unknown, locate: unknown): { geoip: GeoipOptions } | { locate: LocateFunction } | null {
  // null, like undefined, is "off" (`geoip: env.GEOIP ? { … } : null`).
  if (geoip === null) geoip = undefined;
  if (locate === null) locate = undefined;
  if (geoip !== undefined && locate !== undefined) {
    throw new TypeError('sessionwatch: options "geoip" and "locate" are exclusive: give one location source');
  }
  if (locate !== undefined) {
    if (typeof locate !== 'function')
      throw new TypeError('sessionwatch: option "locate" must be a function (ip) => { city, country, countryCode } | null');
    return { locate: locate as LocateFunction };
  }
  if (geoip === undefined) return null;
  if (typeof geoip !== 'object' || geoip === null) {
    throw new TypeError(
      `sessionwatch: option "geoip" must be { database: "<path to a GeoLite2-City .mmdb file>" } (got ${describeValue(geoip)})`,
    );
  }
  const unknown = Object.keys(geoip).filter((key) => key !== 'database');
  if (unknown.length)
    throw new TypeError(`sessionwatch: option "geoip" has an unknown key ${JSON.stringify(unknown[0])} (known: database)`);
  const { database } = geoip as Record<string, unknown>;
  if (typeof database !== 'string' || database === '') {
    throw new TypeError(
      `sessionwatch: option "geoip" must be { database: "<path to a GeoLite2-City .mmdb file>" } (got database: ${describeValue(database)})`,
    );
  }
  try {
    fs.accessSync(database, fs.constants.R_OK);
  } catch (err) {
    throw new TypeError(
      `sessionwatch: option "geoip": cannot read the database file ${JSON.stringify(database)} (${(err as Error).message})`,
    );
  }
  return { geoip: { database } };
}

/** Loads the `maxmind` package (an optional peer) and opens the database; clear errors for both. */
async function openGeoip(database: string): Promise<GeoReader> {
  let Reader: new (buffer: Buffer) => GeoReader;
  try {
    const mod = (await import('maxmind')) as unknown as { Reader?: typeof Reader; default?: { Reader?: typeof Reader } };
    Reader = (mod.Reader ?? mod.default?.Reader)!;
  } catch {
    throw new TypeError('sessionwatch: option "geoip" needs the maxmind package: npm install maxmind');
  }
  let reader: GeoReader;
  try {
    reader = new Reader(await fs.promises.readFile(database));
  } catch (err) {
    throw new TypeError(`sessionwatch: option "geoip": ${JSON.stringify(database)} is not a MaxMind database (${(err as Error).message})`);
  }
  if (!/City|Country/i.test(reader.metadata.databaseType)) {
    throw new TypeError(
      `sessionwatch: option "geoip": ${JSON.stringify(database)} is a ${reader.metadata.databaseType} database; a City or Country database is needed`,
    );
  }
  return reader;
}

/**
 * Looks addresses up in the configured source, remembering answers per address.
 *
 * @internal
 */
export class Locator {
  private readonly cache = new Map<string, Location | null>();
  private reader: Promise<GeoReader> | undefined;
  /** Until when (epoch ms) a failing `locate` is left alone (see {@link LOCATE_BACKOFF_MS}). */
  private resting = 0;

  constructor(
    private readonly source: { geoip: GeoipOptions } | { locate: LocateFunction },
    private readonly log: LocatorLog,
  ) {}

  /** Opens the database (once); rejects with the setup error. `migrate()` awaits it, so a bad setup stops the start. */
  ready(): Promise<void> {
    if (!('geoip' in this.source)) return Promise.resolve();
    this.reader ??= openGeoip(this.source.geoip.database);
    return this.reader.then(() => undefined);
  }

  /** The location of a stored address (`''`: unknown address → null). */
  async locate(ip: string): Promise<Location | null> {
    if (ip === '') return null;
    const known = this.cache.get(ip);
    if (known !== undefined) {
      this.cache.delete(ip);
      this.cache.set(ip, known);
      return known;
    }
    const found = await this.lookUp(ip);
    if (found === undefined) return null; // a failure: not remembered, the next change asks again
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(ip, found);
    return found;
  }

  /** undefined: the source failed (already logged). */
  private async lookUp(ip: string): Promise<Location | null | undefined> {
    if ('geoip' in this.source) {
      await this.ready();
      return fromGeoRecord((await this.reader!).get(ip));
    }
    if (Date.now() < this.resting) return undefined;
    const failed = (key: string, message: string): undefined => {
      this.resting = Date.now() + LOCATE_BACKOFF_MS;
      this.log(key, `${message}; no location for ${LOCATE_BACKOFF_MS / 1000} s, then it is asked again`);
      return undefined;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        Promise.resolve().then(() => (this.source as { locate: LocateFunction }).locate(ip)),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), LOCATE_TIMEOUT_MS))),
      ]);
      if (answer === 'timeout') return failed('locate-timeout', `sessionwatch: the "locate" option took more than ${LOCATE_TIMEOUT_MS} ms`);
      const location = checkedLocation(answer);
      if (location === undefined) {
        return failed(
          'locate-type',
          `sessionwatch: the "locate" option returned ${shown(answer)}, not { city, country, countryCode } (strings or null; a two-letter code) or null`,
        );
      }
      return location;
    } catch (err) {
      return failed('locate-threw', `sessionwatch: the "locate" option threw: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
