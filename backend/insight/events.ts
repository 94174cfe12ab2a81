/**
 * The security log's entries: made from a session's record when it signs in or ends, and shown
 * to the server API (`sw.history`) and over HTTP (`GET {apiPrefix}/history`).
 */
import type {
  AdminSecurityEvent,
  DeviceType,
  EndReason,
  Location,
  NamedVersion,
  RevokedBy,
  SecurityEvent,
  SecurityEventType,
} from '../../shared/protocol';
import type { SecurityEventRecord, SessionRecord } from '../store/types';
import { browserOf } from '../tracking/records';
import { newPublicId } from '../tracking/tokens';

/** The log's type of an end. */
export const EVENT_OF_END: Record<EndReason, SecurityEventType> = {
  'logged-out': 'logout',
  expired: 'expired',
  revoked: 'revoked',
  lost: 'lost',
};

/** Who revoked a session, as recorded: the kind, and the session (and user) that did it. */
export interface Actor {
  by: RevokedBy;
  sessionId: string | null;
  userId: string | null;
}

/** The actor of revoking `target` from a request whose live session is `caller` (none: the server). */
export function actorOf(target: Pick<SessionRecord, 'id' | 'userId'>, caller: Pick<SessionRecord, 'id' | 'userId'> | undefined): Actor {
  if (!caller) return { by: 'server', sessionId: null, userId: null };
  if (caller.id === target.id) return { by: 'self', sessionId: null, userId: null };
  if (caller.userId === target.userId) return { by: 'other-session', sessionId: caller.id, userId: null };
  return { by: 'admin', sessionId: caller.id, userId: caller.userId };
}

/** A new entry about `record`'s session, at `at`. */
export function eventOf(
  record: SessionRecord,
  type: SecurityEventType,
  at: number,
  extra: { actor?: Actor; newDevice?: boolean } = {},
): SecurityEventRecord {
  return {
    id: newPublicId(),
    userId: record.userId,
    type,
    at,
    sessionId: record.id,
    ip: record.ip,
    location: record.location,
    browserName: record.browserName,
    browserVersion: record.browserVersion,
    osName: record.osName,
    osVersion: record.osVersion,
    deviceType: record.deviceType,
    by: extra.actor?.by ?? null,
    actorSessionId: extra.actor?.sessionId ?? null,
    actorUserId: extra.actor?.userId ?? null,
    newDevice: extra.newDevice ?? null,
  };
}

/** A security log entry as the app sees it (`sw.history`). */
export interface HistoryEntry {
  id: string;
  userId: string;
  type: SecurityEventType;
  at: Date;
  /** The public id of the session it is about. */
  sessionId: string;
  ip: string;
  location: Location | null;
  browser: NamedVersion;
  os: NamedVersion;
  device: DeviceType;
  /** With `revoked`: who; null otherwise. */
  by: RevokedBy | null;
  /** With `revoked` by `other-session` or `admin`: the session that did it. */
  bySessionId: string | null;
  /** With `revoked` by `admin`: the administrator's user id. */
  byUserId: string | null;
  /** With `login`: a sign-in from a browser, OS and device type new to this user; null otherwise. */
  newDevice: boolean | null;
}

export function toHistoryEntry(event: SecurityEventRecord): HistoryEntry {
  return {
    id: event.id,
    userId: event.userId,
    type: event.type,
    at: new Date(event.at),
    sessionId: event.sessionId,
    ip: event.ip,
    location: event.location,
    ...browserOf(event),
    by: event.by,
    bySessionId: event.actorSessionId,
    byUserId: event.actorUserId,
    newDevice: event.newDevice,
  };
}

/** The user's HTTP view of an entry: who revoked is a kind, and one of their own sessions; never an administrator's ids. */
export function toSecurityEvent(event: SecurityEventRecord): SecurityEvent {
  return {
    id: event.id,
    type: event.type,
    at: new Date(event.at).toISOString(),
    session: event.sessionId,
    ip: event.ip,
    location: event.location,
    ...browserOf(event),
    by: event.by,
    bySession: event.by === 'other-session' ? event.actorSessionId : null,
    newDevice: event.newDevice,
  };
}

/** An administrator's HTTP view of an entry: also which administrator (user and session). */
export function toAdminSecurityEvent(event: SecurityEventRecord): AdminSecurityEvent {
  return { ...toSecurityEvent(event), bySession: event.actorSessionId, byUser: event.actorUserId };
}
