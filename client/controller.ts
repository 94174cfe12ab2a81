/**
 * One tab's client: runs the pure {@link step} machine and performs its effects — the cross-tab
 * channel, the server requests, the page's views and the app's events — feeding their outcomes
 * back as events. Nothing here decides anything; see `machine.ts` for the rules.
 */
import { apiPath, DEFAULT_EXPIRE_AFTER, DEFAULT_WARN_AFTER, ROUTES } from '../shared/protocol';
import { Emitter } from './events';
import { initialState, step, type Effect, type MachineConfig, type MachineEvent, type TabState } from './machine';
import { currentPath, pingIntervalMs, type ResolvedClientOptions } from './options';
import { createPage, type ControllerEnv, type Page } from './page';
import { expireAt, snapshot, type SessionWatchState } from './state';
import { connectTabs } from './connect-tabs';
import type { Tabs } from './tabs';
import { Deadline } from './timers';
import { isReloginWindow, openReloginWindow } from './relogin';
import { createFetchTransport, type PingResult, type Transport } from './transport';
import { wrapFetch } from './watch-fetch';

function randomId(): string {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

export class Controller {
  /** @internal */
  readonly emitter = new Emitter();
  readonly transport: Transport;
  /** `fetch` that ends the session on a 401 `session_revoked` / `session_expired` answer. */
  readonly fetch: typeof fetch;
  private st: TabState;
  private readonly config: MachineConfig;
  private tabs: Tabs | null = null;
  private readonly page: Page;
  private readonly timer = new Deadline(() => this.dispatch({ type: 'tick' }));
  /** Events that arrive while one is being handled wait their turn (effects may call back). */
  private readonly queue: MachineEvent[] = [];
  private dispatching = false;
  /** The last message posted: a page leaves only once its end message is out. */
  private lastPost: Promise<void> = Promise.resolve();
  private logoutFlight: Promise<void> | null = null;
  /** In the back/forward cache: out of the channel and the election until restored. */
  private suspended = false;
  private missingApiReported = false;
  private unhiddenReported = false;
  /** This page is the sign-in window of a re-login in place: it closes once signed in. */
  private reloginWindow: boolean;

  constructor(
    readonly options: ResolvedClientOptions,
    private readonly env: ControllerEnv,
  ) {
    const settings = options.settings ?? { warnAfter: DEFAULT_WARN_AFTER, expireAfter: DEFAULT_EXPIRE_AFTER };
    this.st = initialState(randomId(), {
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
    this.config = {
      pingIntervalMs: (warnAfter) => pingIntervalMs(options, warnAfter),
      checkIntervalMs: options.checkIntervalMs,
      fixedSettings: !!options.settings,
      // On the wall clock the machine uses (the page's time origin, as Date.now() counts).
      loadedAt: Date.now() - (globalThis.performance?.now() ?? 0),
      inPlace: options.relogin === 'in-place',
    };
    const win = env.window;
    this.reloginWindow = isReloginWindow(win);
    const baseFetch = win?.fetch ? win.fetch.bind(win) : globalThis.fetch?.bind(globalThis);
    this.transport =
      options.transport ?? createFetchTransport({ apiPrefix: options.apiPrefix, timeoutMs: options.pingTimeoutMs, fetch: baseFetch });
    this.fetch = wrapFetch(
      (...args) => baseFetch(...args),
      (reason) => this.dispatch({ type: 'ended', reason }),
    );
    this.page = createPage(
      win,
      options,
      {
        onActivity: (at) => this.dispatch({ type: 'activity', at }),
        onWake: () => this.dispatch({ type: 'wake' }),
        onOnline: () => this.dispatch({ type: 'wake', online: true }),
        onSuspend: () => this.suspend(),
        onRestore: () => this.restore(),
        onStay: () => this.extend(),
        onLogout: () => void this.logout(),
      },
      this.fetch,
    );
  }

  getState(): SessionWatchState {
    const { st } = this;
    return snapshot(st.shared, st.leader, Date.now(), (st.shared.phase === 'ended' && !st.quiet) || st.pendingLock !== null);
  }

  start(): void {
    if (this.st.running || this.st.shared.phase === 'ended') return;
    // The sign-in window is a passer-by: the drafts belong to the locked page that opened it.
    if (!this.reloginWindow) this.page.restoreDrafts();
    this.page.attach();
    this.connect();
  }

  /** Stops watching in this tab (another tab takes over); `keepLock` keeps an ended page hidden. */
  stop({ keepLock = false } = {}): void {
    if (!this.st.running && !this.suspended) return;
    this.suspended = false;
    this.disconnect();
    this.page.detach();
    this.page.warning?.destroy();
    this.page.notice?.destroy();
    if (!keepLock) this.page.lock?.destroy();
  }

  /** Activity seen in this tab at `at` (epoch ms): the page's tracker calls this. */
  recordActivity(at: number): void {
    this.dispatch({ type: 'activity', at });
  }

  /** The user is here: record activity in every tab, dismiss the warning, ping now. */
  extend(): void {
    this.dispatch({ type: 'extend' });
  }

  /** Logs out now, in every tab. */
  async logout(): Promise<void> {
    this.dispatch({ type: 'logout' });
    await this.logoutFlight;
  }

  /**
   * Opens the login page (`endUrl`) in the sign-in window, as the lock's "Sign in again" does;
   * call it from a click (browsers block popups otherwise). Null without a window, when blocked,
   * or while the session has not ended.
   */
  relogin(): Window | null {
    const win = this.env.window;
    // Only an ended session has anything to sign in again to (a quiet page has its own login).
    if (!win || this.st.shared.phase !== 'ended' || this.st.quiet) return null;
    return openReloginWindow(win, this.options.endUrl(this.st.shared.reason ?? 'expired', currentPath()));
  }

  /** The app's own login UI succeeded: a locked tab asks the server now, and every tab unlocks if the same user signed in. */
  resume(): void {
    this.dispatch({ type: 'resume' });
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Joins the channel and the election. */
  private connect(): void {
    const tabs = this.listen();
    this.dispatch({ type: 'start' });
    this.elect(tabs);
  }

  /** Joins the channel (only: a locked tab listens without standing for leader). */
  private listen(): Tabs {
    const tabs = (this.tabs = (this.env.tabs ?? (() => connectTabs(this.options.channelName, this.options.election)))());
    tabs.subscribe((message) => this.tabs === tabs && this.dispatch({ type: 'message', message }));
    return tabs;
  }

  private elect(tabs: Tabs): void {
    tabs.elect(
      () => this.tabs === tabs && this.dispatch({ type: 'elected' }),
      () => this.tabs === tabs && this.dispatch({ type: 'demoted' }),
    );
  }

  /** Ended in place: out of the election (another page of the user's leads), still listening. */
  private standBy(): void {
    const old = this.tabs;
    if (!old) return;
    this.listen();
    void old.close();
  }

  private disconnect(): void {
    this.dispatch({ type: 'stop' });
    this.timer.clear();
    void this.tabs?.close();
    this.tabs = null;
  }

  /** Entering the back/forward cache: give up the leadership and the channel (both block the cache). */
  private suspend(): void {
    if (!this.st.running) return;
    this.disconnect();
    this.suspended = true;
  }

  /** Restored from the back/forward cache: rejoin, and let the others and the server say where things stand. */
  private restore(): void {
    if (!this.suspended) return;
    this.suspended = false;
    this.connect();
    this.dispatch({ type: 'wake', restored: true });
  }

  private dispatch(event: MachineEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const { state, effects } = step(this.st, next, Date.now(), this.config);
        this.st = state;
        for (const effect of effects) this.perform(effect);
      }
    } finally {
      this.dispatching = false;
    }
    if (this.reloginWindow && this.st.shared.reported > 0 && this.st.shared.phase !== 'ended') this.closeReloginWindow();
    const at = this.st.dueAt;
    if (at === null) this.timer.clear();
    else this.timer.set(at);
  }

  private perform(effect: Effect): void {
    const { page, options } = this;
    switch (effect.type) {
      case 'post':
        if (this.tabs) this.lastPost = this.tabs.post(effect.message);
        return;
      case 'ping': {
        const { flight } = effect;
        void this.transport
          .ping(flight.idleFor)
          // A custom transport that throws is treated like a network failure.
          .catch((err: unknown): PingResult => ({ kind: 'failed', error: String(err) }))
          .then((result) => {
            if (result.kind === 'failed' && result.status === 404) this.reportMissingApi();
            this.dispatch({ type: 'pinged', flight, result, jitter: Math.random() });
          });
        return;
      }
      case 'logout':
        this.logoutFlight = this.transport
          .logout(effect.reason)
          .catch(() => ({ kind: 'failed' as const }))
          .then((result) => this.dispatch({ type: 'loggedOut', ok: result.kind === 'ok', jitter: Math.random() }));
        return;
      case 'claim':
        this.tabs?.claim();
        return;
      case 'resign':
        this.tabs?.resign();
        return;
      case 'showWarning':
        page.warning?.show(() => expireAt(this.st.shared), effect.canExtend);
        return;
      case 'connectionView':
        page.notice?.set(effect.lost);
        return;
      case 'hideWarning':
        page.warning?.hide();
        return;
      case 'lockPending':
        page.lock?.lock('checking', options.endUrl('expired', currentPath()));
        return;
      case 'unlockPending':
        page.lock?.unlock();
        return;
      case 'endView': {
        page.warning?.hide();
        page.notice?.set(false);
        // Kept in both modes: the user may close the locked tab rather than sign in again.
        const draftsKept = (page.drafts?.save() ?? 0) > 0;
        const inPlace = this.config.inPlace && effect.reason !== 'logged-out';
        page.lock?.lock(effect.reason, options.endUrl(effect.reason, currentPath()), draftsKept, inPlace);
        if (inPlace && !page.lock && this.env.window && !this.emitter.has('locked')) this.reportUnhiddenPage();
        page.stopActivity();
        return;
      }
      case 'standBy':
        this.standBy();
        return;
      case 'unlock':
        page.lock?.unlock();
        page.drafts?.discard();
        page.resumeActivity();
        if (effect.rejoin && this.tabs) this.elect(this.tabs);
        return;
      case 'reload':
        this.stop({ keepLock: true });
        (this.env.reload ?? (() => this.env.window?.location.reload()))();
        return;
      case 'emit':
        this.emitter.emit(effect.event, effect.payload);
        return;
      case 'finish':
        this.finish(effect.reason);
        return;
      case 'quiet':
        this.stop();
        return;
    }
  }

  /** Signed in, in the sign-in window: the locked tabs have heard it (once posted); it goes away. */
  private closeReloginWindow(): void {
    const win = this.env.window;
    this.reloginWindow = false;
    void this.lastPost.then(() => {
      if (!win) return;
      // A window the browser will not let a script close (opened by a link) stays, as an ordinary one.
      win.name = '';
      win.close();
    });
  }

  /**
   * In place without the lock screen, nothing hides the ended page unless the app does: said once,
   * loudly, when it happens with nobody listening to `locked`.
   */
  private reportUnhiddenPage(): void {
    if (this.unhiddenReported) return;
    this.unhiddenReported = true;
    console.error(
      "sessionwatch: the session ended and, with relogin: 'in-place' and lock: false (or ui: false), nothing hides this page: " +
        'listen to the "locked" event to hide it and offer to sign in again (client.relogin() from a click, or your login UI then client.resume()), ' +
        "or keep the default lock screen, or set relogin: 'navigate'.",
    );
  }

  /**
   * A 404 on the ping is not an outage: the server's API is elsewhere (a typo in `apiPrefix` or the
   * server's `apiPrefix`, or the middleware not mounted). Said once, loudly; the retries go on, as a
   * deployment may be under way.
   */
  private reportMissingApi(): void {
    if (this.missingApiReported) return;
    this.missingApiReported = true;
    console.error(
      `sessionwatch: POST ${apiPath(this.options.apiPrefix, ROUTES.ping)} answered 404: the server's API is not there. ` +
        'Set the client\'s apiPrefix to the server\'s apiPrefix option (default "/session"), and check that sw.middleware() is mounted.',
    );
  }

  /** The end is final and the server knows: leave the page (or hand over to `onEnd`). */
  private finish(reason: Parameters<NonNullable<ResolvedClientOptions['onEnd']>>[0]): void {
    // Let the end message reach the other tabs before this page goes away.
    void this.lastPost.then(() => {
      this.stop({ keepLock: true });
      try {
        if (this.options.onEnd) this.options.onEnd(reason);
        else (this.env.navigate ?? ((url) => this.env.window?.location.assign(url)))(this.options.endUrl(reason, currentPath()));
      } catch (err) {
        // The app's handler failed: report it like any uncaught error, the page stays locked.
        setTimeout(() => {
          throw err;
        }, 0);
      }
    });
  }
}
