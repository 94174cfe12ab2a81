/**
 * One tab's client: runs the pure {@link step} machine and performs its effects — the cross-tab
 * channel, the server requests, the page's views and the app's events — feeding their outcomes
 * back as events. Nothing here decides anything; see `machine.ts` for the rules. A closure rather
 * than a class: its private parts are then local names, which a minifier shortens.
 */
import { apiPath, DEFAULT_EXPIRE_AFTER, DEFAULT_WARN_AFTER, ROUTES, type EndReason } from '../shared/protocol';
import { createEmitter, type Emitter } from './events';
import { initialState, leaderSilentAt, step, type Effect, type MachineConfig, type MachineEvent, type TabState } from './machine';
import { currentNext, maxPingIntervalMs, pingIntervalMs, type ResolvedClientOptions } from './options';
import { createPage, type ControllerEnv } from './page';
import { expireAt, snapshot, type SessionWatchState } from './state';
import { connectTabs } from './connect-tabs';
import type { Tabs } from './tabs';
import { createDeadline } from './timers';
import { isReloginWindow, openReloginWindow } from './relogin';
import { createFetchTransport, type PingResult } from './transport';
import { wrapFetch } from './watch-fetch';
import { createPushStream } from './push';

function randomId(): string {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/** One tab's client, as the entries (through `clientOf`) and the tests drive it. */
export interface Controller {
  /** @internal */
  readonly emitter: Emitter;
  /**
   * `fetch` that ends the session on an answer with the `Session-Ended` header, or on a 401
   * `session_revoked` / `session_expired` answer once the server confirms it.
   */
  readonly fetch: typeof fetch;
  getState(): SessionWatchState;
  start(): void;
  /** Stops watching in this tab (another tab takes over); `keepLock` keeps an ended page hidden. */
  stop(options?: { keepLock?: boolean }): void;
  /**
   * Activity seen in this tab at `at` (epoch ms): the page's tracker calls this; `viewOnly`: only
   * the tab coming into view (`activityOnVisible`).
   */
  recordActivity(at: number, viewOnly?: boolean): void;
  /** The user is here: record activity in every tab, dismiss the warning, ping now. */
  extend(): void;
  /** Logs out now, in every tab. */
  logout(): Promise<void>;
  /**
   * Opens the login page (`endUrl`) in the sign-in window, as the lock's "Sign in again" does;
   * call it from a click (browsers block popups otherwise). Null without a window, when blocked,
   * or while the session has not ended.
   */
  relogin(): Window | null;
  /** The app's own login UI succeeded: a locked tab asks the server now, and every tab unlocks if the same user signed in. */
  resume(): void;
}

export function createController(options: ResolvedClientOptions, env: ControllerEnv): Controller {
  const emitter = createEmitter();
  const settings = options.settings ?? { warnAfter: DEFAULT_WARN_AFTER, expireAfter: DEFAULT_EXPIRE_AFTER };
  let st: TabState = initialState(randomId(), {
    lastActivity: Date.now(),
    ...settings,
    settingsKnown: !!options.settings,
    phase: 'active',
    reason: null,
    confirmed: false,
    reported: 0,
    maxAgeEndsAt: null,
    lostSince: null,
    triedAt: 0,
    session: null,
  });
  const config: MachineConfig = {
    pingIntervalMs: (warnAfter) => {
      const ms = pingIntervalMs(options, warnAfter);
      if (options.pingIntervalMs !== null && ms < options.pingIntervalMs && st.shared.settingsKnown) reportLongPingInterval(warnAfter);
      return ms;
    },
    checkIntervalMs: options.checkIntervalMs,
    fixedSettings: !!options.settings,
    // On the wall clock the machine uses (the page's time origin, as Date.now() counts).
    loadedAt: Date.now() - (globalThis.performance?.now() ?? 0),
    inPlace: options.relogin === 'in-place',
    loginPage: options.loginPage,
  };
  const win = env.window;
  let tabs: Tabs | null = null;
  const timer = createDeadline(() => dispatch({ type: 'tick' }));
  /** Events that arrive while one is being handled wait their turn (effects may call back). */
  const queue: MachineEvent[] = [];
  let dispatching = false;
  /** The last message posted: a page leaves only once its end message is out. */
  let lastPost: Promise<void> = Promise.resolve();
  let logoutFlight: Promise<void> | null = null;
  /** In the back/forward cache: out of the channel and the election until restored. */
  let suspended = false;
  /** What was said loudly already (each mistake once per page). */
  const said = new Set<string>();
  /** This page is the sign-in window of a re-login in place: it closes once signed in. */
  let reloginWindow = isReloginWindow(win);
  const baseFetch = win?.fetch ? win.fetch.bind(win) : globalThis.fetch?.bind(globalThis);
  const transport =
    options.transport ?? createFetchTransport({ apiPrefix: options.apiPrefix, timeoutMs: options.pingTimeoutMs, fetch: baseFetch });
  const watchedFetch = wrapFetch(
    (...args) => baseFetch(...args),
    ({ reason, confirmed }) => dispatch({ type: 'ended', reason, confirmed }),
  );
  const endUrl = (reason: EndReason) => options.endUrl(reason, currentNext());
  // The server's word as it happens (the leader's stream): a cue to ask the server, whose answer decides.
  const push = createPushStream({
    url: apiPath(options.apiPrefix, ROUTES.events),
    // Only with sessionwatch's own HTTP API: a custom transport has no stream to offer.
    EventSource: env.EventSource ?? (options.transport ? undefined : (win as (Window & typeof globalThis) | null)?.EventSource),
    onEnded: (reason) => dispatch({ type: 'ended', reason, confirmed: false }),
    // New limits: the server, asked at once, gives them to every tab (as after a refusal, below).
    onPolicy: () => dispatch({ type: 'wake', restored: true }),
    // The stream reconnected (a restarted server, a deploy): the server is back, retry now rather
    // than at the end of the backoff (up to a ping interval with "connection lost" shown, no push).
    onOpen: () => {
      if (st.shared.lostSince !== null) dispatch({ type: 'wake', online: true });
    },
    // Refused: the session may have ended (a 401), which the server, asked at once, says; if it
    // then says the session is live, something is in the way (said once, see `reportNoPush`).
    onRefused: (opened) => {
      // Once the server said the session is live in spite of a refusal, a refusal says nothing more.
      if (!opened && pushBlocked) return;
      pushRefused ||= !opened;
      dispatch({ type: 'wake', restored: true });
    },
  });
  /** A refused stream while the session was live: something is in the way for good (said once). */
  let pushBlocked = false;
  /** A push stream was refused before it ever opened, and the server has not said the session is live since. */
  let pushRefused = false;
  /** A leader said it leaves (`bye`), and no leader has spoken since: this tab waits for the leadership, hidden or not. */
  let leaderLeft = false;
  /** The leader's silence (see `leaderSilentAt`) this hidden follower already asked about, once per promise. */
  let probedFor: number | null = null;

  const controller: Controller = {
    emitter,
    fetch: watchedFetch,
    getState: () => snapshot(st.shared, st.leader, Date.now(), (st.shared.phase === 'ended' && !st.quiet) || st.pendingLock !== null),
    start() {
      if (st.running || st.shared.phase === 'ended') return;
      // The login page stops quietly (the machine's rule), out of the channel and the election: the
      // other tabs coordinate as if it were not there, and nothing of it is attached.
      if (config.loginPage) return dispatch({ type: 'start' });
      // The sign-in window is a passer-by: the drafts belong to the locked page that opened it.
      if (!reloginWindow) page.restoreDrafts();
      page.attach();
      connect();
    },
    stop({ keepLock = false } = {}) {
      if (!st.running && !suspended) return;
      suspended = false;
      disconnect();
      page.detach();
      page.warning?.destroy();
      page.notice?.destroy();
      if (!keepLock) page.lock?.destroy();
    },
    recordActivity: (at, viewOnly = false) => dispatch({ type: 'activity', at, viewOnly }),
    extend: () => dispatch({ type: 'extend' }),
    async logout() {
      dispatch({ type: 'logout' });
      await logoutFlight;
    },
    relogin() {
      // Only an ended session has anything to sign in again to (a quiet page has its own login).
      if (!win || st.shared.phase !== 'ended' || st.quiet) return null;
      return openReloginWindow(win, endUrl(st.shared.reason ?? 'expired'));
    },
    resume: () => dispatch({ type: 'resume' }),
  };

  const page = createPage(
    win,
    options,
    {
      onActivity: (at, viewOnly) => controller.recordActivity(at, viewOnly),
      onWake: () => dispatch({ type: 'wake' }),
      onOnline: () => dispatch({ type: 'wake', online: true }),
      onSuspend: suspend,
      onRestore: restore,
      // A follower that does not wait for the lock learns from this that it is free (or about to be).
      onLeave: () => st.running && st.leader && void tabs?.post({ type: 'bye' }),
      onStay: () => controller.extend(),
      onLogout: () => void controller.logout(),
    },
    watchedFetch,
  );

  /** Joins the channel and the election. */
  function connect(): void {
    const joined = listen();
    dispatch({ type: 'start' });
    elect(joined);
  }

  /** Joins the channel (only: a locked tab listens without standing for leader). */
  function listen(): Tabs {
    const joined = (tabs = (env.tabs ?? (() => connectTabs(options.channelName, options.election)))());
    joined.subscribe((message) => {
      if (tabs !== joined) return;
      if (message.type === 'bye') leaderLeft = true;
      else if ((message.type === 'state' || message.type === 'ping') && message.from.leader) leaderLeft = false;
      dispatch({ type: 'message', message });
    });
    return joined;
  }

  function elect(joined: Tabs): void {
    joined.elect(
      () => tabs === joined && dispatch({ type: 'elected' }),
      () => tabs === joined && dispatch({ type: 'demoted' }),
    );
  }

  /** Ended in place: out of the election (another page of the user's leads), still listening. */
  function standBy(): void {
    const old = tabs;
    if (!old) return;
    listen();
    void old.close();
  }

  function disconnect(): void {
    if (st.running && st.leader) void tabs?.post({ type: 'bye' });
    dispatch({ type: 'stop' });
    push.sync(false);
    timer.clear();
    void tabs?.close();
    tabs = null;
  }

  /** Entering the back/forward cache: give up the leadership and the channel (both block the cache). */
  function suspend(): void {
    if (!st.running) return;
    disconnect();
    suspended = true;
  }

  /** Restored from the back/forward cache: rejoin, and let the others and the server say where things stand. */
  function restore(): void {
    if (!suspended) return;
    suspended = false;
    connect();
    dispatch({ type: 'wake', restored: true });
  }

  function dispatch(event: MachineEvent): void {
    queue.push(event);
    if (dispatching) return;
    dispatching = true;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { state, effects } = step(st, next, Date.now(), config);
        st = state;
        for (const effect of effects) perform(effect);
      }
    } finally {
      dispatching = false;
    }
    if (reloginWindow && st.shared.reported > 0 && st.shared.phase !== 'ended') closeReloginWindow();
    // One stream per browser: the leader's, while the session is live.
    push.sync(st.running && st.leader && st.shared.phase !== 'ended' && !st.quiet);
    sleepIfHidden();
  }

  /**
   * A follower in a hidden page sleeps: it wakes on the other tabs' messages, on its page's events
   * (visibility, focus, `pageshow`, `resume`) and on one timer, set to its next deadline (no 15 s steps,
   * which woke it four times a minute: a sleep that delays that timer delays nothing anyone sees, and
   * the page's events re-check every deadline when the user comes back). Nor does it wait in the
   * election's queue (a page waiting for a Web Lock is never frozen by Chrome): it asks whether the
   * leadership is free when a leader says it leaves (`bye`) and when the leader is silent past its
   * promise. Visible followers and the leader keep the stepped timer and the queue (a visible page is
   * never frozen, and takes over a closed or crashed leader at once).
   */
  function sleepIfHidden(): void {
    if (st.leader) leaderLeft = false;
    const follower = st.running && !st.leader && st.shared.phase !== 'ended';
    const asleep = follower && win?.document.visibilityState === 'hidden';
    tabs?.wait(!asleep || leaderLeft);
    let at = st.dueAt;
    if (asleep) {
      const silentAt = leaderSilentAt(st, config);
      if (Date.now() >= silentAt && probedFor !== silentAt) {
        probedFor = silentAt;
        tabs?.probe();
      }
      if (probedFor !== silentAt && Number.isFinite(silentAt)) at = Math.min(at ?? Infinity, silentAt);
    }
    if (at === null) timer.clear();
    else timer.set(at, !asleep);
  }

  function perform(effect: Effect): void {
    switch (effect.type) {
      case 'post':
        if (tabs) lastPost = tabs.post(effect.message);
        return;
      case 'ping': {
        const { flight } = effect;
        void transport
          .ping(flight.idleFor)
          // A custom transport that throws is treated like a network failure.
          .catch((err: unknown): PingResult => ({ kind: 'failed', error: String(err) }))
          .then((result) => {
            if (result.kind === 'failed' && result.status === 404) reportMissingApi();
            if (result.kind === 'ok') checkOwnSettings(result);
            if (result.kind === 'ok' && pushRefused) reportNoPush();
            if (result.kind === 'ok') push.allow();
            dispatch({ type: 'pinged', flight, result, jitter: Math.random() });
          });
        return;
      }
      case 'logout':
        logoutFlight = transport
          .logout(effect.reason)
          .catch(() => ({ kind: 'failed' as const }))
          .then((result) =>
            dispatch({
              type: 'loggedOut',
              ok: result.kind === 'ok',
              ended: result.kind === 'ok' ? result.ended : undefined,
              jitter: Math.random(),
            }),
          );
        return;
      case 'claim':
        tabs?.claim();
        return;
      case 'resign':
        tabs?.resign();
        return;
      case 'showWarning':
        page.warning?.show(() => expireAt(st.shared), effect.canExtend);
        return;
      case 'connectionView':
        page.notice?.set(effect.lost);
        return;
      case 'hideWarning':
        page.warning?.hide();
        return;
      case 'lockPending':
        page.lock?.lock('checking', endUrl('expired'));
        return;
      case 'unlockPending':
        page.lock?.unlock();
        return;
      case 'endView': {
        page.warning?.hide();
        page.notice?.set(false);
        // Kept in both modes: the user may close the locked tab rather than sign in again.
        const draftsKept = (page.drafts?.save(effect.reason) ?? 0) > 0;
        const inPlace = config.inPlace && effect.reason !== 'logged-out';
        page.lock?.lock(effect.reason, endUrl(effect.reason), draftsKept, inPlace);
        if (inPlace && !page.lock && win && !emitter.has('locked')) reportUnhiddenPage();
        page.stopActivity();
        return;
      }
      case 'standBy':
        standBy();
        return;
      case 'unlock':
        page.lock?.unlock();
        page.drafts?.discard();
        page.resumeActivity();
        if (effect.rejoin && tabs) elect(tabs);
        return;
      case 'reload':
        controller.stop({ keepLock: true });
        (env.reload ?? (() => win?.location.reload()))();
        return;
      case 'emit':
        emitter.emit(effect.event, effect.payload);
        return;
      case 'finish':
        finish(effect.reason);
        return;
      case 'quiet':
        controller.stop();
        return;
    }
  }

  /** Signed in, in the sign-in window: the locked tabs have heard it (once posted); it goes away. */
  function closeReloginWindow(): void {
    reloginWindow = false;
    void lastPost.then(() => {
      if (!win) return;
      // A window the browser will not let a script close (opened by a link) stays, as an ordinary one.
      win.name = '';
      win.close();
    });
  }

  /**
   * In place without a lock screen, nothing hides the ended page unless the app does: said once,
   * loudly, when it happens with nobody listening to `locked`.
   */
  function reportUnhiddenPage(): void {
    sayOnce(
      'unhidden',
      () =>
        "sessionwatch: the session ended and, with relogin: 'in-place' and no lock screen, nothing hides this page: " +
        'listen to the "locked" event to hide it (and offer client.relogin() or client.resume()), or set relogin: \'navigate\'.',
    );
  }

  /** A `pingInterval` too long for the server's `warnAfter` (in milliseconds by mistake?): said once. */
  function reportLongPingInterval(warnAfter: number): void {
    sayOnce(
      'pingInterval',
      () =>
        `sessionwatch: option "pingInterval" (${options.pingIntervalMs! / 1000}) is longer than half of the server's warnAfter (${warnAfter}): ` +
        `pinging every ${maxPingIntervalMs(warnAfter) / 1000} s instead. Both are in seconds.`,
    );
  }

  /**
   * The client's own `warnAfter` / `expireAfter` win over the server's (the page counts down with
   * them): unlike the server's, they lock the page too soon or warn too late, and the user loses
   * work. Said once, loudly, when an answer shows they differ.
   */
  function checkOwnSettings(result: { warnAfter: number; expireAfter: number }): void {
    const own = options.settings;
    if (!own || (own.warnAfter === result.warnAfter && own.expireAfter === result.expireAfter)) return;
    sayOnce(
      'settings',
      () =>
        `sessionwatch: the client's options warnAfter / expireAfter (${own.warnAfter} / ${own.expireAfter}) differ from the server's ` +
        `(${result.warnAfter} / ${result.expireAfter}). The page counts down with the client's: ` +
        (own.expireAfter > result.expireAfter
          ? 'the server ends the session before the page warns. '
          : 'the page locks before the server would end the session. ') +
        "Leave them out (the client takes the server's) or give the server's values.",
    );
  }

  /**
   * A 404 on the ping is not an outage: the server's API is elsewhere (a typo in `apiPrefix` or the
   * server's `apiPrefix`, or the middleware not mounted). Said once, loudly; the retries go on, as a
   * deployment may be under way.
   */
  function reportMissingApi(): void {
    sayOnce(
      'missingApi',
      () =>
        `sessionwatch: POST ${apiPath(options.apiPrefix, ROUTES.ping)} answered 404: the server's API is not there. ` +
        'Set the client\'s apiPrefix to the server\'s apiPrefix option (default "/session"), and check that sw.middleware() is mounted.',
    );
  }

  /**
   * The push stream was refused while the session is live: a proxy or a server without the route
   * is in the way. Said once; ends then reach the tabs at the next idle check, as before.
   */
  function reportNoPush(): void {
    pushRefused = false;
    pushBlocked = true;
    sayOnce(
      'push',
      () =>
        `sessionwatch: the push stream ${apiPath(options.apiPrefix, ROUTES.events)} could not be opened: an end of the session ` +
        "reaches this browser's tabs at the next idle check (checkInterval) instead of at once. Behind a proxy, let " +
        'text/event-stream through unbuffered (see "Push" in the README).',
    );
  }

  /** Says `message()` through console.error the first time `key` comes up in this page. */
  function sayOnce(key: string, message: () => string): void {
    if (said.has(key)) return;
    said.add(key);
    console.error(message());
  }

  /** The end is final and the server knows: leave the page (or hand over to `onEnd`). */
  function finish(reason: EndReason): void {
    // Let the end message reach the other tabs before this page goes away.
    void lastPost.then(() => {
      controller.stop({ keepLock: true });
      try {
        if (options.onEnd) options.onEnd(reason);
        else (env.navigate ?? ((url) => win?.location.assign(url)))(endUrl(reason));
      } catch (err) {
        // The app's handler failed: report it like any uncaught error, the page stays locked.
        setTimeout(() => {
          throw err;
        }, 0);
      }
    });
  }

  return controller;
}
