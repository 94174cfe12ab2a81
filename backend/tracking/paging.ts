import { SESSION_LIST_LIMIT } from '../../shared/protocol';
import type { SessionRecord } from '../store/types';
import { PUBLIC_ID_PATTERN } from './tokens';

/**
 * Position of a record in the session list: the current session first (rank 0), then the others
 * (rank 1) by newest activity, ties broken by id. A cursor is the position of the last record of
 * a page (keyset paging: no offset, so ending sessions between pages never shifts the next one).
 */
interface Position {
  rank: 0 | 1;
  lastActivity: number;
  id: string;
}

/** A bad `limit` or `cursor`: the route answers it with 400. */
export class PagingError extends Error {}

function positionOf(record: SessionRecord, currentId: string | undefined): Position {
  return { rank: record.id === currentId ? 0 : 1, lastActivity: record.lastActivity, id: record.id };
}

/** List order: negative when `a` comes first. */
function compare(a: Position, b: Position): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.lastActivity !== b.lastActivity) return b.lastActivity - a.lastActivity;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function encodeCursor(position: Position): string {
  return Buffer.from(`${position.rank}.${position.lastActivity}.${position.id}`).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  const match =
    cursor.length <= 64 && /^[A-Za-z0-9_-]+$/.test(cursor)
      ? /^([01])\.(\d{1,15})\.(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
      : null;
  if (!match || !PUBLIC_ID_PATTERN.test(match[3])) throw new PagingError('cursor is not one this server returned');
  return { rank: Number(match[1]) as 0 | 1, lastActivity: Number(match[2]), id: match[3] };
}

/** Validates a page size: an integer in [1, bounds.max]; undefined is the default. */
export function pageLimit(limit: unknown, bounds: { default: number; max: number } = SESSION_LIST_LIMIT): number {
  if (limit === undefined) return bounds.default;
  const value = typeof limit === 'string' && /^\d{1,4}$/.test(limit) ? Number(limit) : limit;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > bounds.max) {
    throw new PagingError(`limit must be an integer from 1 to ${bounds.max}`);
  }
  return value;
}

/**
 * A keyset position (a time, then an id; both descending) as an opaque cursor. `kind` tells the
 * lists apart, so that a cursor of one is refused by another.
 */
function encodeKeyset(kind: 'a' | 'e', time: number, id: string): string {
  return Buffer.from(`${kind}.${time}.${id}`).toString('base64url');
}

/** The position an {@link encodeKeyset} cursor of `kind` stands for; a PagingError for anything else. */
function decodeKeyset(kind: 'a' | 'e', cursor: unknown): { time: number; id: string } {
  if (typeof cursor !== 'string') throw new PagingError('cursor must be a string');
  const match =
    cursor.length <= 64 && /^[A-Za-z0-9_-]+$/.test(cursor)
      ? /^([ae])\.(\d{1,15})\.(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
      : null;
  if (!match || match[1] !== kind || !PUBLIC_ID_PATTERN.test(match[3])) throw new PagingError('cursor is not one this server returned');
  return { time: Number(match[2]), id: match[3] };
}

/** A position in the store's activity order (newest first, ties by id), as an opaque cursor. */
export function encodeActivityCursor(record: Pick<SessionRecord, 'lastActivity' | 'id'>): string {
  return encodeKeyset('a', record.lastActivity, record.id);
}

/** The position an {@link encodeActivityCursor} cursor stands for; a PagingError for anything else. */
export function decodeActivityCursor(cursor: unknown): { lastActivity: number; id: string } {
  const { time, id } = decodeKeyset('a', cursor);
  return { lastActivity: time, id };
}

/** A position in a security log (newest first, ties by id), as an opaque cursor. */
export function encodeEventCursor(event: { at: number; id: string }): string {
  return encodeKeyset('e', event.at, event.id);
}

/** The position an {@link encodeEventCursor} cursor stands for; a PagingError for anything else. */
export function decodeEventCursor(cursor: unknown): { at: number; id: string } {
  const { time, id } = decodeKeyset('e', cursor);
  return { at: time, id };
}

/** One page of a user's records. */
export interface RecordPage {
  records: SessionRecord[];
  nextCursor: string | null;
}

/** `records` with their positions, in list order: `currentId` first, then newest activity first. */
function ordered(records: SessionRecord[], currentId: string | undefined): { record: SessionRecord; position: Position }[] {
  return records.map((record) => ({ record, position: positionOf(record, currentId) })).sort((a, b) => compare(a.position, b.position));
}

/** `records` in list order: `currentId` first, then newest activity first. */
export function sortForList(records: SessionRecord[], currentId: string | undefined): SessionRecord[] {
  return ordered(records, currentId).map(({ record }) => record);
}

/**
 * The page of `records` after `cursor` (from the start without one), `limit` long, in list
 * order (see {@link sortForList}). Throws {@link PagingError} for a bad limit or cursor.
 */
export function pageOf(records: SessionRecord[], options: { limit?: unknown; cursor?: unknown; currentId?: string }): RecordPage {
  const limit = pageLimit(options.limit);
  if (options.cursor !== undefined && typeof options.cursor !== 'string') throw new PagingError('cursor must be a string');
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const rest = ordered(records, options.currentId).filter(({ position }) => after === undefined || compare(position, after) > 0);
  const page = rest.slice(0, limit);
  const more = rest.length > limit;
  return { records: page.map(({ record }) => record), nextCursor: more ? encodeCursor(page[page.length - 1].position) : null };
}
