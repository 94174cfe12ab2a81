/**
 * The record of a login and its two views: what the app gets (`TrackedSession`) and what the HTTP
 * API shows (`SessionInfo`); neither ever carries the token hash or the store key. The IP kept is
 * a valid address or nothing.
 */
import Koa from 'koa';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { testRecord } from '../../test/support/records';
import { recordedIp, newRecord, toSessionInfo, toTrackedSession, UNKNOWN_IP } from './records';
import { hashToken, PUBLIC_ID_PATTERN } from './tokens';
import { MAX_USER_AGENT_LENGTH } from './user-agent';
import { stringMatching } from '../../test/support/matchers';

/** A Koa context of a request from `remoteAddress` with these headers. */
function contextOf(headers: Record<string, string>, remoteAddress = '127.0.0.1', proxy = false): Koa.Context {
  const app = new Koa({ proxy });
  return app.createContext({ headers, socket: { remoteAddress } } as unknown as IncomingMessage, {} as ServerResponse);
}

test('recordedIp keeps valid IPv4/IPv6 addresses, unwraps IPv4-mapped ones, refuses anything else', () => {
  expect(recordedIp('203.0.113.7')).toBe('203.0.113.7');
  expect(recordedIp('::ffff:203.0.113.7')).toBe('203.0.113.7');
  expect(recordedIp('::ffff:cb00:7107')).toBe('203.0.113.7');
  expect(recordedIp('::FFFF:CB00:7107')).toBe('203.0.113.7');
  expect(recordedIp('2001:db8::1')).toBe('2001:db8::1');
  // A port appended by a proxy is dropped.
  expect(recordedIp('203.0.113.7:51234')).toBe('203.0.113.7');
  expect(recordedIp('[2001:db8::1]:443')).toBe('2001:db8::1');
  expect(recordedIp('[2001:db8::1]')).toBe('2001:db8::1');
  expect(recordedIp('203.0.113.7:999999')).toBe(UNKNOWN_IP);
  expect(recordedIp('fe80::1%eth0')).toBe('fe80::1%eth0');
  for (const bad of [
    '',
    undefined,
    '<script>alert(1)</script>',
    '1'.repeat(300),
    '203.0.113.7, 198.51.100.1',
    '999.1.1.1',
    'localhost',
    `fe80::1%${'x'.repeat(80)}`,
  ]) {
    expect(recordedIp(bad)).toBe(UNKNOWN_IP);
  }
  expect(UNKNOWN_IP).toBe('');
});

describe('newRecord', () => {
  const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0';

  test("a live record of the login: random public id, the token's hash, the request's IP and parsed user agent", () => {
    const record = newRecord(
      contextOf({ 'user-agent': firefox }, '::ffff:203.0.113.7'),
      'alice',
      'secret-token',
      'store-key-1',
      1_700_000_000_000,
    );
    expect(record).toEqual({
      id: stringMatching(PUBLIC_ID_PATTERN),
      tokenHash: hashToken('secret-token'),
      storeKey: 'store-key-1',
      userId: 'alice',
      ip: '203.0.113.7',
      location: null,
      loginIp: '203.0.113.7',
      userAgent: firefox,
      browserName: 'Firefox',
      browserVersion: '120.0',
      osName: 'Windows',
      osVersion: '10',
      deviceType: 'desktop',
      createdAt: 1_700_000_000_000,
      lastActivity: 1_700_000_000_000,
      endedAt: null,
      endReason: null,
      limits: null,
      idp: null, // no policy: the global options
    });
    expect(JSON.stringify(record)).not.toContain('secret-token');
  });

  test('each login gets its own id; a missing user agent and an invalid IP are recorded as empty', () => {
    const ctx = contextOf({}, 'not-an-ip');
    const [a, b] = [newRecord(ctx, 'u', 't', null, 1), newRecord(ctx, 'u', 't', null, 1)];
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ ip: UNKNOWN_IP, userAgent: '', storeKey: null, browserName: null, deviceType: 'desktop' });
  });

  test(`the user agent is cut to ${MAX_USER_AGENT_LENGTH} characters`, () => {
    const long = `${firefox} ${'x'.repeat(2000)}`;
    expect(newRecord(contextOf({ 'user-agent': long }), 'u', 't', null, 1).userAgent).toBe(long.slice(0, MAX_USER_AGENT_LENGTH));
  });

  test('behind a trusted proxy the forwarded address is recorded, but only when it is an IP', () => {
    expect(newRecord(contextOf({ 'x-forwarded-for': '198.51.100.4' }, '10.0.0.1', true), 'u', 't', null, 1).ip).toBe('198.51.100.4');
    expect(newRecord(contextOf({ 'x-forwarded-for': '<b>me</b>' }, '10.0.0.1', true), 'u', 't', null, 1).ip).toBe(UNKNOWN_IP);
  });
});

describe('the views of a record', () => {
  const record = testRecord({
    id: 'A'.repeat(22),
    tokenHash: 'f'.repeat(64),
    storeKey: 'store-key',
    userId: 'alice',
    ip: '203.0.113.7',
    location: { city: 'Linköping', country: 'Sweden', countryCode: 'SE' },
    loginIp: '198.51.100.1',
    userAgent: 'UA',
    browserName: 'Firefox',
    browserVersion: '120.0',
    osName: 'Linux',
    osVersion: null,
    deviceType: 'mobile',
    createdAt: Date.UTC(2030, 0, 1),
    lastActivity: Date.UTC(2030, 0, 1, 0, 5),
  });

  test('toTrackedSession: dates, browser/OS pairs, no token hash nor store key', () => {
    expect(toTrackedSession(record)).toEqual({
      id: 'A'.repeat(22),
      userId: 'alice',
      ip: '203.0.113.7',
      location: { city: 'Linköping', country: 'Sweden', countryCode: 'SE' },
      loginIp: '198.51.100.1',
      userAgent: 'UA',
      browser: { name: 'Firefox', version: '120.0' },
      os: { name: 'Linux', version: null },
      device: 'mobile',
      createdAt: new Date('2030-01-01T00:00:00.000Z'),
      lastActivity: new Date('2030-01-01T00:05:00.000Z'),
    });
  });

  test('toSessionInfo: ISO times, whether it is the current session, nothing else about the user', () => {
    const info = toSessionInfo(record, record.id);
    expect(info).toEqual({
      id: 'A'.repeat(22),
      current: true,
      ip: '203.0.113.7',
      location: { city: 'Linköping', country: 'Sweden', countryCode: 'SE' },
      browser: { name: 'Firefox', version: '120.0' },
      os: { name: 'Linux', version: null },
      device: 'mobile',
      createdAt: '2030-01-01T00:00:00.000Z',
      lastActivity: '2030-01-01T00:05:00.000Z',
    });
    expect(toSessionInfo(record, 'another-id').current).toBe(false);
    expect(toSessionInfo(record, undefined).current).toBe(false);
    expect(JSON.stringify(info)).not.toMatch(/f{64}|store-key/);
  });
});
