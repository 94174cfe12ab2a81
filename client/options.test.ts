import { defaultPingInterval, pingIntervalMs, resolveClientOptions } from './options';
import { DEFAULT_TEXTS } from './ui/texts';

test('defaults', () => {
  const o = resolveClientOptions();
  expect(o).toMatchObject({
    apiPrefix: '/session',
    settings: null,
    pingIntervalMs: null,
    pingTimeoutMs: 10_000,
    activityIntervalMs: 500,
    ui: true,
    lock: true,
    drafts: null,
    onEnd: null,
    watchFetch: false,
    transport: null,
    election: { responseTime: 100, fallbackInterval: 500 },
  });
  expect(o.texts).toBe(DEFAULT_TEXTS);
  expect(o.channelName).toBe('sessionwatch||/session');
  expect(o.endUrl('expired', '/form?x=1')).toBe('/?next=%2Fform%3Fx%3D1&reason=expired');
});

test('the ping interval defaults to min(60, warnAfter / 4)', () => {
  expect(defaultPingInterval(3)).toBe(0.75);
  expect(defaultPingInterval(1740)).toBe(60);
  expect(pingIntervalMs(resolveClientOptions(), 40)).toBe(10_000);
  expect(pingIntervalMs(resolveClientOptions({ pingInterval: 2 }), 40)).toBe(2000);
});

test('headless mode also drops the lock screen unless asked for', () => {
  expect(resolveClientOptions({ ui: false })).toMatchObject({ ui: false, lock: false });
  expect(resolveClientOptions({ ui: false, lock: true })).toMatchObject({ ui: false, lock: true });
});

test('drafts: true, a selector, or an object', () => {
  expect(resolveClientOptions({ drafts: true }).drafts).toEqual({ selector: 'form', owner: null });
  expect(resolveClientOptions({ drafts: '#editor' }).drafts).toEqual({ selector: '#editor', owner: null });
  expect(resolveClientOptions({ drafts: { owner: 'u1' } }).drafts).toEqual({ selector: 'form', owner: 'u1' });
  expect(resolveClientOptions({ drafts: false }).drafts).toBeNull();
});

test('texts are merged over the defaults', () => {
  const countdown = (s: number) => `${s}s`;
  const { texts } = resolveClientOptions({ texts: { stay: 'Rester connecté', countdown } });
  expect(texts.stay).toBe('Rester connecté');
  expect(texts.countdown).toBe(countdown);
  expect(texts.logout).toBe(DEFAULT_TEXTS.logout);
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
  [{ pingTimeout: Infinity }, RangeError, /"pingTimeout"/],
  [{ apiPrefix: 'session' }, TypeError, /"apiPrefix"/],
  [{ ui: 'yes' }, TypeError, /"ui" must be true or false/],
  [{ onEnd: 'home' }, TypeError, /"onEnd" must be a function/],
  [{ texts: { stay: 42 } }, TypeError, /"texts.stay" must be a string/],
  [{ texts: { countdown: 'soon' } }, TypeError, /"texts.countdown" must be a function/],
  [{ texts: { nope: 'x' } }, TypeError, /"texts.nope"/],
  [{ drafts: 3 }, TypeError, /"drafts"/],
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

test('nonce: a non-empty string', () => {
  expect(resolveClientOptions({ nonce: 'r4nd0m' }).nonce).toBe('r4nd0m');
  expect(() => resolveClientOptions({ nonce: '' })).toThrow('option "nonce" must be a non-empty string');
});

test('a misspelt option is refused, naming the closest one, like the server does', () => {
  expect(() => resolveClientOptions({ expireAftr: 60 } as never)).toThrow(
    new TypeError('sessionwatch: unknown option "expireAftr" (did you mean "expireAfter"?)'),
  );
  expect(() => resolveClientOptions({ election: { responsetime: 5 } } as never)).toThrow(
    'unknown option "responsetime" (did you mean "responseTime"?)',
  );
  expect(() => resolveClientOptions({ drafts: { selectr: 'form' } } as never)).toThrow('did you mean "selector"?');
  // The server's option was called `prefix` before 0.2.0: a part of the name still finds it.
  expect(() => resolveClientOptions({ prefix: '/auth' } as never)).toThrow('unknown option "prefix" (did you mean "apiPrefix"?)');
});
