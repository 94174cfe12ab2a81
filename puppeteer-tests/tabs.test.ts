/**
 * Browser tests (real browsers, real HTTP, real SQLite): tabs coordinate, one tab pings, the
 * warning and the end are the same in every tab. Every test runs in Chromium (DevTools protocol)
 * and in Firefox ESR (WebDriver BiDi). The example runs with warnAfter 3 s and expireAfter 6 s.
 * Both browsers have BroadcastChannel and Web Locks, so the tabs talk natively; one test takes Web
 * Locks away, as in an older browser, so that the broadcast-channel library does it.
 */
import { startExample, type RunningExample } from '../test/support/example-server';
import { TestClient } from '../test/support/http-client';
import {
  axeViolations,
  browserSuite,
  BROWSERS,
  countSince,
  events,
  keepActive,
  Session,
  sleep,
  state,
  until,
  type SessionOptions,
  waitForEnd,
  waitForEvent,
} from './support';

const WARN_AFTER = 3;
const EXPIRE_AFTER = 6;

let example: RunningExample;

beforeAll(async () => {
  example = await startExample('sqlite', { warnAfter: WARN_AFTER, expireAfter: EXPIRE_AFTER, relogin: 'navigate' });
});

afterAll(async () => {
  await example?.stop();
});

async function meStatus(cookie: string): Promise<number> {
  return (await new TestClient(example.url).get('/me', { headers: { cookie } })).status;
}

describe.each(BROWSERS)('%s', (kind) => {
  const suite = browserSuite(kind);

  async function threeTabs(path = '/', options?: SessionOptions): Promise<Session> {
    const session = (suite.session = await Session.login(suite.browser, example.url, path, undefined, options));
    await session.open(path);
    await session.open(path);
    return session;
  }

  test('three active tabs: only one tab pings, as often as one tab alone would', async () => {
    const { tabs } = await threeTabs();
    await keepActive(tabs[0], 600); // settle: the leader is elected and has pinged once
    const start = Date.now();
    await Promise.all(tabs.map((tab) => keepActive(tab, 10_000)));
    const end = Date.now();
    const counts = tabs.map((tab) => countSince(tab.pings, start, end));
    const pingers = counts.filter((n) => n > 0);
    expect(pingers).toHaveLength(1);
    // One tab alone pings once per ping interval (default min(60, warnAfter / 4) = 0.75 s).
    const expected = (end - start) / 1000 / (WARN_AFTER / 4);
    expect(Math.abs(pingers[0] - expected)).toBeLessThanOrEqual(1);
    const leaders = await Promise.all(tabs.map(async (tab) => (await state(tab)).isLeader));
    expect(leaders.filter(Boolean)).toHaveLength(1);
    expect(counts[leaders.indexOf(true)]).toBe(pingers[0]);
  }, 40_000);

  test('activity in tab 2 only keeps tabs 1 and 3 logged in past expireAfter', async () => {
    const { tabs } = await threeTabs();
    await keepActive(tabs[1], (EXPIRE_AFTER + 2) * 1000);
    for (const tab of tabs) {
      expect((await state(tab)).phase).toBe('active');
      expect(tab.navigations).toEqual([]);
      expect((await events(tab)).map((e) => e.type)).not.toContain('warn');
      expect(await tab.page.evaluate(() => fetch('/me').then((r) => r.status))).toBe(200);
    }
  }, 40_000);

  test('no activity: the warning shows in all tabs together, "Stay signed in" in one dismisses it everywhere, then all expire', async () => {
    const { tabs } = await threeTabs();
    const cookie = await suite.session!.cookieHeader();
    const warnings = await Promise.all(tabs.map((tab) => waitForEvent(tab, 'warn')));
    const times = warnings.map((w) => w.t);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(1000);

    // The default dialog: an accessible alert dialog with focus on "Stay signed in".
    for (const tab of tabs) {
      const dialog = await tab.page.evaluate(() => {
        const el = document.querySelector('[role="alertdialog"]')!;
        const title = document.getElementById(el.getAttribute('aria-labelledby')!);
        return {
          modal: el.getAttribute('aria-modal'),
          title: title?.textContent,
          described: !!document.getElementById(el.getAttribute('aria-describedby')!)?.textContent,
          focused: document.activeElement?.getAttribute('data-sessionwatch-action'),
          live: el.querySelector('[aria-live="polite"]') !== null,
          countdownHidden: el.querySelector('.sessionwatch-countdown')?.getAttribute('aria-hidden'),
        };
      });
      expect(dialog).toEqual({
        modal: 'true',
        title: 'Are you still there?',
        described: true,
        focused: 'stay',
        live: true,
        countdownHidden: 'true',
      });
    }
    expect(await axeViolations(tabs[0].page, '.sessionwatch-warning')).toEqual([]);

    await tabs[2].page.click('[data-sessionwatch-action="stay"]');
    const stayedAt = Date.now();
    await Promise.all(tabs.map((tab) => waitForEvent(tab, 'extend', 2000)));
    for (const tab of tabs) {
      expect((await state(tab)).phase).toBe('active');
      expect(await tab.page.$eval('.sessionwatch-warning', (el) => (el as HTMLElement).hidden)).toBe(true);
    }

    // No more activity: every tab ends, with reason "expired", about expireAfter after the click.
    const ends = await Promise.all(tabs.map((tab) => waitForEnd(tab, 'expired', 15_000)));
    for (const t of ends) {
      expect(t - stayedAt).toBeGreaterThanOrEqual(EXPIRE_AFTER * 1000 - 300);
      expect(t - stayedAt).toBeLessThan(EXPIRE_AFTER * 1000 + 2000);
    }
    // The client logged out at the deadline: the server refuses the old cookie at once.
    expect(await meStatus(cookie)).toBe(401);
  }, 40_000);

  test('closing the leader tab: another tab takes over at once, pings go on, the session still expires on time', async () => {
    const { tabs } = await threeTabs();
    await keepActive(tabs[1], 1000);
    await until(async () => (await Promise.all(tabs.map(state))).some((s) => s.isLeader), { what: 'a leader' });
    const states = await Promise.all(tabs.map(state));
    const leader = tabs[states.findIndex((s) => s.isLeader)];
    const others = tabs.filter((tab) => tab !== leader);
    // The last activity reported (throttled, then broadcast) has reached every tab: on a busy machine
    // it can arrive a moment after keepActive returns.
    await sleep(1000);
    const lastActivity = await until(
      async () => {
        const seen = (await Promise.all(tabs.map(state))).map((s) => s.lastActivity);
        return seen.every((t) => t === seen[0]) ? seen[0] : undefined;
      },
      { timeout: 3000, what: 'every tab to agree on the last activity' },
    );
    const closedAt = Date.now();
    await leader.page.close();
    const next = await until(
      async () => {
        for (const tab of others) if ((await state(tab)).isLeader) return tab;
        return undefined;
      },
      { timeout: 3000, what: 'a new leader' },
    );
    expect(Date.now() - closedAt).toBeLessThan(1000);
    await until(() => countSince(next.pings, closedAt) > 0, { timeout: 3000, what: 'a ping from the new leader' });

    // The countdown was not reset by the takeover: expiry is lastActivity + expireAfter.
    expect((await state(next)).lastActivity).toBe(lastActivity);
    const ends = await Promise.all(others.map((tab) => waitForEnd(tab, 'expired', 15_000)));
    for (const t of ends) {
      expect(t).toBeGreaterThanOrEqual(lastActivity + EXPIRE_AFTER * 1000 - 100);
      expect(t).toBeLessThan(lastActivity + EXPIRE_AFTER * 1000 + 1500);
    }
    suite.session!.tabs.splice(suite.session!.tabs.indexOf(leader), 1);
  }, 40_000);

  test('without Web Locks (an older browser): the broadcast-channel library elects one pinger, and a new one when it closes', async () => {
    const { tabs } = await threeTabs('/', { preload: withoutWebLocks });
    expect(await tabs[0].page.evaluate(() => 'locks' in navigator)).toBe(false);
    await keepActive(tabs[0], 1000); // settle: the library elected a leader, which has pinged
    const start = Date.now();
    await Promise.all(tabs.map((tab) => keepActive(tab, 4000)));
    const counts = tabs.map((tab) => countSince(tab.pings, start));
    expect(counts.filter((n) => n > 0)).toHaveLength(1);
    const states = await Promise.all(tabs.map(state));
    expect(states.filter((s) => s.isLeader)).toHaveLength(1);
    // The library's own election messages went over the channel: it, not Web Locks, elected.
    expect(await tabs[0].page.evaluate(() => window.__libraryElectionMessages)).toBeGreaterThan(0);

    const leader = tabs[states.findIndex((s) => s.isLeader)];
    const others = tabs.filter((tab) => tab !== leader);
    const closedAt = Date.now();
    await leader.page.close();
    suite.session!.tabs.splice(suite.session!.tabs.indexOf(leader), 1);
    await until(async () => (await Promise.all(others.map(state))).filter((s) => s.isLeader).length === 1, {
      timeout: 3000,
      what: 'one new leader',
    });
    await Promise.all(others.map((tab) => keepActive(tab, 1500)));
    expect(others.filter((tab) => countSince(tab.pings, closedAt) > 0)).toHaveLength(1);
  }, 40_000);
});

declare global {
  interface Window {
    /** Messages of broadcast-channel's own election seen on the client's channel (see {@link withoutWebLocks}). */
    __libraryElectionMessages?: number;
  }
}

/**
 * Preload: the page has no Web Locks (as Safari before 15.4), and counts the broadcast-channel
 * library's election messages on the client's channel (the example's default channel name).
 */
function withoutWebLocks(): void {
  delete (Navigator.prototype as { locks?: unknown }).locks;
  window.__libraryElectionMessages = 0;
  new BroadcastChannel(`sessionwatch|${location.origin}|/session`).onmessage = (event: MessageEvent<{ type?: string } | null>) => {
    if (event.data?.type === 'internal') window.__libraryElectionMessages! += 1;
  };
}
