/**
 * Session records for store and policy tests: every field set, unique ids and token hashes, and
 * times that increase from one record to the next unless given.
 */
import { randomBytes } from 'node:crypto';
import type { SessionRecord } from '../../backend';

let counter = 0;

/** A live record of user `u1` (desktop Firefox on Linux), with `overrides` applied. */
export function testRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  counter++;
  return {
    id: randomBytes(16).toString('base64url'),
    tokenHash: randomBytes(32).toString('hex'),
    storeKey: null,
    userId: 'u1',
    ip: '127.0.0.1',
    location: null,
    loginIp: '127.0.0.1',
    userAgent: 'test',
    browserName: 'Firefox',
    browserVersion: '120.0',
    osName: 'Linux',
    osVersion: null,
    deviceType: 'desktop',
    createdAt: 1_000_000 + counter,
    lastActivity: 1_000_000 + counter,
    endedAt: null,
    endReason: null,
    limits: null,
    idp: null,
    ...overrides,
  };
}
