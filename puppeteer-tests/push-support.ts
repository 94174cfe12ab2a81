/**
 * What the push browser tests (push*.test.ts) share: which tab holds a stream, which tab leads, and
 * the one-second bound of a pushed end, asserted as a generous functional bound (the latency rows
 * are the bench's).
 */
import { findOrCreateUser } from '../example/users';
import type { RunningExample } from '../test/support/example-server';
import { events, state, until, waitForLocked, type Tab } from './support';

/** Pushed: every tab locked within this many ms of the revoking request. */
export const PUSHED_MS = 1000;

declare global {
  interface Window {
    /** The page's EventSources not closed (see {@link countStreams}). */
    __openStreams?: () => number;
  }
}

/**
 * A `preload` of the session (it runs in every page before its scripts): the page's EventSources
 * are counted, so that a test can tell which tab holds the stream.
 */
export function countStreams(): void {
  const Native = window.EventSource;
  const made: EventSource[] = [];
  window.__openStreams = () => made.filter((source) => source.readyState !== Native.CLOSED).length;
  window.EventSource = class extends Native {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      made.push(this);
    }
  };
}

/** The streams the tab holds (needs {@link countStreams}). */
export function openStreams(tab: Tab): Promise<number> {
  return tab.page.evaluate(() => window.__openStreams!());
}

/** Waits until exactly one of `tabs` leads; returns it. */
export function oneLeader(tabs: Tab[]): Promise<Tab> {
  return until(
    async () => {
      const leaders = (await Promise.all(tabs.map(state))).map((s) => s.isLeader);
      return leaders.filter(Boolean).length === 1 ? tabs[leaders.indexOf(true)] : undefined;
    },
    { timeout: 10_000, what: 'one leader' },
  );
}

/**
 * Every tab of `tabs` is locked as `revoked` within `bound` ms of `since` (Node time: the answer to
 * the revoking request). Prints the times (they explain a failure), and each tab's events and
 * state if one never locks.
 */
export async function revokedWithin(tabs: Tab[], since: number, label: string, bound = PUSHED_MS): Promise<void> {
  const locked = await Promise.all(tabs.map((tab) => waitForLocked(tab, 'revoked', bound + 10_000))).catch(async (err: unknown) => {
    for (const tab of tabs) {
      const seen = await Promise.all([events(tab), state(tab)]).catch((e: unknown) => String(e));
      process.stderr.write(`[push] ${label}: tab ${tab.index} never locked: ${JSON.stringify(seen)}\n`);
    }
    throw err;
  });
  const after = locked.map((t) => t - since);
  process.stderr.write(`[push] ${label}: locked after ${JSON.stringify(after)} ms\n`);
  for (const ms of after) expect(ms).toBeLessThan(bound);
}

/**
 * Revokes every session of `user` with the server API of `example` (`sw.revokeAll`); returns when it
 * answered (Node time), which the bound runs from (the measure: the stream may be first).
 */
export async function revokeAll(example: RunningExample, user: string): Promise<number> {
  expect(await example.sw.revokeAll((await findOrCreateUser(example.knex, user)).id)).toBeGreaterThanOrEqual(1);
  return Date.now();
}
