/**
 * Browser tests (real browsers, real HTTP, real SQLite): the user comes back to a browser whose
 * windows were all out of view while the warning showed, late in the warning (when activity is
 * pinged at once, whichever tab sees it). Every tab coming into view at once costs at most one
 * ping across the browser, and by default none: a tab coming into view is no activity (issue 28,
 * 6a and 6b). Chromium minimises and restores each tab's window (DevTools protocol); Firefox has
 * no minimise over WebDriver BiDi, so another tab covers each one in its window, then each is
 * brought back to the front: either way `document.visibilityState` truly changes, in every tab.
 */
import type { CDPSession, Page } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { browserKind, browserSuite, BROWSERS, countSince, Session, sleep, state, until, type Tab } from './support';

/** Long enough that the windows are minimised and restored well within the warning's last seconds. */
const WARN_AFTER = 8;
const EXPIRE_AFTER = 20;
const PING_INTERVAL = 4;
/** Activity is pinged at once from this many seconds before the deadline (a grace and a ping interval). */
const URGENT_S = 1.5 + PING_INTERVAL;

let example: RunningExample;

beforeAll(async () => {
  example = await startExample('sqlite', { warnAfter: WARN_AFTER, expireAfter: EXPIRE_AFTER, relogin: 'navigate' });
});

afterAll(async () => {
  await example?.stop();
});

const visibility = (tab: Tab) => tab.page.evaluate(() => document.visibilityState);

/** Takes every tab out of view, and brings them all back at once. */
interface OutOfView {
  hide(): Promise<void>;
  show(): Promise<void>;
}

/** Chromium: each tab's window minimised, then restored. */
async function minimised(tabs: Tab[]): Promise<OutOfView> {
  const windows = await Promise.all(
    tabs.map(async (tab) => {
      const cdp: CDPSession = await tab.page.createCDPSession();
      const { windowId } = (await cdp.send('Browser.getWindowForTarget')) as { windowId: number };
      return (windowState: 'minimized' | 'normal') => cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState } });
    }),
  );
  return {
    hide: async () => void (await Promise.all(windows.map((set) => set('minimized')))),
    show: async () => void (await Promise.all(windows.map((set) => set('normal')))),
  };
}

/** Firefox: another tab opened over each one in its window, then each brought back to the front. */
function covered(session: Session): OutOfView {
  const covers: Page[] = [];
  return {
    async hide() {
      for (const tab of session.tabs) {
        await tab.page.bringToFront();
        covers.push(await session.context.newPage({ type: 'tab' }));
      }
    },
    show: async () => void (await Promise.all(session.tabs.map((tab) => tab.page.bringToFront()))),
  };
}

describe.each(BROWSERS)('%s', (kind) => {
  const suite = browserSuite(kind);

  /** Three tabs (windows), idle, out of view until late in the warning; then all back in view at once. */
  async function backLateInTheWarning(path: string) {
    const session = (suite.session = await Session.login(suite.browser, example.url, path));
    await session.open(path);
    await session.open(path);
    const { tabs } = session;
    const view = browserKind(tabs[0].page) === 'chromium' ? await minimised(tabs) : covered(session);
    await view.hide();
    for (const tab of tabs) expect(await visibility(tab)).toBe('hidden');
    // Late in the warning: activity now is pinged at once, by whichever tab sees it.
    await until(async () => (await state(tabs[0])).secondsLeft <= URGENT_S - 0.5, {
      timeout: 20_000,
      every: 100,
      what: 'late in the warning',
    });
    for (const tab of tabs) expect((await state(tab)).phase).toBe('warning');
    const shownAt = Date.now();
    await view.show();
    for (const tab of tabs) expect(await visibility(tab)).toBe('visible');
    return { tabs, shownAt };
  }

  const pingsSince = (tabs: Tab[], since: number) => tabs.map((tab) => countSince(tab.pings, since));

  /** Waits until every tab dismissed the warning, watches a second more; the pings of all tabs since `since`. */
  async function pingsOnceExtended(tabs: Tab[], since: number): Promise<number> {
    await until(async () => (await Promise.all(tabs.map(state))).every((s) => s.phase === 'active'), {
      timeout: 2000,
      what: 'the warning gone',
    });
    await sleep(1000);
    return pingsSince(tabs, since).reduce((a, b) => a + b);
  }

  test('by default, coming into view is no activity: no ping, the warning stays; then "Stay signed in" in a follower costs one ping in all', async () => {
    const { tabs, shownAt } = await backLateInTheWarning(`/?pingInterval=${PING_INTERVAL}`);
    // Each tab re-checks its deadlines as it comes back (a hello to the others): nothing to ping.
    await sleep(600);
    expect(pingsSince(tabs, shownAt)).toEqual([0, 0, 0]);
    for (const tab of tabs) expect((await state(tab)).phase).toBe('warning');

    const follower = (await Promise.all(tabs.map(state))).findIndex((s) => !s.isLeader);
    const clickedAt = Date.now();
    await tabs[follower].page.click('[data-sessionwatch-action="stay"]');
    expect(await pingsOnceExtended(tabs, clickedAt)).toBe(1);
  }, 60_000);

  test('with activityOnVisible, every tab coming into view at once: one ping in all, and the warning gone everywhere', async () => {
    const { tabs, shownAt } = await backLateInTheWarning(`/?pingInterval=${PING_INTERVAL}&activityOnVisible`);
    expect(await pingsOnceExtended(tabs, shownAt)).toBe(1);
  }, 60_000);
});
