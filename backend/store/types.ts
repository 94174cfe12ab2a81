import type { DeviceType, EndReason, Location, RevokedBy, SecurityEventType } from '../../shared/protocol';

/**
 * A session's own time limits, resolved at login from the `policy` option and `sw.login(…, { policy })`
 * and stored on its record, so that every instance and every restart applies the same ones. Whole
 * milliseconds.
 */
export interface SessionLimits {
  warnAfterMs: number;
  expireAfterMs: number;
  /** The activity-write throttle of this session (see `touchInterval`), rounded up to whole ms. */
  touchIntervalMs: number;
  /** Absolute lifetime since login; null: none for this session, whatever the global `maxAge`. */
  maxAgeMs: number | null;
}

/**
 * The OpenID Connect sign-in a session came from (`sw.login(…, { idp })`): the provider's issuer,
 * the user's `sub` there and the provider's session id (`sid`, when the provider sends one).
 * Back-channel logout finds the sessions to end by these.
 */
export interface IdpSession {
  issuer: string;
  subject: string;
  sid: string | null;
}

/**
 * Which sessions of an OpenID provider a back-channel logout ends ({@link Store.endAllOfIdp}): a
 * `sid` (that provider session's), a `subject` (all of that provider user's), or both (both must
 * match); and only those created before `createdBefore` (epoch ms), when given: a logout token
 * never ends sign-ins made after it was issued (a replay of it included).
 */
export interface IdpMatch {
  sid?: string;
  subject?: string;
  createdBefore?: number;
}

/** One tracked session as stored. Times are UTC epoch milliseconds. */
export interface SessionRecord {
  /** Opaque public id (random), shown to users and used in the HTTP API. */
  id: string;
  /** SHA-256 (hex) of the secret token kept inside the session data. */
  tokenHash: string;
  /** The koa-session external store key, when the app uses an external store. */
  storeKey: string | null;
  userId: string;
  /**
   * The address the session was last used from (`''` when unknown), as stored (`ipPrivacy`). A
   * request from another address moves it at once (see {@link Store.relocate}).
   */
  ip: string;
  /** Where {@link ip} is; null when unknown or without a location source. */
  location: Location | null;
  /** The address of the login (records made before 0.3: null, the login was then at {@link ip}). */
  loginIp: string | null;
  userAgent: string;
  browserName: string | null;
  browserVersion: string | null;
  osName: string | null;
  osVersion: string | null;
  deviceType: DeviceType;
  createdAt: number;
  lastActivity: number;
  /** Set when the session ended (revoked or expired); logged-out records are deleted instead. */
  endedAt: number | null;
  endReason: EndReason | null;
  /** The session's own limits; null for a session without a policy (and records made before migration 002): the global options. */
  limits: SessionLimits | null;
  /** The OpenID Connect sign-in of this session; null for any other login (and records made before migration 005). */
  idp: IdpSession | null;
}

/** One entry of the security log as stored. Times are UTC epoch milliseconds. */
export interface SecurityEventRecord {
  /** Opaque id (random). */
  id: string;
  userId: string;
  type: SecurityEventType;
  at: number;
  /** Public id of the session it is about. */
  sessionId: string;
  /** The session's address then, as stored (`ipPrivacy`). */
  ip: string;
  location: Location | null;
  browserName: string | null;
  browserVersion: string | null;
  osName: string | null;
  osVersion: string | null;
  deviceType: DeviceType;
  /** With `revoked`: who; null otherwise. */
  by: RevokedBy | null;
  /** With `revoked` by `other-session` or `admin`: the session that did it. */
  actorSessionId: string | null;
  /** With `revoked` by `admin`: the administrator's user id. */
  actorUserId: string | null;
  /** With `login`: first sign-in with this browser, OS and device type (within the retention); null otherwise. */
  newDevice: boolean | null;
}

/** A page of {@link Store.listEvents}. */
export interface EventPageQuery {
  userId: string;
  limit: number;
  /** The position of the last entry of the previous page; from the newest without. */
  after?: { at: number; id: string };
  /** Only entries at or after this time (the retention, before the sweep has purged older ones). */
  since?: number;
}

/** What a browser is, for "a sign-in from a new device" ({@link Store.hasLogin}). */
export interface DeviceKey {
  browserName: string | null;
  osName: string | null;
  deviceType: DeviceType;
}

/** A page of {@link Store.listActivePage}. */
export interface ActivePageQuery {
  /** Only this user's records; all users' without. */
  userId?: string;
  limit: number;
  /** The position of the last record of the previous page; from the start without. */
  after?: { lastActivity: number; id: string };
}

/** What the expiry sweep ended and removed. */
export interface SweepResult {
  /** Records that were active and have now been ended with reason `expired`. */
  expired: SessionRecord[];
  /** Ended records older than the retention period that were deleted. */
  deleted: number;
  /** Security log entries older than `historyRetention` that were deleted. */
  purgedEvents: number;
}

/** Cut-offs for {@link Store.sweep}, as epoch milliseconds. */
export interface SweepCutoffs {
  /** Active records whose `lastActivity` is older than this are expired. */
  idleBefore: number;
  /** Active records created before this are expired (absolute lifetime); null when off. */
  createdBefore: number | null;
  /**
   * For records with their own {@link SessionLimits} (the two cut-offs above apply only to those
   * without): expired when `lastActivity + expireAfterMs + touchIntervalMs`, or `createdAt + maxAgeMs`,
   * is before this.
   */
  deadlineBefore: number;
  /** Ended records whose `endedAt` is older than this are deleted. */
  endedBefore: number;
  /** Security log entries older than this are deleted. */
  eventsBefore: number;
  /** The time recorded as `endedAt`. */
  now: number;
}

/**
 * Persistence of tracked sessions. {@link KnexStore} is the real one (SQLite, Postgres);
 * {@link MemoryStore} keeps everything in a Map for unit tests and demos.
 *
 * Every method that changes a record is atomic on its own: concurrent callers (several tabs,
 * several app instances) never lose an update or move `lastActivity` backwards.
 */
export interface Store {
  /** Creates or updates the schema. Idempotent. */
  migrate(): Promise<void>;
  insert(record: SessionRecord): Promise<void>;
  /** `fresh` asks a caching store to bypass its cache. */
  findByTokenHash(tokenHash: string, options?: { fresh?: boolean }): Promise<SessionRecord | undefined>;
  findByStoreKey(storeKey: string): Promise<SessionRecord | undefined>;
  findById(id: string): Promise<SessionRecord | undefined>;
  /** Active (not ended) records of a user, newest activity first. */
  listActive(userId: string): Promise<SessionRecord[]>;
  /**
   * One page of active records of every user (or of `userId`), newest activity first, ties by id
   * (descending): the `limit` records that come after `after` in that order (keyset paging on
   * the activity index: no offset, whatever the table's size).
   */
  listActivePage(query: ActivePageQuery): Promise<SessionRecord[]>;
  /**
   * Moves `lastActivity` forward to `at` unless it is already later (never backwards).
   * Returns the resulting `lastActivity`, or undefined when the record is missing or ended.
   */
  touch(id: string, at: number): Promise<number | undefined>;
  /**
   * Ends an active record. Returns it as it was before, or undefined when it was missing or
   * already ended (so exactly one caller wins a race).
   */
  end(id: string, reason: Exclude<EndReason, 'logged-out'>, at: number): Promise<SessionRecord | undefined>;
  /** Ends all active records of a user except `exceptId`; returns those that were ended. */
  endAllOfUser(userId: string, reason: Exclude<EndReason, 'logged-out'>, at: number, exceptId?: string): Promise<SessionRecord[]>;
  /**
   * Ends the active records signed in through `issuer` that match: with `sid`, that provider
   * session's; with `subject` only, all of that provider user's (with both, records must match
   * both), created before `match.createdBefore` when given. Returns those that were ended. Throws a
   * TypeError when neither a sid nor a subject is given: an empty match never means "every session
   * of the provider" (see `idp-match.ts`).
   */
  endAllOfIdp(issuer: string, match: IdpMatch, reason: 'revoked', at: number): Promise<SessionRecord[]>;
  /**
   * Gives the active records of a user (only `onlyId` when given) new limits (null: the global
   * options), in one atomic statement. Returns those records as they are now; ended and missing
   * ones are left alone (and not returned).
   */
  setLimits(userId: string, limits: SessionLimits | null, onlyId?: string): Promise<SessionRecord[]>;
  /**
   * Follows koa-session's external store key of an active record (a login library such as
   * passport regenerated the session after sessionwatch recorded it). False when the record is
   * missing or ended.
   */
  setStoreKey(id: string, storeKey: string | null): Promise<boolean>;
  /** Deletes a record (logout). Returns it, or undefined when it did not exist. */
  delete(id: string): Promise<SessionRecord | undefined>;
  /**
   * Moves an active record's last address (and its location) to `ip`. Returns false when the
   * record is missing or ended.
   */
  relocate(id: string, ip: string, location: Location | null): Promise<boolean>;
  /**
   * Replaces every stored address (last and login addresses, security log) by `rewrite(address)`
   * where it differs; returns how many values changed. `migrate()` runs it with
   * `ipPrivacy: 'truncate'`, so that switching it on leaves no full address behind.
   */
  rewriteAddresses(rewrite: (ip: string) => string): Promise<number>;
  /** Appends entries to the security log. */
  addEvents(events: SecurityEventRecord[]): Promise<void>;
  /** One page of a user's security log, newest first (ties by id, descending), after `after`. */
  listEvents(query: EventPageQuery): Promise<SecurityEventRecord[]>;
  /** True when the log has a `login` of `userId` at or after `since` from the same kind of browser. */
  hasLogin(userId: string, device: DeviceKey, since: number): Promise<boolean>;
  /**
   * Ends records that are past their idle or absolute deadline, deletes old ended records and
   * old security log entries.
   */
  sweep(cutoffs: SweepCutoffs): Promise<SweepResult>;
  /** Counts rows (all, or active only); for tests, benchmarks and monitoring. */
  count(options?: { activeOnly?: boolean }): Promise<number>;
  /** Releases connections. */
  close(): Promise<void>;
}
