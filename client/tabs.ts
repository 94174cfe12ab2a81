/**
 * Cross-tab coordination on `broadcast-channel`: one channel per origin and API prefix, the
 * messages tabs exchange, and the leader election (Web Locks where available, so a closed or
 * crashed leader is replaced at once; the fallback election is tuned to take over in well under
 * a second).
 */
import { BroadcastChannel, createLeaderElection, type LeaderElector } from 'broadcast-channel';
import type { EndReason } from '../shared/protocol';
import { isSharedState, type SharedState } from './state';

/** What tabs tell each other. Every tab hears every message but its own. */
export type TabMessage =
  /** A tab starts (its page load is activity); the leader answers with the state. */
  | { type: 'hello'; at: number }
  /** Activity seen in a tab (throttled); `extend` asks the leader to ping now. */
  | { type: 'activity'; at: number; extend?: boolean }
  /** The leader's state, after each change of phase, settings or server-reported activity. */
  | { type: 'state'; state: SharedState }
  /** A tab passed a deadline: the leader re-checks its own (its timers may be throttled). */
  | { type: 'nudge' }
  /** The session ended; `confirmed` once the server knows (then tabs leave the page). */
  | { type: 'end'; reason: EndReason; confirmed: boolean };

const END_REASONS: ReadonlySet<unknown> = new Set<EndReason>(['expired', 'revoked', 'logged-out']);

/** Messages come from other scripts of the origin: check their shape before use. */
export function isTabMessage(value: unknown): value is TabMessage {
  const m = value as TabMessage;
  if (typeof m !== 'object' || m === null) return false;
  switch (m.type) {
    case 'hello':
    case 'activity':
      return Number.isFinite(m.at);
    case 'state':
      return isSharedState(m.state);
    case 'nudge':
      return true;
    case 'end':
      return END_REASONS.has(m.reason) && typeof m.confirmed === 'boolean';
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
  /** Joins the election; `onLeader` runs once, when this tab becomes the leader. */
  elect(onLeader: () => void): void;
  /** Leaves: another tab takes over if this one led. */
  close(): Promise<void>;
}

export type TabsFactory = () => Tabs;

interface Envelope {
  sessionwatch: 1;
  message: TabMessage;
}

/** The real tabs, on a `broadcast-channel` named `name`. */
export function createBroadcastTabs(name: string, election: { responseTime: number; fallbackInterval: number }): Tabs {
  let channel: BroadcastChannel<Envelope>;
  try {
    channel = new BroadcastChannel<Envelope>(name, { webWorkerSupport: false });
  } catch {
    return createSoloTabs();
  }
  let elector: LeaderElector | undefined;
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
    elect(onLeader) {
      elector ??= createLeaderElection(channel, election);
      elector.awaitLeadership().then(
        () => {
          if (!closed) onLeader();
        },
        () => undefined,
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await elector?.die();
        await channel.close();
      } catch {
        // Already closed.
      }
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
    async close() {
      closed = true;
    },
  };
}
