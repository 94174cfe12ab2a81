/**
 * Property test of the tab machine: a simulated browser (tabs that can be opened, closed,
 * crashed, frozen and thawed; a channel; a Web Lock that can be stolen; a network that can fail)
 * around a simulated server, on a simulated clock, driven by random scripts. After every step:
 * - the server never expires a session while a running tab had activity within
 *   `expireAfter − pingInterval` (activity younger than one network round trip excepted: it
 *   cannot have reached the server; in a tab that never had an answer, so cannot know the
 *   deadline, activity younger than the takeover bound);
 * - a tab never ends without the server's word, unless the server is unreachable;
 * - while the server is unreachable, no tab pings more than {@link MAX_OFFLINE_PINGS_PER_S} times
 *   in any second (failed requests back off, whoever sends them);
 * and once the script is over and every tab is thawed and online:
 * - all tabs end together, with one reason;
 * - with healthy tabs and an active user, exactly one tab pings;
 * - one push stream in the browser while the session is live (the leader's), none once it ended.
 *
 * The server pushes its ends: the leader holds the push stream (the real `client/push.ts`, over a
 * simulated EventSource, synced after every step as the controller does), and an end on the server
 * reaches it as `{ type: 'ended', confirmed: false }`, which it confirms with a ping. A stream
 * opened on an ended session is refused (the tab asks the server, as the controller's `onRefused`);
 * while offline a stream hears nothing, and back online it reconnects, or is refused if the session
 * ended meanwhile.
 */
import fc from 'fast-check';
import type { EndReason } from '../shared/protocol';
import {
  initialState,
  step,
  TAKEOVER_GRACE_MS,
  takeoverBoundMs,
  type Effect,
  type MachineConfig,
  type MachineEvent,
  type TabMessage,
  type TabState,
} from './machine';
import type { PingResult } from './transport';
import { createPushStream, type PushStream } from './push';
import { PUSH_EVENTS, type PushEnded } from '../shared/protocol';
import { assertProperty } from '../test/support/property-seeds';

const WARN = 4;
const EXPIRE = 8;
const PING_INTERVAL_MS = 1000;
/** The real server ends an idle session `expireAfter + touchInterval` after its stored activity. */
const TOUCH_MS = (EXPIRE / 20) * 1000;
const NET_MS = 20; // one way
const MESSAGE_MS = 1;
const PING_TIMEOUT_MS = 1000;
/**
 * A browser fails an offline request at once: without a backoff a tab would ping in a loop (25 a
 * second here). A retry, a deadline check and an end's confirmation may fall in one second.
 */
const MAX_OFFLINE_PINGS_PER_S = 5;

/** The one session of the simulation. */
const SESSION = { id: 's1', createdAt: 0, user: 'u1' };

const navigateConfig: MachineConfig = {
  pingIntervalMs: () => PING_INTERVAL_MS,
  checkIntervalMs: 5000,
  fixedSettings: false,
  loadedAt: 0,
  inPlace: false,
  loginPage: false,
};
const inPlaceConfig: MachineConfig = { ...navigateConfig, inPlace: true };

type Action =
  | { kind: 'activity'; tab: number; ms: number }
  | { kind: 'idle'; ms: number }
  | { kind: 'open' }
  | { kind: 'close'; tab: number }
  | { kind: 'crash'; tab: number }
  | { kind: 'freeze'; tab: number }
  | { kind: 'thaw'; tab: number }
  | { kind: 'offline' }
  | { kind: 'online' }
  | { kind: 'revoke' }
  /** A proxy starts (or stops) refusing the push stream: ends wait for a ping or a check again. */
  | { kind: 'blockPush' }
  /** The same user signs in again (in a new tab): a new session; in place, the locked tabs carry on with it. */
  | { kind: 'signIn' };

interface SimTab {
  index: number;
  /** Opened after the session ended: a page of a logged-out browser. */
  late: boolean;
  st: TabState;
  /** The world's, with when this page was loaded. */
  config: MachineConfig;
  alive: boolean;
  frozen: boolean;
  timerAt: number | null;
  /** Events waiting for the tab to run (a frozen tab queues everything), or work of its page (a stream's event). */
  inbox: ({ at: number; event: MachineEvent } | { at: number; run: () => void })[];
  /** The page's push stream (client/push.ts), held while it leads a live session. */
  push: PushStream;
  /** Local activity the machine accepted (emitted as `activity` with `local`). */
  accepted: number[];
  pings: number[];
  /** Pings sent while the network was down. */
  offlinePings: number[];
  /** Warnings shown (when, and whether activity could extend them). */
  warned: { at: number; canExtend: boolean }[];
  /** Connection changes told to the app. */
  connection: boolean[];
  ended: { reason: EndReason; at: number; serverEnded: boolean } | null;
}

/** The part of EventSource that client/push.ts uses; the world emits its events. */
class SimEventSource {
  readonly CLOSED = 2;
  readyState = 0;
  private listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.readyState = this.CLOSED;
  }
  emit(type: string, data: string): void {
    if (this.readyState === this.CLOSED) return;
    if (type === PUSH_EVENTS.open) this.readyState = 1;
    for (const listener of this.listeners.get(type) ?? []) listener({ data } as MessageEvent<string>);
  }
  /** An HTTP error (the session ended, or another's): the browser gives up. */
  fail(): void {
    if (this.readyState === this.CLOSED) return;
    this.readyState = this.CLOSED;
    for (const listener of this.listeners.get('error') ?? []) listener({ data: '' } as MessageEvent<string>);
  }
}

class World {
  constructor(readonly config: MachineConfig = navigateConfig) {}
  now = Date.UTC(2030, 0, 1);
  tabs: SimTab[] = [];
  online = true;
  /** Last time the network was down (an end without the server's word needs it). */
  offlineAt = -Infinity;
  /** Since when the network is down, and the periods it was. */
  downSince = Infinity;
  outages: [number, number][] = [];
  server = {
    lastActivity: this.now,
    ended: null as EndReason | null,
    endedAt: 0,
    maxAgeEndsAt: null as number | null,
    endedByMaxAge: false,
    session: { ...SESSION },
  };
  /** Lock holder and queue, like Web Locks. */
  holder: SimTab | null = null;
  queue: SimTab[] = [];
  violations: string[] = [];

  open(): void {
    const tab: SimTab = {
      index: this.tabs.length,
      late: this.server.ended !== null,
      // The navigation started a network leg before the server served the page (now): its time origin.
      config: { ...this.config, loadedAt: this.now - NET_MS },
      st: initialState(`t${this.tabs.length}`, {
        lastActivity: this.now,
        warnAfter: 1740,
        expireAfter: 1800,
        settingsKnown: false,
        phase: 'active',
        reason: null,
        confirmed: false,
        reported: 0,
        maxAgeEndsAt: null,
        lostSince: null,
        triedAt: 0,
        session: null,
      }),
      alive: true,
      frozen: false,
      timerAt: null,
      inbox: [],
      push: null!,
      accepted: [],
      pings: [],
      offlinePings: [],
      warned: [],
      connection: [],
      ended: null,
    };
    tab.push = this.pushStream(tab);
    this.tabs.push(tab);
    // Loading the page is a request of the session: activity on the server.
    if (!this.server.ended && this.online) this.server.lastActivity = this.now;
    this.run(tab, { type: 'start' });
    this.enqueueLock(tab);
  }

  enqueueLock(tab: SimTab): void {
    if (!this.queue.includes(tab)) this.queue.push(tab);
    this.grant();
  }

  private grant(): void {
    if (this.holder || !this.queue.length) return;
    this.holder = this.queue.shift()!;
    this.deliver(this.holder, MESSAGE_MS, { type: 'elected' });
  }

  private release(tab: SimTab): void {
    this.queue = this.queue.filter((t) => t !== tab);
    if (this.holder === tab) {
      this.holder = null;
      this.grant();
    }
  }

  close(tab: SimTab): void {
    if (!tab.alive) return;
    if (!tab.frozen) this.run(tab, { type: 'stop' });
    this.crash(tab);
  }

  /** The page is gone: its lock and its stream with it. */
  crash(tab: SimTab): void {
    tab.alive = false;
    this.release(tab);
    tab.push.sync(false);
  }

  deliver(tab: SimTab, delay: number, event: MachineEvent): void {
    if (tab.alive) tab.inbox.push({ at: this.now + delay, event });
  }

  /** One event into one tab, and its effects into the world. */
  trace = false;

  /** Work done right after the current step (the controller's reactions to an effect). */
  queueMicro: (() => void)[] = [];

  run(tab: SimTab, event: MachineEvent): void {
    if (!tab.alive) return;
    this.page(tab, () => this.runOne(tab, event));
  }

  /** Work in the tab's page, then the controller's reactions to it. */
  private page(tab: SimTab, work: () => void): void {
    if (!tab.alive) return;
    work();
    for (let next = this.queueMicro.shift(); next; next = this.queueMicro.shift()) next();
  }

  private runOne(tab: SimTab, event: MachineEvent): void {
    const { state, effects } = step(tab.st, event, this.now, tab.config);
    if (this.trace) console.log(this.now - this.base, tab.index, JSON.stringify(event), effects.map((e) => JSON.stringify(e)).join(' '));
    tab.st = state;
    for (const effect of effects) this.perform(tab, effect);
    tab.timerAt = tab.st.dueAt;
    // As the controller, after every event: one stream per browser, the leader's, while the session is live.
    const st = tab.st;
    tab.push.sync(tab.alive && st.running && st.leader && st.shared.phase !== 'ended' && !st.quiet);
  }

  /** A proxy refuses every stream. */
  pushBlocked = false;
  /** Streams open on the server: the tab's page, its EventSource, and the session it is of. */
  streams: { tab: SimTab; source: SimEventSource; session: string }[] = [];
  /** Streams that were open when the network went down: they reconnect when it is back. */
  dropped: { tab: SimTab; source: SimEventSource; session: string }[] = [];

  /** The page's push stream over a simulated EventSource whose events reach the page as it runs. */
  private pushStream(tab: SimTab): PushStream {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const world = this;
    class Source extends SimEventSource {
      constructor(_url: string) {
        super();
        // The server answers a network leg later: the stream is the session's, or refused (ended).
        world.onPage(tab, 2 * NET_MS, () => world.connect(tab, this));
      }
      override close(): void {
        super.close();
        world.streams = world.streams.filter((s) => s.source !== this);
        world.dropped = world.dropped.filter((s) => s.source !== this);
      }
    }
    return createPushStream({
      url: '/session/events',
      EventSource: Source as unknown as typeof EventSource,
      now: () => world.now,
      onEnded: (reason) => world.run(tab, { type: 'ended', reason, confirmed: false }),
      // The controller asks the server (its answer says whether the session ended).
      onRefused: () => world.run(tab, { type: 'wake', restored: true }),
    });
  }

  /** A stream reaches the server (or not): open on the live session, else refused. */
  connect(tab: SimTab, source: SimEventSource): void {
    if (source.readyState === source.CLOSED) return;
    if (!this.online) {
      // No network: the browser keeps trying, and gets through once it is back.
      this.dropped.push({ tab, source, session: this.server.session.id });
      return;
    }
    if (this.server.ended || this.pushBlocked) return source.fail();
    this.streams.push({ tab, source, session: this.server.session.id });
    source.emit(PUSH_EVENTS.open, JSON.stringify({ session: this.server.session.id }));
  }

  /** Work of the tab's page (not of its machine) `delay` ms from now, when the page runs. */
  onPage(tab: SimTab, delay: number, run: () => void): void {
    if (tab.alive) tab.inbox.push({ at: this.now + delay, run });
  }

  private perform(tab: SimTab, effect: Effect): void {
    switch (effect.type) {
      case 'post':
        for (const other of this.tabs)
          if (other !== tab) this.deliver(other, MESSAGE_MS, { type: 'message', message: structuredClone<TabMessage>(effect.message) });
        return;
      case 'ping': {
        tab.pings.push(this.now);
        if (!this.online) tab.offlinePings.push(this.now);
        // Offline, a browser fails a request at once.
        const result: PingResult = this.online
          ? this.serverPing(effect.flight.idleFor, this.now + NET_MS)
          : { kind: 'failed', error: 'offline' };
        // The controller lets the stream open again once the server said the session is live.
        if (result.kind === 'ok') this.onPage(tab, 2 * NET_MS, () => tab.push.allow());
        this.deliver(tab, 2 * NET_MS, { type: 'pinged', flight: effect.flight, result, jitter: 0.5 });
        return;
      }
      case 'logout': {
        const ok = this.online;
        // As the server: a logout of a session that had ended already says why (Session-Ended).
        const ended = ok && this.server.ended && this.server.ended !== 'logged-out' ? this.server.ended : undefined;
        if (ok)
          this.serverEnd(
            effect.reason === 'expired' && this.now - this.server.lastActivity >= (EXPIRE - 1) * 1000 ? 'expired' : 'logged-out',
          );
        this.deliver(tab, 2 * NET_MS, { type: 'loggedOut', ok, ended, jitter: 0.5 });
        return;
      }
      case 'claim': {
        if (this.holder === tab) return;
        const old = this.holder;
        this.queue = this.queue.filter((t) => t !== tab);
        this.holder = tab;
        this.deliver(tab, MESSAGE_MS, { type: 'elected' });
        if (old) {
          this.deliver(old, MESSAGE_MS, { type: 'demoted' });
          this.queue.push(old);
        }
        return;
      }
      case 'resign':
        if (this.holder === tab) {
          this.holder = null;
          this.queue.push(tab);
          this.grant();
        }
        return;
      case 'emit':
        if (effect.event === 'activity' && effect.payload.local) tab.accepted.push(effect.payload.at);
        if (effect.event === 'warn') tab.warned.push({ at: this.now, canExtend: effect.payload.canExtend });
        if (effect.event === 'connection') tab.connection.push(effect.payload.lost);
        return;
      case 'quiet':
        // The controller stops: out of the channel and the election.
        this.queueMicro.push(() => this.close(tab));
        return;
      case 'endView':
        tab.ended = { reason: effect.reason, at: this.now, serverEnded: this.sessionEnded(tab) };
        return;
      case 'finish':
        // The page leaves (for the login page): the browser releases its lock as it unloads. It
        // stays here to be checked, as the page it was.
        this.queueMicro.push(() => this.release(tab));
        return;
      case 'standBy':
        // The controller leaves the election, and stays on the channel.
        this.queueMicro.push(() => this.release(tab));
        return;
      case 'unlock':
        tab.ended = null;
        if (effect.rejoin) this.queueMicro.push(() => this.enqueueLock(tab));
        return;
      case 'reload':
        // This world has one user: only a page that never learnt its session may be reloaded
        // (whose page it was cannot be told). The page is replaced by a fresh one.
        if (tab.st.shared.session !== null) this.violations.push(`tab ${tab.index} reloaded at ${this.now - this.base}`);
        this.queueMicro.push(() => {
          this.close(tab);
          this.open();
        });
        return;
      default:
        return;
    }
  }

  private serverPing(idleFor: number, at: number): PingResult {
    this.serverSweep(at);
    const s = this.server;
    if (s.ended) return { kind: 'ended', reason: s.ended, endedFor: Math.max(0, at - s.endedAt) / 1000 };
    s.lastActivity = Math.max(s.lastActivity, at - idleFor * 1000);
    if (at - s.lastActivity >= (EXPIRE - 1) * 1000) {
      this.serverEnd('expired', at);
      return { kind: 'ended', reason: 'expired' };
    }
    const maxAgeLeft = s.maxAgeEndsAt === null ? null : (s.maxAgeEndsAt - at) / 1000;
    return {
      kind: 'ok',
      idleFor: (at - s.lastActivity) / 1000,
      warnAfter: WARN,
      expireAfter: EXPIRE,
      maxAgeLeft,
      session: { ...s.session },
    };
  }

  /** Sessions the server ended (a sign-in starts another one). */
  endedSessions = new Set<string>();

  /** True when the server ended the tab's session (any, for a tab that never learnt which). */
  private sessionEnded(tab: SimTab): boolean {
    const id = tab.st.shared.session?.id;
    return this.server.ended !== null || (id === undefined ? this.endedSessions.size > 0 : this.endedSessions.has(id));
  }

  serverEnd(reason: EndReason, at = this.now): void {
    if (this.server.ended) return;
    this.endedSessions.add(this.server.session.id);
    this.server.ended = reason;
    this.server.endedAt = at;
    // Pushed to the session's streams, a network leg later (none while the network is down: they reconnect).
    const id = this.server.session.id;
    for (const { tab, source } of this.streams.filter((s) => s.session === id)) {
      this.onPage(tab, NET_MS, () => source.emit(PUSH_EVENTS.ended, JSON.stringify({ reason } satisfies PushEnded)));
    }
    this.streams = this.streams.filter((s) => s.session !== id);
    if (reason !== 'expired' || this.server.endedByMaxAge) return;
    // The invariant: no running tab had (reportable) activity within expireAfter − pingInterval.
    for (const tab of this.tabs) {
      if (!tab.alive || tab.frozen) continue;
      // Activity that had no network to reach the server by `at` does not count.
      const reachable = (a: number) => (this.online || this.downSince > at) && this.outages.every(([from, to]) => to < a || from > at);
      // A tab that never had an answer does not know the deadline: its activity reaches the server
      // within the takeover bound, not ahead of a deadline it cannot see.
      const unseen = (a: number) => tab.st.shared.reported === 0 && at - a < takeoverBoundMs(PING_INTERVAL_MS);
      const recent = tab.accepted.filter(
        (a) => at - a < EXPIRE * 1000 - PING_INTERVAL_MS && a <= at - 2 * NET_MS - MESSAGE_MS && reachable(a) && !unseen(a),
      );
      if (recent.length)
        this.violations.push(
          `server expired at ${at - this.base} while tab ${tab.index} had activity at ${recent.map((a) => a - this.base).join(', ')}`,
        );
    }
  }

  /** The server's own sweep: idle past `expireAfter + touchInterval`, or past `maxAge`. */
  serverSweep(at = this.now): void {
    const { maxAgeEndsAt } = this.server;
    if (!this.server.ended && maxAgeEndsAt !== null && at >= maxAgeEndsAt) {
      this.server.endedByMaxAge = true;
      this.serverEnd('expired', maxAgeEndsAt);
    }
    if (!this.server.ended && at >= this.server.lastActivity + EXPIRE * 1000 + TOUCH_MS)
      this.serverEnd('expired', this.server.lastActivity + EXPIRE * 1000 + TOUCH_MS);
  }

  readonly base = this.now;

  /** Runs every due event and timer up to `until`. */
  advance(until: number): void {
    for (;;) {
      let next = until;
      for (const tab of this.tabs) {
        if (!tab.alive || tab.frozen) continue;
        for (const item of tab.inbox) next = Math.min(next, item.at);
        if (tab.timerAt !== null) next = Math.min(next, tab.timerAt);
      }
      const sweepAt = Math.min(this.server.lastActivity + EXPIRE * 1000 + TOUCH_MS, this.server.maxAgeEndsAt ?? Infinity);
      if (!this.server.ended && sweepAt <= next) {
        this.now = Math.max(this.now, sweepAt);
        this.serverSweep();
      }
      this.now = Math.max(this.now, next);
      let ran = false;
      for (const tab of this.tabs) {
        if (!tab.alive || tab.frozen) continue;
        const due = tab.inbox.filter((item) => item.at <= this.now);
        if (due.length) {
          tab.inbox = tab.inbox.filter((item) => item.at > this.now);
          for (const item of due) {
            if ('run' in item) this.page(tab, item.run);
            else this.run(tab, item.event);
          }
          ran = true;
        }
        if (tab.timerAt !== null && tab.timerAt <= this.now) {
          tab.timerAt = null;
          this.run(tab, { type: 'tick' });
          ran = true;
        }
      }
      if (!ran && next >= until) return;
    }
  }

  act(action: Action): void {
    const live = this.tabs.filter((t) => t.alive);
    const pick = (i: number) => (live.length ? live[i % live.length] : null);
    switch (action.kind) {
      case 'activity': {
        const tab = pick(action.tab);
        const end = this.now + action.ms;
        while (this.now < end) {
          if (tab && !tab.frozen) this.run(tab, { type: 'activity', at: this.now });
          this.advance(this.now + 250);
        }
        return;
      }
      case 'idle':
        this.advance(this.now + action.ms);
        return;
      case 'open':
        if (live.length < 4) this.open();
        return;
      case 'close': {
        const tab = pick(action.tab);
        if (tab && live.length > 1) this.close(tab);
        return;
      }
      case 'crash': {
        const tab = pick(action.tab);
        if (tab && live.length > 1) this.crash(tab);
        return;
      }
      case 'freeze': {
        const tab = pick(action.tab);
        if (tab) tab.frozen = true;
        return;
      }
      case 'thaw': {
        const tab = pick(action.tab);
        if (tab) this.thaw(tab);
        return;
      }
      case 'offline':
        if (this.online) this.downSince = this.now;
        this.online = false;
        // The open streams drop (the browser reconnects when the network is back).
        this.dropped.push(...this.streams);
        this.streams = [];
        return;
      case 'online':
        if (!this.online) {
          this.offlineAt = this.now;
          this.outages.push([this.downSince, this.now]);
        }
        this.online = true;
        for (const tab of live) this.deliver(tab, 0, { type: 'wake', online: true });
        // Reconnected, with the browser's cookie: the stream is its session's again, or refused (it ended meanwhile).
        for (const { tab, source } of this.dropped.splice(0)) this.onPage(tab, 2 * NET_MS, () => this.connect(tab, source));
        return;
      case 'revoke':
        this.serverEnd('revoked');
        return;
      case 'blockPush':
        this.pushBlocked = !this.pushBlocked;
        // A proxy put in the way cuts the open streams (the browser tries again, and is refused).
        if (this.pushBlocked) for (const { tab, source } of this.streams.splice(0)) this.onPage(tab, NET_MS, () => source.fail());
        return;
      case 'signIn': {
        // In a new tab: none when the network is down or four are open.
        if (!this.online || live.length >= 4) return;
        const n = Number(this.server.session.id.slice(1)) + 1;
        Object.assign(this.server, {
          lastActivity: this.now,
          ended: null,
          endedAt: 0,
          maxAgeEndsAt: null,
          endedByMaxAge: false,
          session: { id: `s${n}`, createdAt: this.now, user: SESSION.user },
        });
        this.open();
        return;
      }
    }
  }

  thaw(tab: SimTab): void {
    if (!tab.frozen) return;
    tab.frozen = false;
    this.deliver(tab, 0, { type: 'wake' });
  }

  /** Checks made after every step. */
  checkSteps(): void {
    for (const tab of this.tabs) {
      const burst = tab.offlinePings.findIndex((at, i) => (tab.offlinePings[i + MAX_OFFLINE_PINGS_PER_S] ?? Infinity) - at < 1000);
      if (burst >= 0)
        this.violations.push(
          `tab ${tab.index} pinged more than ${MAX_OFFLINE_PINGS_PER_S} times in a second while offline, from ${tab.offlinePings[burst] - this.base}`,
        );
      const e = tab.ended;
      const unreachable = !this.online || (e !== null && e.at - this.offlineAt < EXPIRE * 1000 + PING_TIMEOUT_MS);
      if (e && !e.serverEnded && !(e.reason === 'expired' && unreachable)) {
        this.violations.push(`tab ${tab.index} ended (${e.reason}) at ${e.at - this.base} without the server's word while online`);
      }
    }
  }
}

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('activity' as const), tab: fc.nat(7), ms: fc.integer({ min: 250, max: 6000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('idle' as const), ms: fc.integer({ min: 100, max: 12_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'open' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), tab: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), tab: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('freeze' as const), tab: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('thaw' as const), tab: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'offline' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'online' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'revoke' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'blockPush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'signIn' as const }) },
);

/** No absolute end in most runs; else one within the run's length. */
const maxAgeArb = fc.option(fc.integer({ min: 5_000, max: 120_000 }), { freq: 3 });

function simulate(
  tabs: number,
  actions: Action[],
  settle: { activeTab: number; maxAgeMs?: number | null; inPlace?: boolean },
  trace = false,
): World {
  const world = new World(settle.inPlace ? inPlaceConfig : navigateConfig);
  // Leaving at the end, a tab does not come back: signing in again is the in-place story.
  if (!settle.inPlace) actions = actions.filter((a) => a.kind !== 'signIn');
  world.trace = trace;
  if (settle.maxAgeMs != null) world.server.maxAgeEndsAt = world.now + settle.maxAgeMs;
  for (let i = 0; i < tabs; i++) world.open();
  world.advance(world.now + 100);
  for (const action of actions) {
    if (world.trace) console.log('ACT', world.now - world.base, JSON.stringify(action));
    world.act(action);
    world.checkSteps();
    if (world.violations.length) return world;
  }
  // Settle: everything thawed and online, the user active in one tab.
  world.act({ kind: 'online' });
  for (const tab of world.tabs) world.thaw(tab);
  world.act({ kind: 'activity', tab: settle.activeTab, ms: 4 * TAKEOVER_GRACE_MS });
  // An end on the server in the last instant (the absolute end) reaches the tabs within a grace.
  if (world.server.ended) world.advance(world.now + TAKEOVER_GRACE_MS);
  world.checkSteps();
  return world;
}

test('random lifecycles: the server never expires an active session, tabs end together, one pinger at steady state', () => {
  assertProperty(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(actionArb, { maxLength: 30 }),
      fc.nat(7),
      maxAgeArb,
      fc.boolean(),
      (tabs, actions, activeTab, maxAgeMs, inPlace) => {
        const world = simulate(tabs, actions, { activeTab, maxAgeMs, inPlace });
        expect(world.violations).toEqual([]);
        // A page whose first answer says it has no session (logged out), or that it ended before the
        // page was loaded, stops quietly: only one opened after the end; every other page ends with the others.
        const quiet = (t: SimTab) => t.st.shared.phase === 'ended' && t.ended === null;
        for (const tab of world.tabs.filter(quiet)) expect(tab.late).toBe(true);
        const alive = world.tabs.filter((t) => t.alive && !quiet(t));
        // In place, a tab locked with an earlier session keeps that one's reason (its page is locked
        // either way): known by the session's id, or for a tab that never learnt it, by when it ended.
        const signedInAt = world.server.session.createdAt;
        const current = alive.filter((t) =>
          t.st.shared.session === null ? !(t.ended && t.ended.at < signedInAt) : t.st.shared.session.id === world.server.session.id,
        );
        const reasons = new Set(current.map((t) => t.st.shared.reason));
        if (world.server.ended) {
          // Ended on the server: every open tab knows, with one reason.
          expect(alive.every((t) => t.st.shared.phase === 'ended')).toBe(true);
          expect(reasons.size).toBeLessThanOrEqual(1);
        } else {
          expect(alive.every((t) => t.st.shared.phase !== 'ended')).toBe(true);
          // Steady state: in the last seconds of activity, exactly one tab pinged.
          const since = world.now - 2 * TAKEOVER_GRACE_MS;
          const pingers = alive.filter((t) => t.pings.some((p) => p >= since));
          expect(pingers).toHaveLength(1);
          expect(alive.filter((t) => t.st.leader)).toHaveLength(1);
        }
        // One stream per browser at most, the leader's, while the session is live (after a refusal the
        // next one waits its backoff); none once it ended.
        const streams = world.streams.filter((s) => s.source.readyState !== s.source.CLOSED && s.tab.alive);
        const leaders = world.server.ended ? [] : alive.filter((t) => t.st.leader);
        expect(streams.filter((s) => !leaders.includes(s.tab))).toEqual([]);
        expect(streams.length).toBeLessThanOrEqual(1);
      },
    ),
    {
      numRuns: 1000,
      // Every seed a failure was found with (each fixed since): 417404504, a frozen leader's backoff
      // promise arriving after the network came back (the example test below); 613418524, a tab
      // locked offline at maxAge confirming with a logout after a revocation (the last example).
      seeds: [417404504, 613418524],
      // Found by earlier runs: a tab frozen before its first answer wakes after a revocation and a
      // sign-in whose session expired; it ends with the later session's reason, the others keep theirs.
      examples: [
        [
          3,
          [
            { kind: 'revoke' },
            { kind: 'freeze', tab: 1 },
            { kind: 'activity', tab: 0, ms: 250 },
            { kind: 'signIn' },
            { kind: 'close', tab: 7 },
            { kind: 'idle', ms: 6980 },
          ],
          0,
          null,
          true,
        ],
        // The absolute end, then a sign-in in a new tab: told of the end (and of the ended session by
        // the other tab) before any answer of its own, the new page asks the server: it was loaded after the end.
        [
          1,
          [
            { kind: 'activity', tab: 0, ms: 2501 },
            { kind: 'activity', tab: 0, ms: 4501 },
            { kind: 'activity', tab: 0, ms: 1751 },
            { kind: 'signIn' },
          ],
          0,
          9542,
          true,
        ],
        // Pages opened after the end while offline: back online, each asks and stops quietly
        // (the ended page, leaving for the login page, no longer holds the election).
        [
          1,
          [
            { kind: 'idle', ms: 7941 },
            { kind: 'offline' },
            { kind: 'open' },
            { kind: 'activity', tab: 0, ms: 3251 },
            { kind: 'open' },
            { kind: 'activity', tab: 0, ms: 250 },
          ],
          0,
          null,
          false,
        ],
        // Seed 613418524: a tab locked offline at maxAge confirms its end with a logout after a
        // revocation; the logout's answer says why (revoked), as the other tabs do.
        [
          2,
          [
            { kind: 'activity', tab: 0, ms: 250 },
            { kind: 'freeze', tab: 1 },
            { kind: 'offline' },
            { kind: 'revoke' },
            { kind: 'activity', tab: 0, ms: 1501 },
            { kind: 'activity', tab: 0, ms: 2751 },
            { kind: 'freeze', tab: 0 },
            { kind: 'activity', tab: 0, ms: 751 },
          ],
          0,
          5000,
          false,
        ],
      ],
    },
  );
});

test('a frozen leader: activity in a follower keeps the session alive, and the follower pings within the bound', () => {
  const world = new World();
  world.open();
  world.open();
  world.advance(world.now + 100);
  const [leader, follower] = world.tabs;
  expect(leader.st.leader).toBe(true);
  leader.frozen = true;
  const frozenAt = world.now;
  world.act({ kind: 'activity', tab: 1, ms: 3 * EXPIRE * 1000 });
  expect(world.violations).toEqual([]);
  expect(world.server.ended).toBeNull();
  expect(follower.st.leader).toBe(true);
  expect(follower.pings[0] - frozenAt).toBeLessThanOrEqual(takeoverBoundMs(PING_INTERVAL_MS));
  // Thawed, the old leader steps down: one pinger again.
  world.thaw(leader);
  world.act({ kind: 'activity', tab: 0, ms: 4000 });
  expect(leader.st.leader).toBe(false);
  const since = world.now - 3000;
  expect(leader.pings.filter((p) => p >= since)).toEqual([]);
  expect(follower.pings.filter((p) => p >= since).length).toBeGreaterThan(0);
});

test('back online with the leader frozen: its backoff, still on its way, does not hold a working follower back', () => {
  // Found by the random lifecycles (seed 417404504): the settings were never learnt (every ping
  // failed), and the leader's retry promise, posted just before it froze, arrived after the
  // network came back.
  const world = simulate(
    2,
    [
      { kind: 'offline' },
      { kind: 'idle', ms: 3271 },
      { kind: 'freeze', tab: 0 },
      { kind: 'online' },
      { kind: 'activity', tab: 0, ms: 2251 },
      { kind: 'activity', tab: 1, ms: 2501 },
    ],
    { activeTab: 0 },
  );
  expect(world.violations).toEqual([]);
  expect(world.server.ended).toBeNull();
});

/** Two tabs, offline, with a ping interval longer than the takeover grace (the outside-in trials' ratio). */
function twoTabsOffline(): { world: World; leader: SimTab; follower: SimTab } {
  const world = new World({ ...navigateConfig, pingIntervalMs: () => 3000 });
  world.open();
  world.open();
  world.advance(world.now + 100);
  world.act({ kind: 'offline' });
  const [leader, follower] = world.tabs;
  return { world, leader, follower };
}

test('back online, a follower takes over a leader frozen just after a failed retry within the grace, not after the retry', () => {
  // Seen in Chromium (outside-in): the follower waited out the frozen leader's next retry (6 s).
  const { world, leader, follower } = twoTabsOffline();
  while (leader.st.failures < 2) world.advance(world.now + 10);
  world.advance(world.now + 200);
  world.act({ kind: 'freeze', tab: 0 });
  world.act({ kind: 'online' });
  const onlineAt = world.now;
  world.act({ kind: 'activity', tab: 1, ms: 4000 });
  const first = follower.pings.find((p) => p >= onlineAt);
  expect(first! - onlineAt).toBeLessThanOrEqual(TAKEOVER_GRACE_MS + 500);
  expect(follower.st.leader).toBe(true);
});

test('a tab that hears late that the network is back (it was frozen) trusts the leader that pinged meanwhile', () => {
  // Seen in Chromium (outside-in, the old leader paused in the debugger through the return): on
  // resume, its queued messages first, then the online event; it took the leadership back from
  // the healthy leader 2.5 s later.
  const { world, leader: old, follower: other } = twoTabsOffline();
  world.act({ kind: 'idle', ms: 3000 });
  world.act({ kind: 'freeze', tab: 0 });
  world.act({ kind: 'online' });
  const backOnline = old.inbox.filter((item) => 'event' in item && item.event.type === 'wake');
  old.inbox = old.inbox.filter((item) => !backOnline.includes(item));
  world.act({ kind: 'activity', tab: 1, ms: 6000 });
  expect(other.st.leader).toBe(true);
  world.thaw(old);
  world.deliver(old, 0, { type: 'wake', online: true });
  const thawedAt = world.now;
  world.act({ kind: 'activity', tab: 1, ms: 8000 });
  expect(old.pings.filter((p) => p > thawedAt)).toEqual([]);
  expect([old.st.leader, other.st.leader]).toEqual([false, true]);
  expect(world.violations).toEqual([]);
});

test('an outage with the user in a follower: failed pings back off in every tab (no retry storm)', () => {
  const world = new World();
  world.open();
  world.open();
  world.advance(world.now + 100);
  world.act({ kind: 'activity', tab: 1, ms: 2000 });
  world.act({ kind: 'offline' });
  const from = world.now;
  world.act({ kind: 'activity', tab: 1, ms: 6000 });
  expect(world.violations).toEqual([]);
  const sent = world.tabs.flatMap((t) => t.offlinePings.filter((at) => at >= from));
  // Backoff from one second, doubling: a handful of attempts in six seconds, not hundreds.
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.length).toBeLessThanOrEqual(8);
});

test('the absolute end (maxAge): every tab warns without an extend, activity does not dismiss it, all end on time', () => {
  const world = new World();
  const maxAgeMs = 30_000;
  world.server.maxAgeEndsAt = world.now + maxAgeMs;
  for (let i = 0; i < 3; i++) world.open();
  world.advance(world.now + 100);
  // The user works in a follower all along.
  world.act({ kind: 'activity', tab: 2, ms: maxAgeMs + 5000 });
  expect(world.violations).toEqual([]);
  expect(world.server.endedByMaxAge).toBe(true);
  const lead = (EXPIRE - WARN) * 1000;
  for (const tab of world.tabs) {
    expect(tab.warned).toHaveLength(1);
    expect(tab.warned[0].canExtend).toBe(false);
    expect(tab.warned[0].at).toBeGreaterThanOrEqual(world.server.maxAgeEndsAt - lead);
    expect(tab.warned[0].at).toBeLessThanOrEqual(world.server.maxAgeEndsAt - lead + TAKEOVER_GRACE_MS);
    expect(tab.ended?.reason).toBe('expired');
    expect(tab.ended!.at).toBeGreaterThanOrEqual(world.server.maxAgeEndsAt);
    expect(tab.ended!.at - world.server.maxAgeEndsAt).toBeLessThanOrEqual(TAKEOVER_GRACE_MS);
  }
});

test('an outage: every tab learns the connection is lost, and that it is back', () => {
  const world = new World();
  for (let i = 0; i < 3; i++) world.open();
  world.advance(world.now + 100);
  world.act({ kind: 'offline' });
  world.act({ kind: 'activity', tab: 1, ms: 3000 });
  for (const tab of world.tabs) expect([tab.connection, tab.st.shared.lostSince !== null]).toEqual([[true], true]);
  world.act({ kind: 'online' });
  world.act({ kind: 'activity', tab: 1, ms: 3000 });
  for (const tab of world.tabs) expect([tab.connection, tab.st.shared.lostSince]).toEqual([[true, false], null]);
  expect(world.violations).toEqual([]);
});

test('a revocation of an idle session is pushed to the leader: one ping confirms it, every tab ends at once', () => {
  const world = new World();
  for (let i = 0; i < 3; i++) world.open();
  world.advance(world.now + 500);
  expect(world.streams.map((s) => s.tab.st.leader)).toEqual([true]);
  const revokedAt = world.now;
  world.act({ kind: 'revoke' });
  world.advance(world.now + 200);
  for (const tab of world.tabs) expect(tab.ended).toMatchObject({ reason: 'revoked', serverEnded: true });
  expect(Math.max(...world.tabs.map((t) => t.ended!.at)) - revokedAt).toBeLessThanOrEqual(4 * NET_MS + 2 * MESSAGE_MS);
  expect(world.tabs.flatMap((t) => t.pings.filter((p) => p >= revokedAt))).toHaveLength(1);
  expect(world.streams).toEqual([]);
  expect(world.violations).toEqual([]);
});

test('a revocation while offline: back online, the stream is refused and the leader asks; every tab ends', () => {
  const world = new World();
  for (let i = 0; i < 2; i++) world.open();
  world.advance(world.now + 500);
  world.act({ kind: 'offline' });
  world.act({ kind: 'revoke' });
  world.act({ kind: 'idle', ms: 1000 });
  for (const tab of world.tabs) expect(tab.ended).toBeNull();
  const onlineAt = world.now;
  world.act({ kind: 'online' });
  world.advance(world.now + 500);
  for (const tab of world.tabs) expect(tab.ended).toMatchObject({ reason: 'revoked', serverEnded: true });
  expect(Math.max(...world.tabs.map((t) => t.ended!.at)) - onlineAt).toBeLessThanOrEqual(500);
  expect(world.violations).toEqual([]);
});
