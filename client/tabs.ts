/**
 * Cross-tab coordination on `broadcast-channel`: one channel per origin and API prefix, the
 * messages tabs exchange, and the leader election (Web Locks where available, so a closed or
 * crashed leader is replaced at once; the fallback election is tuned to take over in well under
 * a second).
 */
import { BroadcastChannel, createLeaderElection, type LeaderElector } from 'broadcast-channel';
import { isEndReason } from '../shared/protocol';
import type { Sender, TabMessage } from './machine';
import { isSharedState } from './state';

export type { TabMessage } from './machine';

function isSender(value: unknown): value is Sender {
  const s = value as Sender;
  return typeof s === 'object' && s !== null && typeof s.tab === 'string' && typeof s.leader === 'boolean' && Number.isFinite(s.term);
}

/** Messages come from other scripts of the origin: check their shape before use. */
export function isTabMessage(value: unknown): value is TabMessage {
  const m = value as TabMessage;
  if (typeof m !== 'object' || m === null) return false;
  switch (m.type) {
    case 'hello':
    case 'activity':
      return Number.isFinite(m.at);
    case 'state':
      return isSharedState(m.state) && Number.isFinite(m.sent) && Number.isFinite(m.nextBy) && isSender(m.from);
    case 'ping':
      return Number.isFinite(m.activity) && Number.isFinite(m.nextBy) && isSender(m.from);
    case 'nudge':
      return true;
    case 'end':
      return isEndReason(m.reason) && typeof m.confirmed === 'boolean' && (m.session == null || typeof m.session === 'string');
    default:
      return false;
  }
}

/** One tab's side of the channel. */
export interface Tabs {
  /** Sends to every other tab; never rejects. */
  post(message: TabMessage): Promise<void>;
  /** Receives every valid message from other tabs. */
  subscribe(handler: (message: TabMessage) => void): void;
  /**
   * Joins the election: `onLeader` runs each time this tab becomes the leader, `onDemoted` when
   * the leadership is taken from it (another tab claimed it); it then queues again by itself.
   */
  elect(onLeader: () => void, onDemoted: () => void): void;
  /** Takes the leadership now, from a leader that stopped answering (Web Locks `steal`). */
  claim(): void;
  /** Gives the leadership up (another tab leads now) and queues again. */
  resign(): void;
  /** Leaves: another tab takes over if this one led. */
  close(): Promise<void>;
}

/** One way of electing the leader among the tabs (the channel's part is separate). */
interface Election {
  elect(onLeader: () => void, onDemoted: () => void): void;
  claim(): void;
  resign(): void;
  close(): Promise<void>;
}

export type TabsFactory = () => Tabs;

interface Envelope {
  sessionwatch: 1;
  message: TabMessage;
}

/** The real tabs, on a `broadcast-channel` named `name`, electing with Web Locks where available. */
export function createBroadcastTabs(name: string, election: { responseTime: number; fallbackInterval: number }): Tabs {
  let channel: BroadcastChannel<Envelope>;
  try {
    channel = new BroadcastChannel<Envelope>(name, { webWorkerSupport: false });
  } catch {
    return createSoloTabs();
  }
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const elector: Election = locks ? webLockElection(locks, `sessionwatch|${name}`) : fallbackElection(channel, election);
  let closed = false;
  return {
    async post(message) {
      if (closed) return;
      try {
        await channel.postMessage({ sessionwatch: 1, message });
      } catch {
        // Closed meanwhile (the page is going away): nothing to tell.
      }
    },
    subscribe(handler) {
      channel.addEventListener('message', (envelope: Envelope) => {
        if (!closed && envelope?.sessionwatch === 1 && isTabMessage(envelope.message)) handler(envelope.message);
      });
    },
    elect: (onLeader, onDemoted) => elector.elect(onLeader, onDemoted),
    claim: () => elector.claim(),
    resign: () => elector.resign(),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await elector.close();
        await channel.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/**
 * Election on a Web Lock: the holder leads; a crashed or closed leader's lock is released by the
 * browser at once. A frozen or busy leader keeps its lock, so `claim` steals it: the old holder's
 * request then fails with an AbortError, which is how it learns it no longer leads.
 */
export function webLockElection(locks: LockManager, lockName: string): Election {
  let onLeader = () => {};
  let onDemoted = () => {};
  /** Each request is numbered: only the newest one may lead. */
  let generation = 0;
  let queued: AbortController | null = null;
  let release: (() => void) | null = null;
  let dead = false;

  function request(steal: boolean): void {
    if (dead) return;
    const mine = ++generation;
    queued?.abort();
    queued = steal ? null : new AbortController();
    const options: LockOptions = steal ? { steal: true } : { signal: queued!.signal };
    locks
      .request(lockName, options, () => {
        if (mine !== generation || dead) return undefined; // superseded: let go at once
        queued = null;
        return new Promise<void>((resolve) => {
          release = resolve;
          onLeader();
        });
      })
      .catch(() => {
        // Stolen while leading (or an aborted queued request, which needs nothing).
        if (mine === generation && release && !dead) {
          release = null;
          onDemoted();
          request(false);
        }
      });
  }

  return {
    elect(leader, demoted) {
      onLeader = leader;
      onDemoted = demoted;
      request(false);
    },
    claim() {
      if (!release) request(true);
    },
    resign() {
      if (!release) return;
      const held = release;
      release = null;
      request(false);
      held();
    },
    async close() {
      dead = true;
      queued?.abort();
      release?.();
      release = null;
    },
  };
}

/**
 * broadcast-channel's election, where there are no Web Locks. It cannot take a lock away, so a
 * claim makes this tab lead at once; the leader terms in the tabs' messages settle who leads.
 */
function fallbackElection(channel: BroadcastChannel<Envelope>, options: { responseTime: number; fallbackInterval: number }): Election {
  const elector: LeaderElector = createLeaderElection(channel, options);
  let onLeader = () => {};
  let leading = false;
  let dead = false;
  return {
    elect(leader) {
      onLeader = leader;
      elector.awaitLeadership().then(
        () => {
          if (!dead && !leading) {
            leading = true;
            onLeader();
          }
        },
        () => undefined,
      );
    },
    claim() {
      if (leading || dead) return;
      leading = true;
      onLeader();
    },
    resign() {
      leading = false;
    },
    async close() {
      dead = true;
      await elector.die();
    },
  };
}

/** A tab alone (no channel available): always the leader. */
export function createSoloTabs(): Tabs {
  let closed = false;
  return {
    post: async () => undefined,
    subscribe: () => undefined,
    elect(onLeader) {
      setTimeout(() => {
        if (!closed) onLeader();
      }, 0);
    },
    claim: () => undefined,
    resign: () => undefined,
    async close() {
      closed = true;
    },
  };
}
