import { keepDrafts } from './drafts';
import { defaultPingInterval, pingIntervalMs, resolveClientOptions } from './options';
import type { SessionWatchDrafts, SessionWatchUi } from './plugins';
import { defaultUi } from './ui';

const ui = (locks: boolean): SessionWatchUi => ({ locks, views: () => ({ warning: null, notice: null, lock: null }) });

test('defaults', () => {
  const o = resolveClientOptions();
  expect(o).toMatchObject({
    apiPrefix: '/session',
    settings: null,
    pingIntervalMs: null,
    pingTimeoutMs: 10_000,
    activityIntervalMs: 500,
    activityOnVisible: false,
    ui: null,
    drafts: null,
    relogin: 'navigate',
    onEnd: null,
    watchFetch: false,
    transport: null,
    election: { responseTime: 100, fallbackInterval: 500 },
  });
  expect(o.channelName).toBe('sessionwatch||/session');
  expect(o.endUrl('expired', '/form?x=1')).toBe('/?next=%2Fform%3Fx%3D1&reason=expired');
});

test('the ping interval defaults to min(60, warnAfter / 4)', () => {
  expect(defaultPingInterval(3)).toBe(0.75);
  expect(defaultPingInterval(1740)).toBe(60);
  expect(pingIntervalMs(resolveClientOptions(), 40)).toBe(10_000);
  expect(pingIntervalMs(resolveClientOptions({ pingInterval: 2 }), 40)).toBe(2000);
});

test('an explicit ping interval longer than half of warnAfter is cut to that (else every tab pings at every activity)', () => {
  expect(pingIntervalMs(resolveClientOptions({ pingInterval: 5000 }), 30)).toBe(15_000);
  expect(pingIntervalMs(resolveClientOptions({ pingInterval: 15 }), 30)).toBe(15_000);
});

test('headless by default; the ui and drafts plug-ins are taken as given', () => {
  const drafts: SessionWatchDrafts = { keeper: () => ({ save: () => 0, restore: () => 0, discard() {}, watch() {}, unwatch() {} }) };
  const withUi = ui(true);
  expect(resolveClientOptions({ ui: withUi, drafts })).toMatchObject({ ui: withUi, drafts });
  expect(resolveClientOptions({ ui: false, drafts: false })).toMatchObject({ ui: null, drafts: null });
});

test('re-login in place is the default with a UI that locks the page, and no onEnd', () => {
  expect(resolveClientOptions({ ui: ui(true) }).relogin).toBe('in-place');
  expect(resolveClientOptions({ ui: ui(false) }).relogin).toBe('navigate');
  expect(resolveClientOptions({ ui: ui(true), onEnd: () => undefined }).relogin).toBe('navigate');
  expect(resolveClientOptions({ relogin: 'in-place' }).relogin).toBe('in-place');
});

test('endUrl keeps a login URL with its own query', () => {
  expect(resolveClientOptions({ loginUrl: '/login?lang=fr' }).endUrl('revoked', '/')).toBe('/login?lang=fr&next=%2F&reason=revoked');
  const custom = (reason: string) => `/bye/${reason}`;
  expect(resolveClientOptions({ endUrl: custom }).endUrl).toBe(custom);
});

test.each([
  [{ warnAfter: '30', expireAfter: 60 }, TypeError, /"warnAfter" must be a number/],
  [{ warnAfter: -1, expireAfter: 60 }, RangeError, /"warnAfter" must be a positive/],
  [{ warnAfter: 60, expireAfter: 60 }, RangeError, /"warnAfter" \(60\) must be less than "expireAfter"/],
  [{ warnAfter: 30 }, TypeError, /"warnAfter" and "expireAfter" must be given together/],
  [{ pingInterval: 0 }, RangeError, /"pingInterval"/],
  [
    { warnAfter: 30, expireAfter: 60, pingInterval: 5000 },
    RangeError,
    /"pingInterval" \(5000\) must be at most half of "warnAfter" \(30\); both are in seconds/,
  ],
  [{ pingTimeout: Infinity }, RangeError, /"pingTimeout"/],
  [{ apiPrefix: 'session' }, TypeError, /"apiPrefix"/],
  [{ ui: true }, TypeError, /"ui" must be defaultUi\(\) \(sessionwatch\/client\/ui\) or false \(got true\)/],
  [{ ui: {} }, TypeError, /"ui" must be defaultUi\(\)/],
  [{ onEnd: 'home' }, TypeError, /"onEnd" must be a function/],
  [{ drafts: true }, TypeError, /"drafts" must be keepDrafts\(\) \(sessionwatch\/client\/drafts\) or false/],
  [{ drafts: '#editor' }, TypeError, /"drafts" must be keepDrafts\(\)/],
  [{ election: 5 }, TypeError, /"election" must be an object/],
  [{ transport: {} }, TypeError, /"transport"/],
  [{ election: { responseTime: -5 } }, RangeError, /"election.responseTime" must be a positive finite number of milliseconds/],
])('rejects %p', (options, Kind, message) => {
  expect(() => resolveClientOptions(options as never)).toThrow(Kind);
  expect(() => resolveClientOptions(options as never)).toThrow(message);
});

test('rejects a non-object', () => {
  expect(() => resolveClientOptions(null as never)).toThrow(TypeError);
});

test('the default end URL never sends the user back to the login page itself, nor nests `next`', () => {
  const { endUrl } = resolveClientOptions({ loginUrl: '/login' });
  expect(endUrl('expired', '/orders?id=3')).toBe('/login?next=%2Forders%3Fid%3D3&reason=expired');
  expect(endUrl('expired', '/login')).toBe('/login?reason=expired');
  expect(endUrl('expired', '/login?next=%2Forders&reason=revoked')).toBe('/login?reason=expired');
});

test('a misspelt option is refused, naming the closest one, like the server does', () => {
  expect(() => resolveClientOptions({ expireAftr: 60 } as never)).toThrow(
    new TypeError('sessionwatch: unknown option "expireAftr" (did you mean "expireAfter"?)'),
  );
  expect(() => resolveClientOptions({ election: { responsetime: 5 } } as never)).toThrow(
    'unknown option "responsetime" (did you mean "responseTime"?)',
  );
  // The server's option was called `prefix` before 0.2.0: a part of the name still finds it.
  expect(() => resolveClientOptions({ prefix: '/auth' } as never)).toThrow('unknown option "prefix" (did you mean "apiPrefix"?)');
});

test('a plug-in factory given without calling it says to call it, without dumping its source', () => {
  expect(() => resolveClientOptions({ ui: defaultUi } as never)).toThrow(
    new TypeError(
      'sessionwatch: option "ui" must be defaultUi() (sessionwatch/client/ui) or false (got a function: call it, e.g. defaultUi())',
    ),
  );
  expect(() => resolveClientOptions({ drafts: keepDrafts } as never)).toThrow(
    new TypeError(
      'sessionwatch: option "drafts" must be keepDrafts() (sessionwatch/client/drafts) or false (got a function: call it, e.g. keepDrafts())',
    ),
  );
  // Any other function is described as one too, never by its source.
  expect(() => resolveClientOptions({ transport: () => 'secret source' } as never)).toThrow(
    'option "transport" must be an object with ping() and logout() (got a function)',
  );
  // Called, they are taken.
  expect(resolveClientOptions({ ui: defaultUi(), drafts: keepDrafts() })).toMatchObject({ ui: { locks: true }, drafts: {} });
});

test.each(['lock', 'texts', 'nonce'])('%s, an option of sessionwatch/client, is unknown to the core: it goes into defaultUi()', (key) => {
  const value = { lock: false, texts: { stay: 'Keep working' }, nonce: 'abc' }[key];
  expect(() => resolveClientOptions({ ui: defaultUi(), [key]: value })).toThrow(
    new TypeError(
      `sessionwatch: unknown option "${key}" (it goes into ui: defaultUi({ lock, texts, nonce }), from sessionwatch/client/ui)`,
    ),
  );
});

test("drafts: true or a selector on the core keeps its message: the value is keepDrafts()'s", () => {
  expect(() => resolveClientOptions({ drafts: true } as never)).toThrow(
    new TypeError('sessionwatch: option "drafts" must be keepDrafts() (sessionwatch/client/drafts) or false (got true)'),
  );
  expect(() => resolveClientOptions({ drafts: '#editor' } as never)).toThrow(
    new TypeError('sessionwatch: option "drafts" must be keepDrafts() (sessionwatch/client/drafts) or false (got "#editor")'),
  );
});

test('the default end URL carries `next` as one path of the origin, whatever it is given (safeNextPath)', () => {
  const { endUrl } = resolveClientOptions({ loginUrl: '/login' });
  // The page https://app.example//evil.example/x: its path, not another host.
  expect(endUrl('revoked', '//evil.example/x')).toBe('/login?next=%2Fevil.example%2Fx&reason=revoked');
  expect(endUrl('revoked', '/\\evil.example')).toBe('/login?next=%2F&reason=revoked');
  expect(endUrl('revoked', '/\t/evil.example')).toBe('/login?next=%2F&reason=revoked');
});

test('loginPage: false by default (a page of the session on loginUrl too), true as given, anything else refused', () => {
  expect(resolveClientOptions({ loginUrl: '/' }).loginPage).toBe(false);
  expect(resolveClientOptions({ loginPage: true }).loginPage).toBe(true);
  expect(() => resolveClientOptions({ loginPage: 'yes' as never })).toThrow(/loginPage/);
});

test('activityOnVisible: off by default (a tab coming into view is no activity), true as given, anything else refused', () => {
  expect(resolveClientOptions().activityOnVisible).toBe(false);
  expect(resolveClientOptions({ activityOnVisible: true }).activityOnVisible).toBe(true);
  expect(() => resolveClientOptions({ activityOnVisible: 1 as never })).toThrow(/activityOnVisible/);
});
