/**
 * The push figure's browser part: how long after "log out all other sessions" in one browser every
 * tab of another browser of the same user is locked. Two incognito contexts of one user in
 * Chromium (two browsers), 3 tabs (windows) each, idle (no input), the client's defaults
 * (`checkInterval` 60 s, `relogin` in place: an ended tab locks where it is). Measured in the pages:
 * from the moment the revoking `fetch` resolved in browser 1 (its page's `Date.now()`) to the
 * first `locked` event of each tab of browser 2 (the same clock); a round's figure is its slowest
 * tab. Every round logs browser 2 in afresh; browser 1, whose session goes on, stays for the next
 * round.
 *
 * Over push, browser 2's leader holds the stream before the revocation; with 2 instances, browser 1
 * talks to instance A only and browser 2 to instance B only (each browser pinned to one instance, as
 * a sticky load balancer would), so the end reaches B's stream through the invalidation channel.
 * Without push (`window.EventSource` deleted before the client loads), the tabs learn at the
 * leader's idle check, one `checkInterval` after its last ping.
 */
import type { Browser } from 'puppeteer-core';
import { Session, events, state, type Tab } from '../puppeteer-tests/support';
import { until } from '../test/support/wait';

/** Where browser 2 of a round talks, and how to know the browsers are settled. */
export interface RoundSetup {
  /** Browser 2's instance (it is revoked). */
  victimUrl: string;
  /** Push: true when both browsers' leaders hold their stream (see the servers' `pushStreams`). */
  streamsHeld?: () => boolean;
  /** No EventSource in browser 2's pages: the client falls back to its idle checks. */
  withoutPush?: boolean;
  /** How long to wait for the tabs to lock after the revocation. */
  timeoutMs: number;
}

/** One revocation: ms from the revoking request's answer to the slowest tab's lock, and each tab's. */
export interface Revocation {
  slowestMs: number;
  tabsMs: number[];
}

const THREE_TABS = 3;

/** A browser (incognito context) of johndoe at `url` with 3 tabs; `withoutPush`: no EventSource in its pages. */
export async function threeTabs(browser: Browser, url: string, withoutPush = false): Promise<Session> {
  const preload = withoutPush ? () => delete (window as { EventSource?: unknown }).EventSource : undefined;
  const session = await Session.login(browser, url, '/', 'johndoe', { preload });
  while (session.tabs.length < THREE_TABS) await session.open('/');
  return session;
}

async function oneLeader(session: Session): Promise<void> {
  await until(async () => (await Promise.all(session.tabs.map(state))).filter((s) => s.isLeader).length === 1, {
    timeout: 15_000,
    what: 'one leader tab',
  });
}

/** When the tab first locked (its page's clock), if it has. */
async function lockedAt(tab: Tab): Promise<number | undefined> {
  return (await events(tab)).find((e) => e.type === 'locked')?.t;
}

/**
 * One round: browser 2 logged in (3 tabs), both browsers settled, then `revoker` (browser 1, 3
 * tabs: see {@link threeTabs}) revokes browser 2's session — every other session of the user
 * (`DELETE /session/sessions`), or only browser 2's (`DELETE /session/sessions/:id`) when `only` is
 * set, so that rounds of one user can run side by side. Browser 2 is closed at the end.
 */
export async function revocationRound(browser: Browser, revoker: Session, setup: RoundSetup, { only = false } = {}): Promise<Revocation> {
  const victim = await threeTabs(browser, setup.victimUrl, setup.withoutPush);
  try {
    await Promise.all([oneLeader(revoker), oneLeader(victim)]);
    if (setup.streamsHeld) await until(setup.streamsHeld, { timeout: 15_000, what: 'both leaders to hold their stream' });
    const victimId = await victim.tabs[0].page.evaluate(async () => {
      const { sessions } = (await (await fetch('/session/sessions')).json()) as { sessions: { id: string; current: boolean }[] };
      return sessions.find((s) => s.current)!.id;
    });
    const answeredAt = await revoker.tabs[0].page.evaluate(
      async (id) => {
        const res = await fetch(id ? `/session/sessions/${id}` : '/session/sessions', { method: 'DELETE' });
        const at = Date.now();
        if (!res.ok) throw new Error(`revocation answered ${res.status}`);
        return at;
      },
      only ? victimId : null,
    );
    const locks = await until(
      async () => {
        const times = await Promise.all(victim.tabs.map(lockedAt));
        return times.every((t): t is number => t !== undefined) ? times : undefined;
      },
      { timeout: setup.timeoutMs, every: 25, what: 'every tab of browser 2 to lock' },
    );
    // The end is the server's: every tab says "revoked" (not a lost connection, not an expiry).
    for (const tab of victim.tabs) {
      await until(async () => (await events(tab)).some((e) => e.type === 'end' && e.reason === 'revoked'), {
        timeout: 5000,
        what: `tab ${tab.index} to end as revoked`,
      });
    }
    const errors = [...revoker.tabs, ...victim.tabs].flatMap((tab) => tab.errors);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const tabsMs = locks.map((t) => t - answeredAt);
    return { slowestMs: Math.max(...tabsMs), tabsMs };
  } finally {
    await victim.close();
  }
}
