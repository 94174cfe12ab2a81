/**
 * The session state every tab keeps a copy of. The leader tab owns it: it changes the phase and
 * broadcasts the result; every tab merges activity into it. A new leader continues from its copy,
 * so closing the leader never resets the countdown.
 */
import type { EndReason } from '../shared/protocol';

/** Where the session stands, the same in every tab. */
export type Phase = 'active' | 'warning' | 'ended';

/**
 * Which server session a state belongs to, as the ping answers say: tabs tell sessions (and users)
 * apart by it. In one browser a newer session replaces an older one (one cookie jar).
 */
export interface SessionIdentity {
  /** The session's public id. */
  id: string;
  /** Its creation on the server (epoch ms): the newer session is the browser's current one. */
  createdAt: number;
  /** The server's opaque per-user tag, or null when it has none (then no two users compare equal). */
  user: string | null;
}

/** True when both are the same user, known to be (a null tag never matches). */
export function sameUser(a: SessionIdentity | null, b: SessionIdentity | null): boolean {
  return !!a && !!b && a.user !== null && a.user === b.user;
}

/** True when `incoming` is a later session than `mine` (or `mine` is not known yet). */
export function newerSession(incoming: SessionIdentity | null, mine: SessionIdentity | null): incoming is SessionIdentity {
  if (!incoming) return false;
  if (!mine) return true;
  return incoming.id !== mine.id && incoming.createdAt >= mine.createdAt;
}

export interface SharedState {
  /** Epoch ms of the newest activity seen in any tab, or reported by the server. Only grows. */
  lastActivity: number;
  /** Seconds of inactivity before the warning. */
  warnAfter: number;
  /** Seconds of inactivity before the session ends. */
  expireAfter: number;
  /** True once the settings come from the server (or from the options). */
  settingsKnown: boolean;
  phase: Phase;
  /** Why the session ended; null unless `phase` is `ended`. */
  reason: EndReason | null;
  /** Ended and the server knows it (logout answered, or the server itself said so). */
  confirmed: boolean;
  /** Epoch ms of the newest activity the server has acknowledged (0: not known yet). Only grows. */
  reported: number;
  /**
   * Epoch ms of the session's absolute end (the server's `maxAge`), whatever the activity; null
   * when there is none (or not known yet).
   */
  maxAgeEndsAt: number | null;
  /** Since when the server cannot be reached (the pings of a streak fail), or null when it can. */
  lostSince: number | null;
  /** When the server was last tried (a ping's outcome): the newest outcome wins across tabs. */
  triedAt: number;
  /** The server session this state belongs to, once a ping answered (null before). */
  session: SessionIdentity | null;
}

/** How long before the end the warning shows: the idle warning's lead time. */
function warningLeadMs(state: SharedState): number {
  return (state.expireAfter - state.warnAfter) * 1000;
}

/** When the session ends for inactivity (epoch ms), unless there is activity before. */
function idleEndAt(state: SharedState): number {
  return state.lastActivity + state.expireAfter * 1000;
}

/** True when the absolute end comes first: its warning cannot be extended by activity. */
export function atMaxAge(state: SharedState): boolean {
  return state.maxAgeEndsAt !== null && state.maxAgeEndsAt <= idleEndAt(state);
}

/** When the warning is due (epoch ms): before the idle end, or before the absolute end. */
export function warnAt(state: SharedState): number {
  const idle = state.lastActivity + state.warnAfter * 1000;
  return state.maxAgeEndsAt === null ? idle : Math.min(idle, state.maxAgeEndsAt - warningLeadMs(state));
}

/** When the session ends (epoch ms): idle for `expireAfter`, or at the absolute end. */
export function expireAt(state: SharedState): number {
  return state.maxAgeEndsAt === null ? idleEndAt(state) : Math.min(idleEndAt(state), state.maxAgeEndsAt);
}

/**
 * The phase another tab's state asks for, once its activity is merged into `mine`: an idle
 * warning holds only for the activity it was decided for (newer activity anywhere dismisses it);
 * the warning before the absolute end holds whatever the activity.
 */
export function mergePhase(mine: SharedState, incoming: SharedState): Phase {
  if (incoming.phase === 'ended' || mine.phase === 'ended') return 'ended';
  if (incoming.phase === 'warning' && (incoming.lastActivity === mine.lastActivity || atMaxAge(mine))) return 'warning';
  return mine.phase;
}

/** Whole seconds left before the session ends (0 once past, or ended). */
export function secondsLeft(state: SharedState, now: number): number {
  if (state.phase === 'ended') return 0;
  return Math.max(0, Math.ceil((expireAt(state) - now) / 1000));
}

/** A snapshot of the session as this tab sees it. */
export interface SessionWatchState {
  phase: Phase;
  /** Whole seconds before the session ends (0 once ended). */
  secondsLeft: number;
  /** True in the one tab that talks to the server. */
  isLeader: boolean;
  /** Epoch ms of the newest activity in any tab (or known to the server). */
  lastActivity: number;
  /** Why the session ended, or null. */
  reason: EndReason | null;
  /** Current settings, in seconds. */
  warnAfter: number;
  expireAfter: number;
  /**
   * Epoch ms at which the session ends unless there is activity: the idle end or the absolute end,
   * whichever comes first (`secondsLeft` counts down to it); null once ended.
   */
  endsAt: number | null;
  /** Epoch ms of the session's absolute end (the server's `maxAge`), or null when it has none. */
  maxAgeEndsAt: number | null;
  /**
   * False when the coming end is the absolute one (`maxAge`): activity and "Stay signed in"
   * cannot push it back.
   */
  canExtend: boolean;
  /** True while the server cannot be reached (network down, timeouts, 5xx answers). */
  connectionLost: boolean;
  /**
   * True while the page must be hidden: the session ended (with `relogin: 'in-place'` the tab
   * waits there for the same user to sign in again), or its end is being confirmed. False on a
   * page that never had a session (a login page: the client stopped quietly).
   */
  locked: boolean;
}

/** The public snapshot of a state. */
export function snapshot(s: SharedState, isLeader: boolean, now: number, locked = s.phase === 'ended'): SessionWatchState {
  const { phase, lastActivity, reason, warnAfter, expireAfter, maxAgeEndsAt } = s;
  return {
    phase,
    secondsLeft: secondsLeft(s, now),
    isLeader,
    lastActivity,
    reason,
    warnAfter,
    expireAfter,
    endsAt: phase === 'ended' ? null : expireAt(s),
    maxAgeEndsAt,
    canExtend: !atMaxAge(s),
    connectionLost: s.lostSince !== null,
    locked,
  };
}

function isSessionIdentity(value: unknown): value is SessionIdentity {
  const v = value as SessionIdentity;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    Number.isFinite(v.createdAt) &&
    (v.user === null || typeof v.user === 'string')
  );
}

/** Minimal shape check of a state received from another tab (messages are untrusted data). */
export function isSharedState(value: unknown): value is SharedState {
  const s = value as SharedState;
  return (
    typeof s === 'object' &&
    s !== null &&
    Number.isFinite(s.lastActivity) &&
    Number.isFinite(s.reported) &&
    Number.isFinite(s.warnAfter) &&
    Number.isFinite(s.expireAfter) &&
    (s.maxAgeEndsAt === null || Number.isFinite(s.maxAgeEndsAt)) &&
    (s.lostSince === null || Number.isFinite(s.lostSince)) &&
    Number.isFinite(s.triedAt) &&
    // Absent from clients older than the field (a deploy under way): no session known.
    (s.session == null || isSessionIdentity(s.session)) &&
    s.warnAfter > 0 &&
    s.expireAfter > s.warnAfter &&
    (s.phase === 'active' || s.phase === 'warning' || s.phase === 'ended')
  );
}
