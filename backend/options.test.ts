import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { resolveOptions } from './options';
import { createSessionWatch } from './sessionwatch';
import { MemoryStore } from './store/memory-store';

const database = new MemoryStore();

describe('options', () => {
  test('defaults', () => {
    const o = resolveOptions({ database });
    expect(o).toMatchObject({
      apiPrefix: '/session',
      sessionKey: 'sessionwatch',
      warnAfter: 1740,
      expireAfter: 1800,
      policy: { expireAfterMs: 1_800_000, touchIntervalMs: 60_000, maxAgeMs: null },
      sweepIntervalMs: 60_000,
      retentionMs: 7 * 24 * 3600 * 1000,
      queryTimeoutMs: 5000,
      maxSessionsPerUser: 100,
      noStore: 'authenticated-html',
      location: null,
      ipPrivacy: 'full',
      historyRetentionMs: 90 * 24 * 3600 * 1000,
    });
  });

  test('a custom Store without the methods of 0.3 is refused at construction, naming them', () => {
    const {
      relocate: _r,
      addEvents: _a,
      ...old
    } = Object.fromEntries(Object.getOwnPropertyNames(MemoryStore.prototype).map((name) => [name, () => undefined])) as Record<
      string,
      unknown
    >;
    expect(() => resolveOptions({ database: old as never })).toThrow(/lacks relocate, addEvents/);
  });

  test.each([
    [{ maxSessionsPerUser: 0 }, /"maxSessionsPerUser" must be a positive integer or null \(got 0\)/],
    [{ maxSessionsPerUser: 2.5 }, /"maxSessionsPerUser"/],
    [{ maxSessionsPerUser: '10' }, /"maxSessionsPerUser" must be a positive integer or null \(got "10"\)/],
    [{ maxSessionsPerUser: Infinity }, /"maxSessionsPerUser"/],
    [{ noStore: 'yes' }, /"noStore" must be a boolean or a function/],
    [{ noStore: null }, /"noStore"/],
    [{ policy: { expireAfter: 900 } }, /option "policy" must be a function \(\{ userId, ctx \}\) =>/],
    [{ ipPrivacy: 'anonymize' }, /option "ipPrivacy" must be "full" or "truncate" \(got "anonymize"\)/],
    [{ historyRetention: '90d' }, /"historyRetention"/],
    [{ geoip: './GeoLite2-City.mmdb' }, /option "geoip" must be \{ database/],
    [{ geoip: { database: '/missing/GeoLite2-City.mmdb' } }, /cannot read the database file/],
    [{ locate: { url: 'https://geo.example' } }, /option "locate" must be a function/],
  ])('%j throws a TypeError naming the option', (options, message) => {
    expect(() => resolveOptions({ database, ...(options as object) })).toThrow(TypeError);
    expect(() => resolveOptions({ database, ...(options as object) })).toThrow(message);
  });

  test('maxSessionsPerUser: null is no cap; noStore false or a function', () => {
    expect(resolveOptions({ database, maxSessionsPerUser: null }).maxSessionsPerUser).toBeNull();
    expect(resolveOptions({ database, noStore: false }).noStore).toBe(false);
    const rule = () => true;
    expect(resolveOptions({ database, noStore: rule }).noStore).toBe(rule);
    expect(resolveOptions({ database, noStore: true }).noStore).toBe('authenticated-html');
  });

  test('touchInterval follows a small expireAfter', () => {
    expect(resolveOptions({ database, warnAfter: 2, expireAfter: 4 }).policy.touchIntervalMs).toBe(200);
  });

  test('the policy is whole milliseconds (the sweep compares whole milliseconds), the throttle rounded up', () => {
    const { policy } = resolveOptions({ database, warnAfter: 1.0001, expireAfter: 30.0004, maxAge: 3600.0006, touchInterval: 1e-7 });
    expect(policy).toEqual({ expireAfterMs: 30_000, touchIntervalMs: 1, maxAgeMs: 3_600_001 });
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
    [{ apiPrefix: 'session' }, TypeError, /"apiPrefix"/],
    [{ apiPrefix: '/session/' }, TypeError, /"apiPrefix"/],
    [{ prefix: '/session' }, TypeError, /option "prefix" is now called "apiPrefix"/],
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
    expect(() => resolveOptions({ database, ...(bad as object) })).toThrow(type);
    expect(() => resolveOptions({ database, ...(bad as object) })).toThrow(message);
  });

  test('a maxAge not longer than expireAfter is allowed, with a process warning (the idle limit would never apply)', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      resolveOptions({ database, warnAfter: 10, expireAfter: 40, maxAge: 5 });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/maxAge \(5s\) is not longer than expireAfter \(40s\)/), {
        code: 'SESSIONWATCH_SHORT_MAX_AGE',
      });
      warn.mockClear();
      resolveOptions({ database, warnAfter: 10, expireAfter: 40, maxAge: 3600 });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
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

  test.each([
    ['expireAftr', 'expireAfter'],
    ['warnafter', 'warnAfter'],
    ['datbase', 'database'],
    ['sweepIntreval', 'sweepInterval'],
    ['loger', 'logger'],
  ])('the unknown option %j throws a TypeError naming it and suggesting %j', (key, suggestion) => {
    const create = () => createSessionWatch({ database, [key]: 1 });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(`sessionwatch: unknown option ${JSON.stringify(key)} (did you mean ${JSON.stringify(suggestion)}?)`);
  });

  test('an unknown option far from every known one lists the known ones', () => {
    expect(() => resolveOptions({ database, colour: 'blue' } as never)).toThrow(
      /unknown option "colour" \(known options: database, schema, .*now\)/,
    );
  });

  test('values are quoted the way the client quotes them (JSON for strings)', () => {
    expect(() => resolveOptions({ database, warnAfter: '30' as never })).toThrow('(got "30")');
    expect(() => resolveOptions({ database, apiPrefix: 'session' })).toThrow('(got "session")');
    expect(() => resolveOptions({ database, tableName: 3 as never })).toThrow('(got 3)');
  });

  describe('database', () => {
    let cwd: string;
    const before = process.cwd();
    beforeEach(() => {
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-options-'));
      process.chdir(cwd);
    });
    afterEach(() => {
      process.chdir(before);
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    test.each([
      'postgress://user@localhost/db',
      'mysql://user@localhost/db',
      'not a url',
      './data/sessions.sqlite',
      'file:./data/sessions.sqlite',
      ':memory:',
      'sqlite:',
      'sqlite://host/sessions.sqlite',
      'postgres://',
      'https://example.com/db',
    ])('%j throws a TypeError at construction and touches no disk', (url) => {
      const create = () => createSessionWatch({ database: url, sweepInterval: 0 });
      expect(create).toThrow(TypeError);
      expect(create).toThrow(/option "database"/);
      expect(process.cwd()).toBe(fs.realpathSync(cwd));
      expect(fs.readdirSync(cwd)).toEqual([]);
    });

    test('a password in a refused URL is not repeated in the message', () => {
      expect(() => resolveOptions({ database: 'postgress://me:secret@db/app' })).toThrow(/postgress:\/\/me:\*\*\*@db\/app/);
      expect(() => resolveOptions({ database: 'postgress://me:secret@db/app' })).not.toThrow(/secret/);
    });

    test.each([
      ['sqlite::memory:', null],
      ['sqlite:./data/sessions.sqlite', 'data/sessions.sqlite'],
      ['sqlite:nested/dir/s.sqlite', 'nested/dir/s.sqlite'],
    ])('%j is accepted and opens where documented', async (url, file) => {
      const sw = createSessionWatch({ database: url, sweepInterval: 0 });
      try {
        await sw.migrate();
        expect(await sw.listSessions('nobody')).toEqual([]);
        if (file) expect(fs.existsSync(path.join(cwd, file))).toBe(true);
        else expect(fs.readdirSync(cwd)).toEqual([]);
      } finally {
        await sw.close();
      }
    });

    test('absolute SQLite paths: sqlite:/abs and sqlite:///abs', async () => {
      for (const url of [`sqlite:${path.join(cwd, 'a.sqlite')}`, `sqlite://${path.join(cwd, 'b.sqlite')}`]) {
        const sw = createSessionWatch({ database: url, sweepInterval: 0 });
        await sw.migrate();
        await sw.close();
      }
      expect(
        fs
          .readdirSync(cwd)
          .filter((f) => f.endsWith('.sqlite'))
          .sort(),
      ).toEqual(['a.sqlite', 'b.sqlite']);
    });

    test('a Knex instance and a Store are accepted', async () => {
      const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
      const sw = createSessionWatch({ database: knex, sweepInterval: 0 });
      await sw.close();
      expect(() => createSessionWatch({ database: new MemoryStore(), sweepInterval: 0 })).not.toThrow();
    });
  });

  test('logger must have an error method; false silences', () => {
    expect(() => resolveOptions({ database, logger: {} as never })).toThrow(/option "logger"/);
    expect(() => resolveOptions({ database, logger: false }).logger.error('x')).not.toThrow();
    expect(resolveOptions({ database }).logger).toBe(console);
  });

  test('trusted origins are normalised', () => {
    expect([...resolveOptions({ database, trustedOrigins: ['https://app.example.com/'] }).trustedOrigins]).toEqual([
      'https://app.example.com',
    ]);
  });

  test('policy: a function, kept as given; the global limits it starts from, touchInterval only when given', () => {
    const policy = () => ({ expireAfter: 900 });
    expect(resolveOptions({ database, policy })).toMatchObject({
      sessionPolicy: policy,
      globalLimits: { warnAfter: 1740, expireAfter: 1800, maxAge: null, touchInterval: undefined },
    });
    expect(resolveOptions({ database, touchInterval: 0, maxAge: 3600 }).globalLimits).toMatchObject({ touchInterval: 0, maxAge: 3600 });
  });
});
