import { isIP } from 'node:net';
import type { Context } from 'koa';
import type { DeviceType, Location, NamedVersion, SessionInfo } from '../../shared/protocol';
import type { IdpSession, SessionLimits, SessionRecord } from '../store/types';
import { MAX_USER_AGENT_LENGTH, parseUserAgent } from './user-agent';
import { hashToken, newPublicId } from './tokens';

/** A tracked session as the app sees it: no token hash, no store key. */
export interface TrackedSession {
  id: string;
  userId: string;
  /** The address it was last used from (`''` when unknown), as stored (`ipPrivacy`). */
  ip: string;
  /** Where {@link ip} is (option `geoip` or `locate`); null when unknown. */
  location: Location | null;
  /** The address of the login, as stored. */
  loginIp: string;
  userAgent: string;
  browser: SessionInfo['browser'];
  os: SessionInfo['os'];
  device: SessionInfo['device'];
  createdAt: Date;
  lastActivity: Date;
}

/** The IP recorded when the request's is not a valid IPv4 or IPv6 address. */
export const UNKNOWN_IP = '';

/** Longest IP kept: an IPv6 address with a zone index (`fe80::1%eth0`) fits the 64-character column. */
const MAX_IP_LENGTH = 64;

/**
 * The IP to record: a valid IPv4 or IPv6 address, `::ffff:203.0.113.7` (an IPv4 client of a
 * dual-stack server) shown as `203.0.113.7`, a port some proxies append dropped
 * (`203.0.113.7:51234`, `[2001:db8::1]:443`); anything else is {@link UNKNOWN_IP}. With
 * `app.proxy` the IP comes from `X-Forwarded-For`, which a client can write anything into
 * (markup, a 300-digit number): such values are never stored nor shown to the user.
 */
export function recordedIp(ip: string | undefined): string {
  const value = (ip ?? '')
    .trim()
    // Some proxies append the client's port: `203.0.113.7:51234`, `[2001:db8::1]:443`.
    .replace(/^(\d+\.\d+\.\d+\.\d+):\d{1,5}$/, '$1')
    .replace(/^\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\](?::\d{1,5})?$/, '$1')
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1')
    // The same IPv4-mapped address in hex groups: `::ffff:5102:458e` is 81.2.69.142.
    .replace(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i, (_all, high: string, low: string) => {
      const [h, l] = [parseInt(high, 16), parseInt(low, 16)];
      return `${h >> 8}.${h & 0xff}.${l >> 8}.${l & 0xff}`;
    });
  return value.length <= MAX_IP_LENGTH && isIP(value) !== 0 ? value : UNKNOWN_IP;
}

/**
 * The record of a new login, from the request that logs in; `limits`: its own, or null for the
 * global options; `where`: the address to store and its location (default: the request's, no location);
 * `idp`: the OpenID Connect sign-in it came from, if any.
 */
export function newRecord(
  ctx: Context,
  userId: string,
  token: string,
  storeKey: string | null,
  now: number,
  limits: SessionLimits | null = null,
  where: { ip: string; location: Location | null } = { ip: recordedIp(ctx.ip), location: null },
  idp: IdpSession | null = null,
): SessionRecord {
  const userAgent = (ctx.get('user-agent') || '').slice(0, MAX_USER_AGENT_LENGTH);
  return {
    id: newPublicId(),
    tokenHash: hashToken(token),
    storeKey,
    userId,
    ip: where.ip,
    location: where.location,
    loginIp: where.ip,
    userAgent,
    ...parseUserAgent(userAgent),
    createdAt: now,
    lastActivity: now,
    endedAt: null,
    endReason: null,
    limits,
    idp,
  };
}

/** What a record (or a security log entry) says of the browser: name/version pairs and the device class. */
export function browserOf(source: Pick<SessionRecord, 'browserName' | 'browserVersion' | 'osName' | 'osVersion' | 'deviceType'>): {
  browser: NamedVersion;
  os: NamedVersion;
  device: DeviceType;
} {
  return {
    browser: { name: source.browserName, version: source.browserVersion },
    os: { name: source.osName, version: source.osVersion },
    device: source.deviceType,
  };
}

/** The app-facing view of a record. */
export function toTrackedSession(record: SessionRecord): TrackedSession {
  return {
    id: record.id,
    userId: record.userId,
    ip: record.ip,
    location: record.location,
    loginIp: record.loginIp ?? record.ip,
    userAgent: record.userAgent,
    ...browserOf(record),
    createdAt: new Date(record.createdAt),
    lastActivity: new Date(record.lastActivity),
  };
}

/** The HTTP view of a record (`GET /sessions`). */
export function toSessionInfo(record: SessionRecord, currentId: string | undefined): SessionInfo {
  return {
    id: record.id,
    current: record.id === currentId,
    ip: record.ip,
    location: record.location,
    ...browserOf(record),
    createdAt: new Date(record.createdAt).toISOString(),
    lastActivity: new Date(record.lastActivity).toISOString(),
  };
}
