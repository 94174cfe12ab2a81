/**
 * The state machine of one tab, as pure functions: `step(state, event, now)` returns the next state
 * and the effects to perform; `nextWake(state)` says when to call `step` with a `tick` if nothing
 * else happens. No timers, no I/O, no DOM: the controller performs the effects and feeds back their
 * outcomes as events, so every case (a frozen leader, a thawed tab, a crash, no network) is a
 * sequence of events that a test can replay.
 *
 * The rules, in short:
 * - Every tab keeps a copy of the {@link SharedState}; merging is monotonic (activity only grows,
 *   `ended` is final, a warning holds only for the activity it was decided for).
 * - One tab leads and talks to the server: it pings within a ping interval of new activity, asks
 *   the server before the warning and at the deadline, and checks an idle session every
 *   `checkInterval` (to learn of a revocation).
 * - Nobody trusts the leader blindly. Every ping is announced (`ping` message: what it carried and
 *   when the next one is due). A follower that knows of activity no ping has carried by then (plus
 *   a grace), or whose nudge at a deadline got no answer, **takes over**: it pings itself and claims
 *   the leadership (a higher term; Web Locks `steal` where available). A leader that hears of a
 *   higher term steps down. So a frozen, busy or crashed leader costs at most a grace period.
 * - A tab that wakes up (resumed, restored, or its timers fired late) says hello and waits
 *   {@link SYNC_MS} for the others' state before it warns, locks or ends anything; warnings and
 *   ends are decided with the server's answer.
 */
import type { EndReason } from '../shared/protocol';
import { atMaxAge, expireAt, mergePhase, newerSession, sameUser, warnAt, type SharedState } from './state';
import { backoffDelay } from './timers';
import type { PingResult } from './transport';

/**
 * A new leader waits this long before its first ping, for the last words of the leader before it:
 * an ending leader's "ended" travels by BroadcastChannel and its lock by Web Locks, in no set order,
 * and a ping sent before the "ended" arrives would be a second tab asking the server.
 */
export const ELECTED_SETTLE_MS = 250;
/** A locked tab waiting in place asks the server at most this often when the user comes back to it. */
export const STANDBY_CHECK_MS = 1000;
/** A follower waits this long past the leader's due time before it takes over. */
export const TAKEOVER_GRACE_MS = 1500;
/**
 * The promise to the server: activity a silent leader did not act on is pinged by another tab
 * within this long (a grace, and half a second for timers and messages) of the leader's due time.
 */
export function takeoverBoundMs(pingIntervalMs: number): number {
  return pingIntervalMs + TAKEOVER_GRACE_MS + 500;
}
/** After waking up, a tab takes this long to hear the others before acting on its deadlines. */
export const SYNC_MS = 500;
/** A timer that fires this much later than asked means the tab was frozen, suspended or busy. */
export const LATE_MS = 3000;
/** Longest wait for the server's opinion before showing the warning anyway (it is only a warning). */
export const WARN_CHECK_MAX_WAIT_MS = 1000;
/** Longest wait between two retries of a failed request. */
export const MAX_BACKOFF_MS = 60_000;
/**
 * Server activity less than this much newer than ours is one ping's network latency (the server
 * merges `its now - idleFor`), not activity: adopting it would only shift the countdown.
 */
export const SERVER_TOLERANCE_MS = 1000;

/** A tab's promise to ping newer activity by `nextBy`, made at `at` (epoch ms; absent from clients before 0.3). */
export interface PingPromise {
  nextBy: number;
  at?: number;
}

/** What tabs tell each other. Every tab hears every message but its own. */
export type TabMessage =
  /** A tab starts or wakes up: every tab answers with its state. */
  | { type: 'hello'; at: number }
  /** Activity seen in a tab (throttled); `extend` ("Stay signed in") asks the leader to ping now. */
  | { type: 'activity'; at: number; extend?: boolean }
  /**
   * A tab's state: after a ping's answer, a change of phase, or to answer a hello or a nudge; with
   * the newest activity a ping carried (`sent`) and the promise of the tab that pings.
   */
  | ({ type: 'state'; state: SharedState; sent: number; from: Sender } & PingPromise)
  /** A tab sent a ping carrying `activity`, and promises to ping newer activity. */
  | ({ type: 'ping'; activity: number; from: Sender } & PingPromise)
  /** A follower passed a deadline: the leader re-checks (its timers may be throttled) and answers. */
  | { type: 'nudge' }
  /** The leader's page goes away: the followers that do not wait for the leadership wait for it now (`Tabs.wait`). */
  | { type: 'bye' }
  /**
   * The session ended; `confirmed` once the server knows (then tabs leave the page, or wait in
   * place). `session`: which one (a tab of a later session ignores it).
   */
  | { type: 'end'; reason: EndReason; confirmed: boolean; session?: string | null; endedAt?: number };

/** Who sent a `state` or `ping`: its tab id, whether it leads, and the highest leader term it knows. */
export interface Sender {
  tab: string;
  leader: boolean;
  term: number;
}

/** Settings of the machine (from the client options). */
export interface MachineConfig {
  /** Ping interval for the given `warnAfter` (seconds), in ms. */
  pingIntervalMs(warnAfter: number): number;
  /** Ping an idle session this often (ms) to learn of a revocation; null: never. */
  checkIntervalMs: number | null;
  /** Settings fixed by the options: the server's are not adopted. */
  fixedSettings: boolean;
  /** When this page was loaded (epoch ms): a session that ended before never was live here. */
  loadedAt: number;
  /**
   * Re-login in place: an end other than `logged-out` keeps the page, locked, until the same user
   * signs in again (see {@link TabState.standby}); otherwise the tab leaves (`finish`).
   */
  inPlace: boolean;
  /**
   * This page is the login page (the `loginPage` option): no page of the session, whatever
   * the browser's session is. The tab stops quietly at start (see {@link TabState.quiet}), so a
   * live session never warns or locks over the login form, and the login form's activity never
   * keeps the session alive.
   */
  loginPage: boolean;
}

/** A ping this tab has sent and not yet had the answer of. */
export interface Flight {
  sentAt: number;
  /** The activity it carried (`sentAt - idleFor`). */
  activity: number;
  /** Seconds of inactivity it reported. */
  idleFor: number;
}

/** Everything one tab knows. */
export interface TabState {
  /** This tab's id (random, for tie-breaks between leaders). */
  readonly id: string;
  shared: SharedState;
  running: boolean;
  leader: boolean;
  /** Highest leader term known; a tab that becomes leader takes the next one. */
  term: number;
  /** Newest activity some tab's ping carried. */
  sent: number;
  /** When the tab that pings last promised to ping newer activity at the latest (epoch ms). */
  nextPingBy: number;
  /** When it made that promise (epoch ms). */
  promisedAt: number;
  /** When the network last came back after a lost connection (a `wake` with `online`); see `heldPromise`. */
  onlineAt: number;
  /** Since when this tab knows of activity no ping has carried (follower watchdog), or null. */
  unreportedSince: number | null;
  /** Newest activity seen in this tab itself (its user is here: it takes over first). */
  localActivity: number;
  /** Newest activity of its own this tab told the others (see `tellActivity`). */
  told: number;
  /** Deadline instant (warn or expiry) this follower already nudged the leader for. */
  nudgedFor: number | null;
  /** A sign of the leader is expected by then (after a nudge), or null. */
  answerBy: number | null;
  /** When this tab last took over (at most once per grace period). */
  tookOverAt: number;
  /** Re-syncing after a wake-up: no deadline acts before then. */
  syncUntil: number;
  flight: Flight | null;
  /** Ping again as soon as the flight lands (an extend during a flight). */
  pingAgain: boolean;
  lastPingAt: number;
  /** A new leader's first ping is due then (see {@link ELECTED_SETTLE_MS}), or null. */
  electedPingAt: number | null;
  failures: number;
  retryAt: number;
  /** Leader, at the warning: waiting for the server's answer until then, or null. */
  warnCheckUntil: number | null;
  /** Leader, at the deadline: asking the server since then (only a ping sent since counts), or null. */
  expiryCheckSince: number | null;
  /** When the last step asked to be woken (see {@link nextWake}), or null: much later means this tab was frozen. */
  dueAt: number | null;
  /** The page is hidden pending a verdict: at the deadline, or during a logout. */
  pendingLock: 'deadline' | 'logout' | null;
  loggingOut: boolean;
  /** Ended, not yet confirmed: a confirmation request is out, and the next is due at `confirmAt`. */
  confirming: boolean;
  confirmFailures: number;
  confirmAt: number;
  finished: boolean;
  /**
   * Ended in place: the page stays locked, out of the election and silent, until a later session
   * of the same user shows up (another tab's state, or this tab's own check on `resume`).
   */
  standby: boolean;
  /** In stand-by: the check asked for within {@link STANDBY_CHECK_MS} of the last one is due then, or null. */
  standbyCheckAt: number | null;
  /** Stopped quietly: a page that never had a session (nothing locked, nothing to sign in again to). */
  quiet: boolean;
}

/** What happens to a tab. Times are epoch ms. */
export type MachineEvent =
  | { type: 'start' }
  | { type: 'stop' }
  /**
   * Activity in this tab (the page's tracker); `viewOnly`: only the tab coming into view
   * (`activityOnVisible`), no input: activity, but no sign that the user is in this tab (windows
   * restored together all come into view at once: none of them stands in for the leader).
   */
  | { type: 'activity'; at: number; viewOnly?: boolean }
  /** "Stay signed in". */
  | { type: 'extend' }
  /** The user asks to log out. */
  | { type: 'logout' }
  | { type: 'elected' }
  /** The leadership was taken away (stolen lock). */
  | { type: 'demoted' }
  | { type: 'message'; message: TabMessage }
  /** The timer asked for by {@link nextWake} fired. */
  | { type: 'tick' }
  /**
   * The page came back: resumed, shown, focused, back online, or restored from the back/forward
   * cache (`restored`: ask the server at once, whatever the role).
   */
  | { type: 'wake'; restored?: boolean; online?: boolean }
  /** A ping's outcome; `jitter` in [0, 1) spreads retries. */
  | { type: 'pinged'; flight: Flight; result: PingResult; jitter: number }
  /**
   * A logout's outcome; `ended`: the session had already ended on the server, for this reason
   * (the answer said so).
   */
  | { type: 'loggedOut'; ok: boolean; ended?: EndReason; jitter: number }
  /**
   * A response of the app announced the end (`watchFetch`): `confirmed` by sessionwatch's
   * `Session-Ended` header, or only by a 401 body (which the server is asked about).
   */
  | { type: 'ended'; reason: EndReason; confirmed: boolean }
  /** The app's own login UI succeeded (or the user says so): a locked tab asks the server now. */
  | { type: 'resume' };

/** What the controller does for the machine. */
export type Effect =
  | { type: 'post'; message: TabMessage }
  | { type: 'ping'; flight: Flight }
  /** Logs out on the server; `expired`: confirms an end at the idle deadline. */
  | { type: 'logout'; reason?: 'expired' }
  /** Claim the leadership now (Web Locks `steal`), or step down (`resign`) and queue again. */
  | { type: 'claim' }
  | { type: 'resign' }
  /** `canExtend` false: the absolute end (`maxAge`) comes first, activity cannot push it back. */
  | { type: 'showWarning'; canExtend: boolean }
  | { type: 'hideWarning' }
  /** Show (or take down) that the server cannot be reached. */
  | { type: 'connectionView'; lost: boolean }
  | { type: 'lockPending' }
  | { type: 'unlockPending' }
  /** The session ended here: hide the warning, keep drafts, lock, stop counting activity. */
  | { type: 'endView'; reason: EndReason }
  | { type: 'emit'; event: 'warn'; payload: { secondsLeft: number; canExtend: boolean } }
  | { type: 'emit'; event: 'activity'; payload: { at: number; local: boolean } }
  | { type: 'emit'; event: 'extend'; payload: { at: number } }
  | { type: 'emit'; event: 'expire'; payload: { at: number } }
  | { type: 'emit'; event: 'end'; payload: { reason: EndReason } }
  | { type: 'emit'; event: 'leader'; payload: { isLeader: boolean } }
  | { type: 'emit'; event: 'connection'; payload: { lost: boolean; since: number | null } }
  | { type: 'emit'; event: 'locked'; payload: { reason: EndReason | null } }
  | { type: 'emit'; event: 'unlocked'; payload: Record<string, never> }
  /** The end is final and the server knows: leave the page (once the posts went out). */
  | { type: 'finish'; reason: EndReason }
  /** This page has no session (a login or public page): stop quietly, no lock, no navigation. */
  | { type: 'quiet' }
  /** Ended in place: leave the election, keep listening, keep the page locked. */
  | { type: 'standBy' }
  /**
   * A later session of the same user took over: show the page again (`rejoin`: and rejoin the
   * election, after a stand-by).
   */
  | { type: 'unlock'; rejoin: boolean }
  /** Another user signed in in this browser: this page must not stay (reload it, still hidden). */
  | { type: 'reload' };

export interface StepResult {
  state: TabState;
  effects: Effect[];
}

/** A new tab's state. */
export function initialState(id: string, shared: SharedState): TabState {
  return {
    id,
    shared: { ...shared },
    running: false,
    leader: false,
    term: 0,
    sent: 0,
    nextPingBy: 0,
    promisedAt: 0,
    onlineAt: -Infinity,
    unreportedSince: null,
    localActivity: 0,
    told: 0,
    nudgedFor: null,
    answerBy: null,
    tookOverAt: -Infinity,
    syncUntil: -Infinity,
    flight: null,
    pingAgain: false,
    lastPingAt: -Infinity,
    electedPingAt: null,
    failures: 0,
    retryAt: -Infinity,
    warnCheckUntil: null,
    expiryCheckSince: null,
    dueAt: null,
    pendingLock: null,
    loggingOut: false,
    confirming: false,
    confirmFailures: 0,
    confirmAt: -Infinity,
    finished: false,
    standby: false,
    standbyCheckAt: null,
    quiet: false,
  };
}

/** One transition: the next state and the effects, in order. */
export function step(state: TabState, event: MachineEvent, now: number, config: MachineConfig): StepResult {
  const run = createRun(state, now, config);
  // Whatever event comes first after a freeze (a late timer, a click, a queued message), the
  // tab re-syncs before it acts on its stale deadlines.
  if (state.running && state.dueAt !== null && now - state.dueAt > LATE_MS && event.type !== 'wake') run.handle({ type: 'wake' });
  run.handle(event);
  run.evaluate();
  run.announceFirst();
  run.st.dueAt = nextWake(run.st, now, config);
  return { state: run.st, effects: run.fx };
}

/** When the machine next needs a `tick` (epoch ms), or null. */
export function nextWake(st: TabState, now: number, config: MachineConfig): number | null {
  if (!st.running || st.finished) return null;
  const s = st.shared;
  const at: number[] = [st.syncUntil];
  if (s.phase === 'ended') {
    if (!s.confirmed && st.leader && !st.confirming) at.push(st.confirmAt);
    if (st.standby && st.standbyCheckAt !== null) at.push(st.standbyCheckAt);
  } else {
    if (st.leader && !st.flight) at.push(leaderPingDue(st, config));
    if (!st.leader && !st.flight && st.unreportedSince !== null) at.push(watchdogAt(st, config));
    if (st.answerBy !== null) at.push(st.answerBy);
    if (st.warnCheckUntil !== null) at.push(st.warnCheckUntil);
    if (s.phase === 'active') at.push(warnAt(s));
    at.push(expireAt(s));
  }
  const future = at.filter((t) => Number.isFinite(t) && t > now);
  return future.length ? Math.min(...future) : null;
}

/**
 * Past this instant (epoch ms), a follower that has heard no promise since may think the tab that
 * pings gone: a grace after that tab's promise and, with checks, after its next idle check. A follower
 * that does not wait for the leadership (`Tabs.wait`) then asks whether anybody holds it (`Tabs.probe`).
 */
export function leaderSilentAt(st: TabState, config: MachineConfig): number {
  const check = config.checkIntervalMs === null ? -Infinity : st.promisedAt + config.checkIntervalMs;
  return Math.max(st.nextPingBy, check) + TAKEOVER_GRACE_MS;
}

/** When the leader pings next: new activity within a ping interval, an idle session every check interval. */
function leaderPingDue(st: TabState, config: MachineConfig): number {
  if (st.electedPingAt !== null) return st.electedPingAt;
  if (st.shared.lastActivity <= st.sent) {
    return Math.max(config.checkIntervalMs === null ? Infinity : st.lastPingAt + config.checkIntervalMs, st.retryAt);
  }
  // New activity: within a ping interval, at once when the server's own deadline comes close.
  const due = Math.min(st.lastPingAt + config.pingIntervalMs(st.shared.warnAfter), urgentAt(st, config, st.shared.lastActivity));
  return Math.max(due, st.retryAt);
}

/**
 * When a follower with unreported activity takes over: the leader's due time plus a grace (the
 * tab the user works in first, the others only if it does not).
 */
function takeoverAt(st: TabState): number {
  const since = st.unreportedSince!;
  return Math.max(since, st.nextPingBy) + TAKEOVER_GRACE_MS + (st.localActivity >= since ? 0 : TAKEOVER_GRACE_MS / 2);
}

/** When unreported activity is pinged at once, whatever else: the server's own deadline comes close. */
function urgentAt(st: TabState, config: MachineConfig, since: number): number {
  const { reported, expireAfter, warnAfter } = st.shared;
  if (reported <= 0) return Infinity;
  return Math.max(since, reported + expireAfter * 1000 - TAKEOVER_GRACE_MS - config.pingIntervalMs(warnAfter));
}

/**
 * When a follower acts on unreported activity; never before its own failed ping's retry. Near the
 * server's deadline, at once for activity of its own; another tab's is that tab's and the leader's
 * to ping (a grace later, a stand-in: one ping, not one per tab).
 */
function watchdogAt(st: TabState, config: MachineConfig): number {
  const since = st.unreportedSince!;
  const urgent = urgentAt(st, config, since) + (st.localActivity >= since ? 0 : TAKEOVER_GRACE_MS);
  return Math.max(Math.min(takeoverAt(st), urgent), st.retryAt);
}

/**
 * One step in progress: a private copy of the state and the effects so far, with the rules that
 * change them. A closure rather than a class: its helpers are then local names, which a minifier
 * shortens (0.35 KB gzip of the client, `npm run bench -- --only=size`).
 */
function createRun(prev: TabState, now: number, config: MachineConfig) {
  const st: TabState = { ...prev, shared: { ...prev.shared } };
  const fx: Effect[] = [];

  function handle(event: MachineEvent): void {
    switch (event.type) {
      case 'start':
        if (st.running || st.shared.phase === 'ended') return;
        if (config.loginPage) {
          // Never running: no message, no ping, no deadline (the controller keeps it out of the tabs).
          Object.assign(st.shared, { phase: 'ended', reason: 'logged-out', confirmed: true });
          st.finished = true;
          st.quiet = true;
          return;
        }
        st.running = true;
        st.shared.lastActivity = Math.max(st.shared.lastActivity, now);
        post({ type: 'hello', at: st.shared.lastActivity });
        return;
      case 'stop':
        if (!st.running) return;
        st.running = false;
        st.flight = null;
        if (st.leader) setLeader(false);
        return;
    }
    if (!st.running) return;
    switch (event.type) {
      case 'activity':
        if (mergeActivity(event.at, true)) {
          // Input is told once per ping (tellActivity); a tab coming into view is no sign the user is
          // here, so it is told as it happens (rare), and no follower stands in for it.
          if (!event.viewOnly) st.localActivity = st.shared.lastActivity;
          else post({ type: 'activity', at: st.shared.lastActivity });
        }
        return;
      case 'extend':
        if (st.shared.phase === 'ended') return;
        if (mergeActivity(now, true)) st.localActivity = now;
        dismissWarning();
        post({ type: 'activity', at: now, extend: true });
        if (st.leader) pingNow(true);
        return;
      case 'logout':
        if (st.shared.phase === 'ended' || st.loggingOut) return;
        st.loggingOut = true;
        lockPending('logout');
        fx.push({ type: 'logout' });
        return;
      case 'elected':
        if (st.standby) return; // a late callback of the election it left
        st.term += 1;
        setLeader(true);
        // A new leader asks the server (its settings and its view) once the old one's last words
        // had time to arrive, unless a ping is out.
        if (st.shared.phase !== 'ended' && !st.flight) st.electedPingAt = now + ELECTED_SETTLE_MS;
        return;
      case 'demoted':
        if (st.leader) setLeader(false);
        return;
      case 'message':
        onMessage(event.message);
        return;
      case 'tick':
        return;
      case 'wake':
        // A locked tab the user comes back to asks whether they signed in meanwhile (elsewhere,
        // where no client told the others), at most once a second.
        if (st.standby) {
          // Too soon after the last one: the check comes when the second is over, not never.
          st.standbyCheckAt = Math.max(now, st.lastPingAt + STANDBY_CHECK_MS);
          return;
        }
        if (event.online) {
          // Back online: retry what failed now rather than after the backoff (a leader's request
          // that was already out still fails, then retries at once).
          if (st.failures > 0) st.lastPingAt = -Infinity;
          st.retryAt = -Infinity;
          st.failures = 0;
          st.confirmAt = -Infinity;
          st.confirmFailures = 0;
          if (st.flight && st.leader) st.pingAgain = true;
          // The leader's backoff is over too: it pings now, or a follower with activity takes over.
          if (st.shared.lostSince !== null) {
            st.onlineAt = now;
            st.nextPingBy = heldPromise(st.nextPingBy, st.promisedAt, st.promisedAt >= st.shared.lostSince);
          }
          return;
        }
        wake(!!event.restored);
        return;
      case 'pinged':
        onPinged(event.flight, event.result, event.jitter);
        return;
      case 'loggedOut':
        onLoggedOut(event.ok, event.ended, event.jitter);
        return;
      case 'resume':
        // Only a tab whose session ended asks; a live one has nothing to resume.
        if (st.shared.phase === 'ended' && !st.finished) pingNow(false, false);
        return;
      case 'ended':
        if (st.shared.phase === 'ended') return;
        // A 401 body without the header may be another API's error that the app relays, and a tab
        // no answer ever confirmed cannot tell from a header alone whether its page had the session:
        // the server says (a ping, right after any out: that one may have left before the end).
        if (!event.confirmed || st.shared.reported === 0) pingNow(true);
        else end(event.reason, true);
        return;
    }
  }

  /** Acts on the deadlines and duties as they stand now (after every event). */
  function evaluate(): void {
    const s = st.shared;
    if (!st.running || st.finished) return;
    if (s.phase === 'ended') {
      if (!s.confirmed && st.leader && !st.confirming && now >= st.confirmAt) confirmEnd();
      if (st.standby && st.standbyCheckAt !== null && now >= st.standbyCheckAt && !st.flight) {
        st.standbyCheckAt = null;
        pingNow(false, false);
      }
      return;
    }
    tellActivity();
    if (s.lastActivity <= st.sent) st.unreportedSince = null;
    else st.unreportedSince ??= now;

    // Server talk: the leader pings; a follower takes over a leader that stays silent. While
    // re-syncing, only to report fresh activity: this tab's idle time may be stale, and a ping
    // that reports the deadline ends the session.
    if (now < st.syncUntil && now - s.lastActivity >= s.warnAfter * 1000) {
      // Wait for the others.
    } else if (st.leader) {
      if (!st.flight && now >= leaderPingDue(st, config)) pingNow(false);
    } else if (st.unreportedSince !== null && !st.flight && now >= watchdogAt(st, config)) {
      // Past the leader's due time, take over; near the server's deadline, a stand-in ping is enough.
      if (now >= takeoverAt(st)) takeOver();
      else pingNow(false);
    }
    if (st.answerBy !== null && now >= st.answerBy && now >= st.syncUntil) {
      st.answerBy = null;
      if (!st.leader) takeOver();
    }

    // Deadlines, once this tab has heard the others after waking up.
    if (now < st.syncUntil) return;
    if (now >= expireAt(s)) {
      lockPending('deadline');
      if (st.leader) {
        if (st.expiryCheckSince === null) st.expiryCheckSince = now;
        // The ping goes once any earlier one (sent before the deadline) has landed.
        if (st.lastPingAt < st.expiryCheckSince) pingNow(false);
      } else {
        nudge(expireAt(s));
      }
      return;
    }
    if (st.pendingLock === 'deadline') {
      st.pendingLock = null;
      fx.push({ type: 'unlockPending' });
      emit('unlocked', {});
    }
    if (s.phase === 'active' && now >= warnAt(s)) {
      if (!st.leader) {
        nudge(warnAt(s));
      } else if (st.warnCheckUntil === null) {
        st.warnCheckUntil = now + WARN_CHECK_MAX_WAIT_MS;
        pingNow(false);
      } else if (!st.flight || now >= st.warnCheckUntil) {
        // The server answered (or did not in time) and the deadline still stands: warn everyone.
        enterWarning();
      }
    } else {
      st.warnCheckUntil = null;
    }
  }

  /**
   * Tells the others of this tab's activity once per ping: at once when a ping carried all it told
   * before (the leader pings it, the others watch it), otherwise once a ping has carried that (its
   * `ping` and `state` messages tell every tab meanwhile). A tab the user works in so posts a message
   * a ping interval rather than one every `activityInterval`, each of which woke every tab of the
   * browser; the server hears of activity at most a ping interval later than it would otherwise. While
   * the server cannot be reached no ping carries anything: every report is told, so that the leader's
   * deadlines follow the user (it warns and locks offline).
   */
  function tellActivity(): void {
    if (st.localActivity <= st.told || (st.told > st.sent && st.shared.lostSince === null)) return;
    st.told = st.localActivity;
    post({ type: 'activity', at: st.told });
  }

  // ---- leadership --------------------------------------------------------------------------

  function setLeader(leader: boolean): void {
    st.leader = leader;
    st.electedPingAt = null;
    st.warnCheckUntil = null;
    st.expiryCheckSince = null;
    st.answerBy = null;
    st.nudgedFor = null;
    emit('leader', { isLeader: leader });
  }

  /** The leader is silent: ping now and claim the leadership. */
  function takeOver(): void {
    if (now < st.tookOverAt + TAKEOVER_GRACE_MS) return;
    st.tookOverAt = now;
    st.answerBy = null;
    fx.push({ type: 'claim' });
    // A request that failed here is retried after its backoff (an outage is not a silent leader).
    if (now >= st.retryAt) pingNow(false);
  }

  /** A follower at a deadline asks the leader to act, once per deadline, and expects an answer. */
  function nudge(deadline: number): void {
    if (st.nudgedFor === deadline) return;
    st.nudgedFor = deadline;
    st.answerBy = now + TAKEOVER_GRACE_MS;
    post({ type: 'nudge' });
  }

  /** Any `state` or `ping` from another tab: the leader is alive; a higher term means a new leader. */
  function hearFrom(from: Sender): void {
    if (from.leader) st.answerBy = null;
    if (from.term > st.term || (from.leader && st.leader && from.term === st.term && from.tab > st.id)) {
      st.term = Math.max(st.term, from.term);
      if (st.leader && from.leader) {
        setLeader(false);
        fx.push({ type: 'resign' });
      }
    }
  }

  function sender(): Sender {
    return { tab: st.id, leader: st.leader, term: st.term };
  }

  // ---- server talk ---------------------------------------------------------------------------

  /**
   * Sends a ping now (or right after the one in flight, with `again`), and announces it (not a
   * locked tab's check for a new session: the others have nothing to learn from it).
   */
  function pingNow(again: boolean, announce = true): void {
    const s = st.shared;
    if (st.flight) {
      if (again) st.pingAgain = true;
      return;
    }
    const flight: Flight = { sentAt: now, activity: s.lastActivity, idleFor: Math.max(0, (now - s.lastActivity) / 1000) };
    st.flight = flight;
    st.lastPingAt = now;
    st.electedPingAt = null;
    st.sent = Math.max(st.sent, flight.activity);
    st.nextPingBy = now + config.pingIntervalMs(s.warnAfter);
    st.promisedAt = now;
    st.unreportedSince = null;
    fx.push({ type: 'ping', flight });
    if (announce) post({ type: 'ping', activity: flight.activity, nextBy: st.nextPingBy, at: now, from: sender() });
  }

  function onPinged(flight: Flight, result: PingResult, jitter: number): void {
    const s = st.shared;
    if (st.flight?.sentAt === flight.sentAt) st.flight = null;
    // A locked tab's check only looks for a later session of its user; nothing else changes.
    if (st.standby) {
      if (result.kind === 'ok') sessionChanged(result, flight);
      return;
    }
    // Only a ping sent at or after the deadline answers the expiry check (an older one is stale).
    const wasExpiryCheck = st.expiryCheckSince !== null && flight.sentAt >= st.expiryCheckSince;
    if (wasExpiryCheck) st.expiryCheckSince = null;
    tried(result.kind !== 'failed');
    if (result.kind === 'ended') {
      // The server measured `endedFor` when it handled the ping, between its sending and now: the
      // earliest the end can have been (a long answer, or a page too busy loading to take it, must
      // not make an end before this page's load look like one after it).
      const endedAt = result.endedFor === undefined ? undefined : flight.sentAt - result.endedFor * 1000;
      if (quiet(result.reason, endedAt)) return;
      end(result.reason, true, true, endedAt);
      return;
    }
    if (result.kind === 'failed') {
      // What it carried did not reach the server: still to be reported.
      st.sent = Math.min(st.sent, s.reported);
      st.failures += 1;
      st.retryAt = now + backoffDelay(st.failures, { maxMs: MAX_BACKOFF_MS, random: () => jitter });
      if (st.confirming) confirmFailed(jitter);
      // The others wait for the retry rather than take over from a leader that is only offline.
      st.nextPingBy = Math.max(st.nextPingBy, st.retryAt);
      st.promisedAt = now;
      post({ type: 'ping', activity: st.sent, nextBy: st.nextPingBy, at: now, from: sender() });
      // Every tab shows the lost connection.
      if (s.phase !== 'ended') postState();
      // No server to ask at the deadline: lock anyway (security wins); confirmation is retried.
      if (wasExpiryCheck && s.phase !== 'ended' && now >= expireAt(s)) end('expired', false);
      else if (st.pingAgain && s.phase !== 'ended') {
        // Back online while this one was out: try again at once.
        st.pingAgain = false;
        st.retryAt = -Infinity;
        pingNow(false);
      }
      return;
    }
    if (sessionChanged(result, flight)) return;
    if (result.session && !s.session) s.session = result.session;
    st.failures = 0;
    st.retryAt = -Infinity;
    s.reported = Math.max(s.reported, flight.activity);
    // Limits changed on the server (`sw.setPolicy`, pushed as a `policy` cue): re-decided below.
    const limitsMoved = limitsChanged(result);
    if (!config.fixedSettings && (!s.settingsKnown || s.warnAfter !== result.warnAfter || s.expireAfter !== result.expireAfter)) {
      Object.assign(s, { warnAfter: result.warnAfter, expireAfter: result.expireAfter, settingsKnown: true });
    }
    // On this tab's clock, from the answer's arrival: never before the server's own end.
    s.maxAgeEndsAt = result.maxAgeLeft === null ? null : now + result.maxAgeLeft * 1000;
    // The server knows of newer activity (an app request, another tab's ping): adopt it.
    const serverActivity = Math.min(now, flight.sentAt - result.idleFor * 1000);
    if (serverActivity > flight.activity + SERVER_TOLERANCE_MS) {
      s.reported = Math.max(s.reported, serverActivity);
      mergeActivity(serverActivity, false, true);
    }
    if (limitsMoved) newLimits();
    if (s.phase === 'ended') {
      // Ended here but alive on the server: end it there (security wins).
      if (st.confirming) {
        st.confirming = false;
        confirmEnd(true);
      }
      return;
    }
    postState();
    if (wasExpiryCheck && now >= expireAt(s)) {
      // The server agrees the deadline passed (a server that ends it would have said so): end it.
      end('expired', false);
    }
    if (st.pingAgain) {
      st.pingAgain = false;
      pingNow(false);
    }
  }

  /**
   * Makes the server agree with an unconfirmed end. For `expired`, a ping (the server ends it
   * itself, and records why); every other attempt is a logout, in case only pings fail.
   */
  function confirmEnd(forceLogout = false): void {
    const s = st.shared;
    st.confirming = true;
    if (s.reason === 'expired' && !forceLogout && st.confirmFailures % 2 === 0) pingNow(false);
    else fx.push(s.reason === 'expired' ? { type: 'logout', reason: 'expired' } : { type: 'logout' });
  }

  function confirmFailed(jitter: number): void {
    st.confirming = false;
    st.confirmFailures += 1;
    st.confirmAt = now + backoffDelay(st.confirmFailures, { maxMs: MAX_BACKOFF_MS, random: () => jitter });
  }

  function onLoggedOut(ok: boolean, ended: EndReason | undefined, jitter: number): void {
    const s = st.shared;
    if (st.loggingOut) {
      st.loggingOut = false;
      if (s.phase !== 'ended') {
        end('logged-out', ok);
        return;
      }
    }
    if (!st.confirming) return;
    if (ok) {
      st.confirming = false;
      // The session had ended on the server meanwhile (revoked while this tab was offline): its
      // reason, as every other tab hears it from the server; else ours, which the logout confirmed.
      end(ended ?? s.reason ?? 'expired', true);
    } else {
      confirmFailed(jitter);
    }
  }

  // ---- shared state --------------------------------------------------------------------------

  function onMessage(message: TabMessage): void {
    switch (message.type) {
      case 'hello':
        // A locked tab waiting in place has nothing to tell a new tab: that one asks the server.
        if (st.standby) return;
        mergeActivity(message.at, false);
        postState();
        return;
      case 'activity':
        mergeActivity(message.at, false);
        if (message.extend && st.leader) pingNow(true);
        return;
      case 'ping':
        hearFrom(message.from);
        // The activity it carries is activity (the tab that pinged posts no other word of it).
        mergeActivity(message.activity, false);
        st.sent = Math.max(st.sent, message.activity);
        hearPromise(message);
        return;
      case 'state':
        if (otherSession(message)) return;
        hearFrom(message.from);
        st.sent = Math.max(st.sent, message.sent);
        if (message.from.leader) hearPromise(message, message.state.lostSince !== null);
        mergeState(message.state, message.from.leader);
        return;
      case 'nudge':
        if (st.leader) postState();
        return;
      case 'end':
        // The end of an earlier session is no news to a tab of a later one.
        if (message.session && st.shared.session && message.session !== st.shared.session.id) return;
        endFromTab(message.reason, message.confirmed, !!message.session, message.endedAt);
        return;
    }
  }

  /**
   * The promise of the tab that pings last (without `at`, from an older client: as of now);
   * `lost`: made while its connection was lost.
   */
  function hearPromise(promise: PingPromise, lost = false): void {
    st.nextPingBy = heldPromise(promise.nextBy, promise.at ?? now, lost);
    st.promisedAt = promise.at ?? now;
  }

  /**
   * How long a promise made `at` holds once the network came back (after a lost connection). One
   * made while the connection was lost (`lost`) is a backoff, which ends then: a live leader pings
   * at once, so a leader frozen meanwhile, its last message still on its way, does not hold the
   * others back. Any other made before the return holds as a healthy leader's would, a ping interval
   * from when it was made at most: a tab that hears of the return late (it was frozen) still trusts
   * the leader that pinged meanwhile.
   */
  function heldPromise(nextBy: number, at: number, lost: boolean): number {
    if (at > st.onlineAt) return nextBy;
    return Math.min(nextBy, lost ? st.onlineAt : Math.max(st.onlineAt, at + config.pingIntervalMs(st.shared.warnAfter)));
  }

  /** Another tab's state: activity and server knowledge only grow; the end and a warning carry over. */
  function mergeState(incoming: SharedState, fromLeader: boolean): void {
    const s = st.shared;
    if (s.phase === 'ended') return;
    if (incoming.phase === 'ended') {
      endFromTab(incoming.reason ?? 'expired', incoming.confirmed, !!incoming.session);
      return;
    }
    if (incoming.session && !s.session) s.session = incoming.session;
    const limitsMoved = fromLeader && (s.warnAfter !== incoming.warnAfter || s.expireAfter !== incoming.expireAfter);
    if (!config.fixedSettings && incoming.settingsKnown && (fromLeader || !s.settingsKnown)) {
      Object.assign(s, { warnAfter: incoming.warnAfter, expireAfter: incoming.expireAfter, settingsKnown: true });
    }
    // A leader the server answered says "no absolute end" too (its maxAge lifted by `sw.setPolicy`).
    if (incoming.maxAgeEndsAt !== null ? fromLeader || s.maxAgeEndsAt === null : fromLeader && incoming.reported > 0) {
      s.maxAgeEndsAt = incoming.maxAgeEndsAt;
    }
    if (incoming.triedAt > s.triedAt) tried(incoming.lostSince === null, incoming.triedAt, incoming.lostSince);
    s.reported = Math.max(s.reported, incoming.reported);
    // Activity the server acknowledged counts even past this tab's own (stale) deadline: a tab
    // thawed after its deadline must not refuse the session the others kept alive.
    mergeActivity(incoming.reported, false, true);
    mergeActivity(incoming.lastActivity, false);
    if (mergePhase(s, incoming) === 'warning' && s.phase === 'active') enterWarning(false);
    if (limitsMoved) dismissWarning();
  }

  /**
   * Merges activity seen anywhere; false when stale, or too late: past the deadline it no longer
   * counts, unless the server reports it (`fromServer`: the server's word decides).
   */
  function mergeActivity(at: number, local: boolean, fromServer = false): boolean {
    const s = st.shared;
    at = Math.min(at, now);
    if (s.phase === 'ended' || at <= s.lastActivity || (at >= expireAt(s) && !fromServer)) return false;
    s.lastActivity = at;
    emit('activity', { at, local });
    dismissWarning();
    return true;
  }

  function dismissWarning(): void {
    const s = st.shared;
    if (s.phase !== 'warning' || now >= warnAt(s)) return;
    s.phase = 'active';
    fx.push({ type: 'hideWarning' });
    emit('extend', { at: s.lastActivity });
    if (st.leader) postState();
  }

  /** True when a ping's answer moves limits this tab knew (idle ones, unless fixed; the absolute end by more than a second). */
  function limitsChanged(result: Extract<PingResult, { kind: 'ok' }>): boolean {
    const s = st.shared;
    if (!s.settingsKnown) return false;
    if (!config.fixedSettings && (s.warnAfter !== result.warnAfter || s.expireAfter !== result.expireAfter)) return true;
    if (s.maxAgeEndsAt === null || result.maxAgeLeft === null) return (s.maxAgeEndsAt === null) !== (result.maxAgeLeft === null);
    return Math.abs(now + result.maxAgeLeft * 1000 - s.maxAgeEndsAt) > SERVER_TOLERANCE_MS;
  }

  /**
   * The server's limits changed: a warning whose deadline moved out of reach goes; the leader warns
   * at once when a shorter limit reaches it (the answer that brought them was the check before a
   * warning: no second ping).
   */
  function newLimits(): void {
    dismissWarning();
    if (st.leader && st.shared.phase === 'active' && now >= warnAt(st.shared)) st.warnCheckUntil = now;
  }

  function enterWarning(announce = true): void {
    const s = st.shared;
    if (s.phase !== 'active') return;
    s.phase = 'warning';
    st.warnCheckUntil = null;
    const canExtend = !atMaxAge(s);
    fx.push({ type: 'showWarning', canExtend });
    emit('warn', { secondsLeft: Math.max(0, Math.ceil((expireAt(s) - now) / 1000)), canExtend });
    if (announce && st.leader) postState();
  }

  function lockPending(why: 'deadline' | 'logout'): void {
    if (st.pendingLock || st.shared.phase === 'ended') return;
    st.pendingLock = why;
    fx.push({ type: 'lockPending' });
    emit('locked', { reason: null });
  }

  /**
   * A ping's outcome (here, or another tab's at `at`): the server answered (`reached`) or could not
   * be reached. Tells the app when that changes.
   */
  function tried(reached: boolean, at = now, since: number | null = at): void {
    const s = st.shared;
    const wasLost = s.lostSince !== null;
    s.triedAt = Math.max(s.triedAt, at);
    if (reached) s.lostSince = null;
    else s.lostSince ??= since ?? at;
    if (wasLost === (s.lostSince !== null) || s.phase === 'ended') return;
    fx.push({ type: 'connectionView', lost: !wasLost });
    emit('connection', { lost: !wasLost, since: s.lostSince });
  }

  /** Ends the session here (and, unless it came from another tab, tells them). */
  function end(reason: EndReason, confirmed: boolean, tell = true, endedAt = now): void {
    const s = st.shared;
    if (s.phase === 'ended') {
      if (!confirmed || s.confirmed) return;
      s.confirmed = true;
      // Decided here without the server (offline): the server's reason wins.
      s.reason = reason;
      st.confirming = false;
      if (tell) post({ type: 'end', reason: s.reason, confirmed: true, session: s.session?.id ?? null, endedAt });
      finish();
      return;
    }
    Object.assign(s, { phase: 'ended', reason, confirmed });
    Object.assign(st, {
      pendingLock: null,
      warnCheckUntil: null,
      expiryCheckSince: null,
      answerBy: null,
      pingAgain: false,
      loggingOut: false,
    });
    fx.push({ type: 'endView', reason });
    emit('locked', { reason });
    if (reason === 'expired') emit('expire', { at: now });
    emit('end', { reason });
    if (tell) post({ type: 'end', reason, confirmed, session: s.session?.id ?? null, endedAt });
    if (confirmed) finish();
  }

  /**
   * Another tab says the session ended. When the server confirmed it, a tab no answer ever
   * confirmed (a page just opened, the login page among them) cannot tell whether it had that
   * session: the ping's answer says (it ends with the others, or stops quietly on a page loaded
   * after the end). An end decided without the server (offline) is taken at once: it only locks.
   */
  function endFromTab(reason: EndReason, confirmed: boolean, ofKnownSession = false, endedAt?: number): void {
    const s = st.shared;
    // Nor can a tab that does not know its session yet tell whether a named one is its own; and a
    // page loaded after the end was not of that session (its own request found a live one: a sign-in
    // since, whatever it heard from the others meanwhile).
    const loadedAfter = confirmed && endedAt !== undefined && endedAt < config.loadedAt;
    const unsure = loadedAfter || (s.reported === 0 && (confirmed || (ofKnownSession && !s.session)));
    if (unsure && s.phase !== 'ended') pingNow(false);
    else end(reason, confirmed, false);
  }

  /**
   * A page that was never logged in: no tab ever had this session confirmed, and the server says
   * `unauthenticated` (a public or login page), or that the session ended (`endedAt`, the earliest
   * the answer allows) before this page was loaded (a browser whose earlier session was revoked or
   * expired keeps being told so, its login page included). Nothing to end, lock or leave: it stops,
   * so a client on every page never sends the login page to itself. True when it did.
   *
   * Taking the earliest instant errs towards quiet by the ping's way to the server: a page of the
   * session counts as loaded after its end only if the end came after its navigation started, and
   * its first ping then took longer to reach the server than its own document had taken (an end
   * in that window, with no other tab of the session to say so). Taking the latest, as before,
   * made every answer's way back (and a page busy loading) count the other way: a revoked tab sent
   * to the login page ~100 ms after the end (the push) locked the login page.
   */
  function quiet(reason: EndReason, endedAt?: number): boolean {
    const s = st.shared;
    if (s.reported > 0 || s.phase === 'ended') return false;
    const endedBeforeLoad = endedAt !== undefined && endedAt < config.loadedAt;
    if (reason !== 'logged-out' && !endedBeforeLoad) return false;
    Object.assign(s, { phase: 'ended', reason: 'logged-out', confirmed: true });
    st.finished = true;
    st.quiet = true;
    fx.push({ type: 'quiet' });
    return true;
  }

  function finish(): void {
    const s = st.shared;
    if (st.finished || st.standby) return;
    if (config.inPlace && s.reason !== 'logged-out') {
      // Locked in place: the user signs in again (elsewhere) and this page goes on.
      st.standby = true;
      if (st.leader) setLeader(false);
      fx.push({ type: 'standBy' });
      return;
    }
    st.finished = true;
    fx.push({ type: 'finish', reason: s.reason! });
  }

  // ---- a later session -----------------------------------------------------------------------

  /**
   * Another tab speaks for another session. An earlier session's tab (stale), or a later one that
   * ended or that no answer confirmed yet, is no news; a later live session takes over this tab:
   * the same user's carries it on (unlocked), another user's must not see it. True when handled.
   */
  function otherSession(message: Extract<TabMessage, { type: 'state' }>): boolean {
    const s = st.shared;
    const theirs = message.state.session;
    const mine = s.session;
    // Locked before any answer named its session: whose page this is cannot be told, so not unlocked.
    if (st.standby && !mine && theirs && message.state.phase !== 'ended' && message.state.reported > 0) {
      switchUser();
      return true;
    }
    if (!theirs || !mine || theirs.id === mine.id) return false;
    if (!newerSession(theirs, mine) || message.state.phase === 'ended' || message.state.reported === 0) return true;
    if (!sameUser(theirs, mine)) switchUser();
    else if (message.from.leader) adopt(message.state, message.sent, message, message.state.lostSince !== null);
    else adopt(message.state, message.sent, { nextBy: st.nextPingBy, at: st.promisedAt });
    return true;
  }

  /**
   * A ping answered for another session than this tab's: the browser signed in again (the server
   * answers for the cookie, so the answer is the truth). True when handled.
   */
  function sessionChanged(result: Extract<PingResult, { kind: 'ok' }>, flight: Flight): boolean {
    const s = st.shared;
    if (!result.session || (!s.session && !st.standby) || result.session.id === s.session?.id) return false;
    if (!sameUser(result.session, s.session)) {
      switchUser();
      return true;
    }
    const serverActivity = Math.min(now, flight.sentAt - result.idleFor * 1000);
    const settings = config.fixedSettings ? s : result;
    adopt(
      {
        lastActivity: serverActivity,
        warnAfter: settings.warnAfter,
        expireAfter: settings.expireAfter,
        settingsKnown: true,
        phase: 'active',
        reason: null,
        confirmed: false,
        reported: serverActivity,
        maxAgeEndsAt: result.maxAgeLeft === null ? null : now + result.maxAgeLeft * 1000,
        lostSince: null,
        triedAt: now,
        session: result.session,
      },
      serverActivity,
      { nextBy: now + config.pingIntervalMs(settings.warnAfter), at: now },
    );
    // The other tabs (locked ones among them) learn it from here.
    postState();
    return true;
  }

  /** Carries on with a later session of the same user: its state, fresh; the page shown again. */
  function adopt(incoming: SharedState, sent: number, promise: PingPromise, lost = false): void {
    const s = st.shared;
    if (st.finished) return;
    const locked = s.phase === 'ended' || st.pendingLock !== null;
    const rejoin = st.standby;
    if (s.phase === 'warning') fx.push({ type: 'hideWarning' });
    st.shared = { ...incoming, session: incoming.session };
    Object.assign(st, {
      standby: false,
      standbyCheckAt: null,
      confirming: false,
      confirmFailures: 0,
      confirmAt: -Infinity,
      pendingLock: null,
      loggingOut: false,
      warnCheckUntil: null,
      expiryCheckSince: null,
      answerBy: null,
      nudgedFor: null,
      pingAgain: false,
      failures: 0,
      retryAt: -Infinity,
      sent: Math.max(sent, incoming.reported),
      unreportedSince: null,
      lastPingAt: now,
    });
    hearPromise(promise, lost);
    if (locked) {
      fx.push({ type: 'unlock', rejoin });
      emit('unlocked', {});
    }
    if (st.shared.phase === 'warning') fx.push({ type: 'showWarning', canExtend: !atMaxAge(st.shared) });
  }

  /** Another user's session is the browser's now: this page (the previous user's) must not stay. */
  function switchUser(): void {
    if (st.finished) return;
    lockPending('logout');
    st.finished = true;
    st.standby = false;
    fx.push({ type: 'reload' });
  }

  function wake(restored: boolean): void {
    const s = st.shared;
    st.syncUntil = now + SYNC_MS;
    post({ type: 'hello', at: s.lastActivity });
    // Restored from the back/forward cache: the others may all be gone; the server has the word.
    if (restored && s.phase !== 'ended') pingNow(false);
  }

  function postState(): void {
    post({ type: 'state', state: { ...st.shared }, sent: st.sent, nextBy: st.nextPingBy, at: st.promisedAt, from: sender() });
  }

  function post(message: TabMessage): void {
    fx.push({ type: 'post', message });
  }

  function emit<E extends Extract<Effect, { type: 'emit' }>>(event: E['event'], payload: E['payload']): void {
    fx.push({ type: 'emit', event, payload } as Effect);
  }
  /**
   * A ping this step sent is announced before the step's other messages, and activity it carries is
   * told by that announcement only. Told first (an `activity`, or a leader's `state` as it dismisses
   * the warning), it would reach the others before the ping does, and near the server's deadline
   * every one of them would ping it at once: a window restored, or "Stay signed in" late in the
   * warning, made every tab ping.
   */
  function announceFirst(): void {
    const at = fx.findIndex((e) => e.type === 'post' && e.message.type === 'ping');
    if (at < 0) return;
    const [announce] = fx.splice(at, 1) as [Extract<Effect, { type: 'post' }>];
    const carried = (announce.message as Extract<TabMessage, { type: 'ping' }>).activity;
    const told = (e: Effect) => e.type === 'post' && e.message.type === 'activity' && e.message.at <= carried;
    for (let i = fx.findIndex(told); i >= 0; i = fx.findIndex(told)) fx.splice(i, 1);
    const first = fx.findIndex((e) => e.type === 'post');
    fx.splice(first < 0 ? fx.length : first, 0, announce);
  }
  return { st, fx, handle, evaluate, announceFirst };
}
