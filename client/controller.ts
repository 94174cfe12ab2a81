/**
 * The state machine of one tab: `active` → `warning` → `ended`, shared by all tabs. Every tab
 * tracks its own activity, keeps a copy of the shared state and locks itself at the deadline; the
 * leader tab (see {@link LeaderDuties}) talks to the server and moves the phase for everyone.
 */
import { DEFAULT_EXPIRE_AFTER, DEFAULT_WARN_AFTER, type EndReason } from '../shared/protocol';
import { Emitter } from './events';
import { LeaderDuties, type LeaderHost, type PingOutcome } from './leader';
import { currentPath, type ResolvedOptions } from './options';
import { createPage, type ControllerEnv, type Page } from './page';
import { expireAt, secondsLeft, snapshot, warnAt, type SessionWatchState, type SharedState } from './state';
import { createBroadcastTabs, type TabMessage, type Tabs } from './tabs';
import { Deadline } from './timers';
import { createFetchTransport, type Transport } from './transport';
import { wrapFetch } from './watch-fetch';

/** Seconds below which the server's newer activity is taken for network latency, not user activity. */
const SERVER_TOLERANCE_S = 1;

export class Controller implements LeaderHost {
  readonly emitter = new Emitter();
  readonly state: SharedState;
  readonly transport: Transport;
  /** `fetch` that ends the session on a 401 `session_revoked` / `session_expired` answer. */
  readonly fetch: typeof fetch;
  private isLeader = false;
  private running = false;
  private finished = false;
  private pendingLock = false;
  private nudged = false;
  private tabs: Tabs | null = null;
  private leader: LeaderDuties | null = null;
  private readonly expiryDeadline = new Deadline(() => this.scheduleLocal());
  private readonly warnDeadline = new Deadline(() => this.nudgeLeader());
  private readonly page: Page;

  constructor(readonly options: ResolvedOptions, private readonly env: ControllerEnv) {
    const settings = options.settings ?? { warnAfter: DEFAULT_WARN_AFTER, expireAfter: DEFAULT_EXPIRE_AFTER };
    this.state = { lastActivity: Date.now(), ...settings, settingsKnown: !!options.settings, phase: 'active', reason: null, confirmed: false };
    const win = env.window;
    const baseFetch = win?.fetch ? win.fetch.bind(win) : globalThis.fetch?.bind(globalThis);
    this.transport = options.transport ?? createFetchTransport({ apiPrefix: options.apiPrefix, timeoutMs: options.pingTimeoutMs, fetch: baseFetch });
    this.fetch = wrapFetch((...args) => baseFetch(...args), (reason) => this.end(reason, true));
    this.page = createPage(win, options, {
      onActivity: (at) => this.recordActivity(at),
      onWake: () => this.onWake(),
      onOnline: () => this.onOnline(),
      onStay: () => this.extend(),
      onLogout: () => void this.logout(),
    }, this.fetch);
  }

  getState(): SessionWatchState {
    return snapshot(this.state, this.isLeader, Date.now());
  }

  start(): void {
    if (this.running || this.state.phase === 'ended') return;
    this.running = true;
    this.page.restoreDrafts();
    this.page.attach();
    this.state.lastActivity = Math.max(this.state.lastActivity, Date.now());
    const tabs = (this.tabs = (this.env.tabs ?? (() => createBroadcastTabs(this.options.channelName, this.options.election)))());
    tabs.subscribe((message) => this.onMessage(message));
    tabs.elect(() => this.becomeLeader());
    void tabs.post({ type: 'hello', at: this.state.lastActivity });
    this.scheduleLocal();
  }

  /** Stops watching in this tab (another tab takes over); `keepLock` keeps an ended page hidden. */
  stop({ keepLock = false } = {}): void {
    if (!this.running) return;
    this.running = false;
    this.page.detach();
    this.expiryDeadline.clear();
    this.warnDeadline.clear();
    this.leader?.stop();
    this.leader = null;
    if (this.isLeader) {
      this.isLeader = false;
      this.emitter.emit('leader', { isLeader: false });
    }
    void this.tabs?.close();
    this.tabs = null;
    this.page.warning?.destroy();
    if (!keepLock) this.page.lock?.destroy();
  }

  /** Activity seen in this tab at `at` (epoch ms): the page's tracker calls this. */
  recordActivity(at: number): void {
    if (!this.running || !this.mergeActivity(at, true)) return;
    void this.tabs?.post({ type: 'activity', at });
  }

  /** The user is here: record activity in every tab, dismiss the warning, ping now. */
  extend(): void {
    if (!this.running || this.state.phase === 'ended') return;
    const at = Date.now();
    this.mergeActivity(at, true);
    this.dismissWarning();
    void this.tabs?.post({ type: 'activity', at, extend: true });
    this.leader?.onActivity(true);
  }

  /** Logs out now, in every tab. */
  async logout(): Promise<void> {
    if (this.state.phase === 'ended') return;
    this.lockPending();
    const result = await this.transport.logout().catch(() => ({ kind: 'failed' as const }));
    this.end('logged-out', result.kind === 'ok');
  }

  // ---- LeaderHost ------------------------------------------------------------------------------

  applyServer({ result, sentAt, sentIdle }: PingOutcome & { result: { kind: 'ok' } }): void {
    const s = this.state;
    let changed = false;
    if (!this.options.settings && (!s.settingsKnown || s.warnAfter !== result.warnAfter || s.expireAfter !== result.expireAfter)) {
      Object.assign(s, { warnAfter: result.warnAfter, expireAfter: result.expireAfter, settingsKnown: true });
      changed = true;
    }
    // The server answers our idle time unless it knows of newer activity. Its stored activity can
    // be later than the real one by an earlier ping's latency (it merges `its now - idleFor`), so
    // differences under SERVER_TOLERANCE_S are noise, not activity: they would only shift the
    // countdown by a network delay.
    if (result.idleFor < sentIdle - SERVER_TOLERANCE_S) {
      const serverActivity = Math.min(Date.now(), sentAt - result.idleFor * 1000);
      if (serverActivity > s.lastActivity) {
        s.lastActivity = serverActivity;
        changed = true;
        this.emitter.emit('activity', { at: serverActivity, local: false });
        if (Date.now() < warnAt(s)) this.dismissWarning();
      }
    }
    if (changed) {
      this.broadcastState();
      this.scheduleLocal();
    }
  }

  enterWarning(): void {
    if (this.state.phase !== 'active') return;
    this.state.phase = 'warning';
    this.page.warning?.show(() => expireAt(this.state));
    this.emitter.emit('warn', { secondsLeft: secondsLeft(this.state, Date.now()) });
    if (this.isLeader) this.broadcastState();
    this.scheduleLocal();
  }

  lockPending(): void {
    if (this.pendingLock || this.state.phase === 'ended') return;
    this.pendingLock = true;
    this.page.lock?.lock('checking', this.options.endUrl('expired', currentPath()));
  }

  /** Ends the session here and tells every tab. */
  end(reason: EndReason, confirmed: boolean): void {
    const s = this.state;
    if (s.phase === 'ended' && (s.confirmed || !confirmed)) return;
    const posted = this.tabs?.post({ type: 'end', reason: s.reason ?? reason, confirmed }) ?? Promise.resolve();
    this.endLocally(reason, confirmed, posted);
  }

  // ---- internals -------------------------------------------------------------------------------

  private onWake(): void {
    this.expiryDeadline.recheck();
    this.warnDeadline.recheck();
    this.leader?.recheck();
    this.scheduleLocal();
  }

  private onOnline(): void {
    this.leader?.onOnline();
    this.onWake();
  }

  private becomeLeader(): void {
    if (!this.running || this.leader) return;
    this.isLeader = true;
    this.emitter.emit('leader', { isLeader: true });
    this.leader = new LeaderDuties(this);
    this.leader.start();
  }

  /** Merges activity seen anywhere; false when stale, or too late (past the deadline it no longer counts). */
  private mergeActivity(at: number, local: boolean): boolean {
    const s = this.state;
    at = Math.min(at, Date.now());
    if (s.phase === 'ended' || at <= s.lastActivity || at >= expireAt(s)) return false;
    s.lastActivity = at;
    this.emitter.emit('activity', { at, local });
    this.dismissWarning();
    this.leader?.onActivity(false);
    this.scheduleLocal();
    return true;
  }

  private dismissWarning(): void {
    const s = this.state;
    if (s.phase !== 'warning' || Date.now() >= warnAt(s)) return;
    s.phase = 'active';
    this.page.warning?.hide();
    this.emitter.emit('extend', { at: s.lastActivity });
    if (this.isLeader) this.broadcastState();
  }

  private onMessage(message: TabMessage): void {
    if (!this.running) return;
    switch (message.type) {
      case 'hello':
        this.mergeActivity(message.at, false);
        if (this.isLeader) this.broadcastState();
        break;
      case 'activity':
        this.mergeActivity(message.at, false);
        if (message.extend) this.leader?.onActivity(true);
        break;
      case 'state':
        if (!this.isLeader) this.applyLeaderState(message.state);
        break;
      case 'nudge':
        this.leader?.recheck();
        break;
      case 'end':
        this.endLocally(message.reason, message.confirmed, Promise.resolve());
        break;
    }
  }

  /** A follower adopts the leader's state (activity only ever moves forward). */
  private applyLeaderState(incoming: SharedState): void {
    const s = this.state;
    if (s.phase === 'ended') return;
    if (incoming.phase === 'ended') {
      this.endLocally(incoming.reason ?? 'expired', incoming.confirmed, Promise.resolve());
      return;
    }
    s.lastActivity = Math.max(s.lastActivity, incoming.lastActivity);
    Object.assign(s, { warnAfter: incoming.warnAfter, expireAfter: incoming.expireAfter, settingsKnown: incoming.settingsKnown });
    if (incoming.phase === 'warning') this.enterWarning();
    else this.dismissWarning();
    this.scheduleLocal();
  }

  private broadcastState(): void {
    void this.tabs?.post({ type: 'state', state: { ...this.state } });
  }

  private nudgeLeader(): void {
    if (this.running && !this.isLeader) void this.tabs?.post({ type: 'nudge' });
  }

  /** Every tab: lock at the deadline (pending the leader's verdict), otherwise wait for it. */
  private scheduleLocal(): void {
    const s = this.state;
    if (!this.running || s.phase === 'ended') return;
    if (Date.now() >= expireAt(s)) {
      this.lockPending();
      if (!this.nudged) this.nudgeLeader();
      this.nudged = true;
    } else {
      this.nudged = false;
      if (this.pendingLock) {
        this.pendingLock = false;
        this.page.lock?.unlock();
      }
      this.expiryDeadline.set(expireAt(s));
      if (s.phase === 'active' && !this.isLeader) this.warnDeadline.set(warnAt(s));
    }
    this.leader?.schedule();
  }

  private endLocally(reason: EndReason, confirmed: boolean, posted: Promise<void>): void {
    const s = this.state;
    if (s.phase === 'ended') {
      if (confirmed && !s.confirmed) {
        s.confirmed = true;
        this.finish(posted);
      }
      return;
    }
    Object.assign(s, { phase: 'ended', reason, confirmed });
    this.expiryDeadline.clear();
    this.warnDeadline.clear();
    this.page.warning?.hide();
    const draftsKept = (this.page.drafts?.save() ?? 0) > 0;
    this.pendingLock = false;
    this.page.lock?.lock(reason, this.options.endUrl(reason, currentPath()), draftsKept);
    this.page.stopActivity();
    if (reason === 'expired') this.emitter.emit('expire', { at: Date.now() });
    this.emitter.emit('end', { reason });
    this.leader?.schedule();
    if (confirmed) this.finish(posted);
  }

  /** The end is final and the server knows: leave the page (or hand over to `onEnd`). */
  private finish(posted: Promise<void>): void {
    if (this.finished) return;
    this.finished = true;
    const reason = this.state.reason!;
    // Let the end message reach the other tabs before this page goes away.
    void posted.then(() => {
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
