/**
 * Cross-tab coordination, what every implementation shares: one channel per origin and API
 * prefix, the messages tabs exchange (checked before use: other scripts of the origin may post on
 * the channel), the envelope they travel in, and a tab alone. Which implementation a browser gets
 * is decided in `connect-tabs.ts`.
 */
import { isEndReason } from '../shared/protocol';
import type { PingPromise, Sender, TabMessage } from './machine';
import { isSharedState } from './state';

export type { TabMessage } from './machine';

function isSender(value: unknown): value is Sender {
  const s = value as Sender;
  return typeof s === 'object' && s !== null && typeof s.tab === 'string' && typeof s.leader === 'boolean' && Number.isFinite(s.term);
}

function isPromise(m: PingPromise): boolean {
  return Number.isFinite(m.nextBy) && (m.at === undefined || Number.isFinite(m.at));
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
      return isSharedState(m.state) && Number.isFinite(m.sent) && isPromise(m) && isSender(m.from);
    case 'ping':
      return Number.isFinite(m.activity) && isPromise(m) && isSender(m.from);
    case 'nudge':
    case 'bye':
      return true;
    case 'end':
      return (
        isEndReason(m.reason) &&
        typeof m.confirmed === 'boolean' &&
        (m.session == null || typeof m.session === 'string') &&
        (m.endedAt === undefined || Number.isFinite(m.endedAt))
      );
    default:
      return false;
  }
}

/** What a tab posts on the channel: its message, marked as sessionwatch's. */
export interface Envelope {
  sessionwatch: 1;
  message: TabMessage;
}

/** The message of an envelope heard on the channel, or null for anything else. */
export function openEnvelope(value: unknown): TabMessage | null {
  const envelope = value as Envelope | null | undefined;
  return envelope?.sessionwatch === 1 && isTabMessage(envelope.message) ? envelope.message : null;
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
  /**
   * Whether this tab, while it follows, waits for the leadership to come free (true until told
   * otherwise). A tab waiting for a Web Lock is never frozen by Chrome: a hidden follower does not wait.
   */
  wait(wanted: boolean): void;
  /** The leader may be gone: takes the leadership if nobody holds it (a follower that does not wait). */
  probe(): void;
  /** Leaves: another tab takes over if this one led. */
  close(): Promise<void>;
}

/** One way of electing the leader among the tabs (the channel's part is separate). */
export type Election = Omit<Tabs, 'post' | 'subscribe'>;

/** Leader election tuning of broadcast-channel's own election (no Web Locks), in milliseconds. */
export interface ElectionTuning {
  responseTime: number;
  fallbackInterval: number;
}

export type TabsFactory = () => Tabs;

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
    wait: () => undefined,
    probe: () => undefined,
    async close() {
      closed = true;
    },
  };
}
