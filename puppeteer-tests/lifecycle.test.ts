/**
 * Browser tests of issue 12: real browser lifecycles never log out a user who is working. A frozen,
 * busy, crashed or bfcached tab, a whole browser asleep or offline: the server hears of activity
 * from any running tab, thawed tabs resync before they warn or lock, and the end comes only from
 * the server's word.
 *
 * Chromium only: these tests drive the Page Lifecycle (`Page.setWebLifecycleState`), the back/
 * forward cache diagnostics, offline emulation and renderer crashes through the DevTools protocol
 * (CDP), which Firefox over WebDriver BiDi does not offer. The multi-tab basics run in both
 * browsers (tabs.test.ts).
 *
 * The example runs with warnAfter 4 s and expireAfter 8 s, so the client's default ping interval
 * is min(60, warnAfter / 4) = 1 s. Each test prints what it measured (`[lifecycle] …` on stderr).
 */
import type { Browser } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { TestClient } from '../test/support/http-client';
import type { SessionListResponse } from '../shared/protocol';
import { cdp, countSince, freeze, keepActive, launchBrowser, Session, sleep, state, thaw, until, type Tab } from './support';

const WARN_AFTER = 4;
const EXPIRE_AFTER = 8;
/** The client's default ping interval with warnAfter 4 s. */
const PING_INTERVAL_MS = 1000;
/**
 * Issue 12's design bound: a tab that saw activity the leader has not reported pings itself (or
 * takes the leadership) within one ping interval plus 2 s, which leaves the server
 * expireAfter − 3 s of margin.
 */
const TAKEOVER_MS = PING_INTERVAL_MS + 2000;
/** Where a tab goes to leave its page for a while: same origin, passive, no client on it. */
const ELSEWHERE = '/api/notifications';
const DRAFT_KEY = 'sessionwatch:draft:/form';

let example: RunningExample;
let browser: Browser;
const sessions: Session[] = [];
/** Tabs whose errors are expected (crashed renderers). */
const crashed = new Set<Tab>();

beforeAll(async () => {
  // noStore off: Chromium keeps a `Cache-Control: no-store` page out of the back/forward cache (or
  // evicts it when the session cookie changes), and these tests are about the client in a bfcached
  // page: apps that turn noStore off, and browsers that keep such pages. (csp.test.ts checks that,
  // by default, Back after a logout does not show a logged-in page.)
  [example, browser] = await Promise.all([
    startExample('sqlite', { warnAfter: WARN_AFTER, expireAfter: EXPIRE_AFTER, noStore: false, relogin: 'navigate' }),
    launchBrowser('chromium'),
  ]);
});

afterEach(async () => {
  const all = sessions.splice(0);
  for (const tab of all.flatMap((s) => s.tabs)) if (!crashed.has(tab)) expect(tab.errors).toEqual([]);
  crashed.clear();
  await Promise.all(all.map((s) => s.close()));
});

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

async function login(paths: string[]): Promise<Session> {
  const session = await Session.login(browser, example.url, paths[0]);
  sessions.push(session);
  for (const path of paths.slice(1)) await session.open(path);
  return session;
}

/** Prints the measurements of a test (they explain a failure, and the report quotes them). */
function report(name: string, data: Record<string, unknown>): void {
  process.stderr.write(`[lifecycle] ${name}: ${JSON.stringify(data)}\n`);
}

/** The session's status at the server, through a passive route (which never counts as activity). */
async function serverStatus(cookie: string): Promise<number> {
  return (await new TestClient(example.url).get('/api/notifications', { headers: { cookie } })).status;
}

/** isLeader of each tab (never ask a frozen tab: pass only running ones). */
async function leaderFlags(tabs: Tab[]): Promise<boolean[]> {
  return Promise.all(tabs.map(async (tab) => (await state(tab)).isLeader));
}

/** Waits (bounded) until exactly one of `tabs` leads; returns it, or null with the last flags seen. */
async function oneLeader(tabs: Tab[], timeout = 5000): Promise<{ leader: Tab | null; flags: boolean[] }> {
  const deadline = Date.now() + timeout;
  let flags: boolean[] = [];
  for (;;) {
    flags = await leaderFlags(tabs);
    if (flags.filter(Boolean).length === 1) return { leader: tabs[flags.indexOf(true)], flags };
    if (Date.now() > deadline) return { leader: null, flags };
    await sleep(100);
  }
}

/** Pings of each tab while `active` is used for `ms`. */
async function pingsWhileActive(tabs: Tab[], active: Tab, ms: number): Promise<number[]> {
  const from = Date.now();
  await keepActive(active, ms);
  const to = Date.now();
  return tabs.map((tab) => countSince(tab.pings, from, to));
}

/** The first ping after `since` of any of `tabs` (Node time), or null. */
function firstPing(tabs: Tab[], since: number): number | null {
  const times = tabs.map((tab) => tab.pings.find((t) => t >= since)).filter((t): t is number => t !== undefined);
  return times.length ? Math.min(...times) : null;
}

/** Longest time without a ping from any tab in [from, to] (the server's view of the session). */
function longestSilence(tabs: Tab[], from: number, to: number): number {
  const times = [from, ...tabs.flatMap((tab) => tab.pings.filter((t) => t >= from && t <= to)), to].sort((a, b) => a - b);
  return Math.max(...times.slice(1).map((t, i) => t - times[i]));
}

interface UiRecord {
  t: number;
  what: 'warning-shown' | 'lock' | 'warn-event' | 'end-event' | 'ping-answer';
  text?: string | null;
  status?: number;
}

/**
 * Records in the tab's sessionStorage (so it survives the navigation to the login page) every
 * appearance of the warning dialog (`.sessionwatch-warning` unhidden, client/ui/dialog.ts) and of
 * the lock screen (`.sessionwatch-lock` added, client/ui/lock.ts, with its title: "Checking your
 * session…" or the end), from MutationObserver records, so that even a flash shown and removed in
 * one task is seen; plus the client's `warn` and `end` events.
 */
async function recordUi(tab: Tab): Promise<void> {
  await tab.page.evaluate(() => {
    const KEY = '__lifecycleUi';
    sessionStorage.setItem(KEY, '[]');
    const log = (entry: Record<string, unknown>) => {
      const all = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as Record<string, unknown>[];
      all.push({ t: Date.now(), ...entry });
      sessionStorage.setItem(KEY, JSON.stringify(all));
    };
    // The tab's ping answers, from Resource Timing (page clock, like the records): `responseEnd`
    // is when the answer was in, before the client could act on it.
    const logged = new Set<number>();
    const flushPings = () => {
      for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
        if (logged.has(e.startTime) || new URL(e.name).pathname !== '/session/ping') continue;
        logged.add(e.startTime);
        const all = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as Record<string, unknown>[];
        all.push({ t: Math.round(performance.timeOrigin + e.responseEnd), what: 'ping-answer', status: e.responseStatus });
        sessionStorage.setItem(KEY, JSON.stringify(all));
      }
    };
    for (const e of performance.getEntriesByType('resource')) logged.add(e.startTime);
    new PerformanceObserver(flushPings).observe({ type: 'resource' });
    const record = log;
    const logUi = (entry: Record<string, unknown>) => {
      flushPings();
      record(entry);
    };
    const isEl = (n: Node): n is HTMLElement => n.nodeType === 1;
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'childList') {
          for (const n of Array.from(r.addedNodes)) {
            if (!isEl(n)) continue;
            if (n.matches('.sessionwatch-lock')) logUi({ what: 'lock', text: n.querySelector('h2')?.textContent ?? null });
            if (n.matches('.sessionwatch-warning') && !n.hidden) logUi({ what: 'warning-shown' });
          }
        } else if (r.type === 'attributes' && isEl(r.target) && r.target.matches('.sessionwatch-warning') && r.oldValue !== null) {
          // `hidden` was present and changed: the dialog was shown (maybe only for a moment).
          logUi({ what: 'warning-shown' });
        }
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'], attributeOldValue: true });
    window.__sessionwatch!.on('warn', () => logUi({ what: 'warn-event' }));
    window.__sessionwatch!.on('end', ({ reason }) => logUi({ what: 'end-event', text: reason }));
  });
}

/**
 * Runs `read` in the tab's page once it can: a tab leaving for the login page is, for a moment,
 * on a document whose storage cannot be read (SecurityError) or whose context goes away.
 */
async function inLoadedPage<T, A extends unknown[]>(tab: Tab, read: (...args: A) => T, ...args: A): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await tab.page.evaluate(read as (...a: unknown[]) => T, ...args);
    } catch (err) {
      const transient = /SecurityError|Execution context was destroyed|Cannot find context/.test(String(err));
      if (!transient || attempt >= 50) throw err;
      await sleep(100);
    }
  }
}

/** What `recordUi` saw (readable after the tab left for the login page too). */
async function uiRecords(tab: Tab, { withPings = false } = {}): Promise<UiRecord[]> {
  const all = await inLoadedPage(tab, () => JSON.parse(sessionStorage.getItem('__lifecycleUi') ?? '[]') as UiRecord[]);
  return all.filter((r) => withPings || r.what !== 'ping-answer').sort((a, b) => a.t - b.t);
}

const CHECKING = 'Checking your session…';
/** Warnings and locks other than the "checking" one: what a user sees as "you are being logged out". */
const alarming = (records: UiRecord[]) =>
  records.filter((r) => r.what === 'warning-shown' || r.what === 'warn-event' || (r.what === 'lock' && r.text !== CHECKING));
const summary = (records: UiRecord[], t0: number) => records.map((r) => `${r.what}${r.text ? `(${r.text})` : ''}@${r.t - t0}`);

/** Sets up three tabs, waits for the leader; returns it and the two followers. */
async function threeTabs(paths = ['/', '/', '/']) {
  const session = await login(paths);
  const { tabs } = session;
  await keepActive(tabs[1], 600);
  const { leader, flags } = await oneLeader(tabs);
  if (!leader) throw new Error(`no single leader among the new tabs: ${JSON.stringify(flags)}`);
  const followers = tabs.filter((tab) => tab !== leader);
  const cookie = await session.cookieHeader();
  for (const tab of tabs) await recordUi(tab);
  return { session, tabs, leader, followers, cookie };
}

// ---- 1, 2. A silent leader ------------------------------------------------------------------------

/**
 * The leader is made silent (frozen, or its main thread blocked) while the user works in a follower.
 * Returns when the leader runs again.
 */
type Silence = { name: string; start(leader: Tab): Promise<void>; end(leader: Tab): Promise<void>; ms: number };

const FROZEN: Silence = {
  name: 'frozen (Page.setWebLifecycleState)',
  ms: 2 * EXPIRE_AFTER * 1000,
  start: (leader) => freeze(leader),
  end: (leader) => thaw(leader),
};
const BUSY_MS = 12_000;
const BUSY: Silence = {
  name: `busy (a ${BUSY_MS / 1000} s long task)`,
  ms: BUSY_MS,
  // Started from a timer in the page, so that this evaluate returns at once.
  start: (leader) =>
    leader.page.evaluate((ms) => {
      setTimeout(() => {
        const end = Date.now() + ms;
        while (Date.now() < end);
      }, 0);
    }, BUSY_MS),
  // Back when the page answers again.
  end: async (leader) => void (await leader.page.evaluate(() => 1)),
};

describe.each([FROZEN, BUSY])('a silent leader: $name', (silence) => {
  test('activity in a follower keeps the session alive, a follower pings within pingInterval + 2 s; afterwards no alarm in the old leader and one pinger again', async () => {
    const { tabs, leader, followers, cookie } = await threeTabs();
    const [active] = followers;
    const activityBefore = await active.page.evaluate(() => window.__sessionwatchActivity ?? 0);
    await sleep(300);
    const silencedAt = Date.now();
    await silence.start(leader);
    await keepActive(active, silence.ms);
    const silenceEnd = Date.now();
    const firstFollowerPing = firstPing(followers, silencedAt);
    const status = await serverStatus(cookie);
    const followerStates = await Promise.all(followers.map((tab) => state(tab).catch(() => ({ phase: 'left the page' }))));
    const measured = {
      followerEnds: followers.map((tab) => tab.navigations.map((n) => `${n.url.replace(example.url, '')}@${n.t - silencedAt}`)),
      firstFollowerPingMs: firstFollowerPing === null ? null : firstFollowerPing - silencedAt,
      // The bound runs from the leader's last sign of life: its last ping (the freeze takes effect
      // at the renderer's next task, not when the DevTools call returns).
      sinceLastLeaderPingMs:
        firstFollowerPing === null ? null : firstFollowerPing - Math.max(silencedAt, ...leader.pings.filter((t) => t <= firstFollowerPing)),
      followerPings: followers.map((tab) => countSince(tab.pings, silencedAt, silenceEnd)),
      longestServerSilenceMs: longestSilence(tabs, silencedAt, silenceEnd),
      serverStatus: status,
      followerPhases: followerStates.map((s) => s.phase),
      activityEventsInActiveTab: (await active.page.evaluate(() => window.__sessionwatchActivity ?? 0).catch(() => NaN)) - activityBefore,
    };
    report(`silent leader ${silence.name}, during`, measured);
    expect({
      aFollowerPingedInTime: measured.sinceLastLeaderPingMs !== null && measured.sinceLastLeaderPingMs <= TAKEOVER_MS,
      serverStatus: status,
      followersEnded: followers.filter((tab) => tab.navigations.length > 0).map((tab) => tab.index),
      followerPhases: measured.followerPhases,
    }).toEqual({ aFollowerPingedInTime: true, serverStatus: 200, followersEnded: [], followerPhases: ['active', 'active'] });
    // The test itself worked: the user's activity reached the active tab's client.
    expect(measured.activityEventsInActiveTab).toBeGreaterThan(5);
    // The server never went expireAfter without hearing of the activity.
    expect(measured.longestServerSilenceMs).toBeLessThan(EXPIRE_AFTER * 1000 - PING_INTERVAL_MS);

    // The old leader runs again while the user keeps working.
    const resumedAt = Date.now();
    await silence.end(leader);
    await keepActive(active, 3000);
    const { leader: newLeader, flags } = await oneLeader(tabs, 5000);
    const counts = await pingsWhileActive(tabs, active, 4000);
    const oldLeaderUi = await uiRecords(leader);
    const after = {
      oldLeaderUi: summary(oldLeaderUi, resumedAt),
      leaderFlags: flags,
      pingsPerTabAtSteadyState: counts,
      navigations: tabs.map((tab) => tab.navigations.map((n) => n.url)),
      serverStatus: await serverStatus(cookie),
    };
    report(`silent leader ${silence.name}, after`, after);
    expect(alarming(oldLeaderUi)).toEqual([]);
    expect(after.navigations).toEqual([[], [], []]);
    expect(after.serverStatus).toBe(200);
    expect(flags.filter(Boolean)).toHaveLength(1);
    expect(counts.filter((n) => n > 0)).toHaveLength(1);
    expect(counts[tabs.indexOf(newLeader!)]).toBeGreaterThan(0);
  }, 90_000);
});

// ---- 3. A thawed follower resyncs -----------------------------------------------------------------

test.each([6, 10])(
  'a follower frozen %i s while another tab is used: thawed, it shows no warning nor lock and follows the others',
  async (seconds) => {
    const { tabs, followers, cookie } = await threeTabs();
    const [frozen, other] = followers;
    await freeze(frozen);
    const frozenAt = Date.now();
    await keepActive(other, seconds * 1000);
    const thawedAt = Date.now();
    await thaw(frozen);
    // The user goes on working elsewhere; the thawed tab must catch up at once.
    await keepActive(other, 1000);
    const [mine, theirs] = await Promise.all([state(frozen), state(other)]);
    await keepActive(other, 2000);
    const records = await uiRecords(frozen);
    const { flags } = await oneLeader(tabs, 3000);
    const measured = {
      frozenMs: thawedAt - frozenAt,
      thawedUi: summary(records, thawedAt),
      thawedState: { phase: mine.phase, lagMs: theirs.lastActivity - mine.lastActivity },
      leaderFlags: flags,
      navigations: tabs.map((tab) => tab.navigations.map((n) => n.url)),
      serverStatus: await serverStatus(cookie),
    };
    report(`follower frozen ${seconds} s`, measured);
    expect({
      ui: records.filter((r) => r.what !== 'end-event'),
      phase: mine.phase,
      navigations: measured.navigations,
      serverStatus: measured.serverStatus,
    }).toEqual({ ui: [], phase: 'active', navigations: [[], [], []], serverStatus: 200 });
    // Its copy of the shared state is the others' (activity reports are throttled to 0.5 s).
    expect(Math.abs(measured.thawedState.lagMs)).toBeLessThanOrEqual(1000);
    expect(flags.filter(Boolean)).toHaveLength(1);
  },
  60_000,
);

// ---- 4. Back/forward cache ------------------------------------------------------------------------

interface Trip {
  /** True when the return restored the page from the cache, null when it was loaded again. */
  restored: true | null;
  /** Why Chromium did not restore it (`Page.backForwardCacheNotUsed`), as `type:reason`. */
  notRestoredReasons: string[];
}

/** Leaves the tab's page for a same-origin one (no client there); `whileAway` runs; then back. */
async function bfcacheTrip(tab: Tab, whileAway: () => Promise<void>): Promise<Trip> {
  const session = await cdp(tab);
  await session.send('Page.enable');
  const notRestoredReasons: string[] = [];
  const onNotUsed = (e: { notRestoredExplanations: { type: string; reason: string }[] }) =>
    notRestoredReasons.push(...e.notRestoredExplanations.map((x) => `${x.type}:${x.reason}`));
  // Told by the browser, not asked of the page: a restored page may end and leave at once.
  let restored: true | null = null;
  const onNavigated = (e: { frame: { parentId?: string }; type?: string }) => {
    if (!e.frame.parentId && e.type === 'BackForwardCacheRestore') restored = true;
  };
  session.on('Page.backForwardCacheNotUsed', onNotUsed);
  await tab.page.goto(example.url + ELSEWHERE);
  await whileAway();
  session.on('Page.frameNavigated', onNavigated);
  await tab.page.goBack();
  // This session's events may trail the navigation puppeteer's own session waited for.
  await until(() => restored !== null || notRestoredReasons.length > 0, { timeout: 1000, what: 'the restore event' }).catch(() => null);
  session.off('Page.frameNavigated', onNavigated);
  session.off('Page.backForwardCacheNotUsed', onNotUsed);
  return { restored, notRestoredReasons };
}

test('a follower through the back/forward cache: restored, it rejoins with the true state and one leader', async () => {
  const { tabs, leader, followers, cookie } = await threeTabs();
  const [traveller, other] = followers;
  let awayAt = 0;
  const trip = await bfcacheTrip(traveller, async () => {
    awayAt = Date.now();
    await keepActive(other, 3000);
  });
  const backAt = Date.now();
  const { lastActivity } = await state(other);
  await sleep(500);
  const mine = await state(traveller);
  const { flags } = await oneLeader(tabs, 3000);
  const counts = await pingsWhileActive(tabs, other, 4000);
  const measured = {
    ...trip,
    awayMs: backAt - awayAt,
    lagMs: lastActivity - mine.lastActivity,
    phase: mine.phase,
    leaderFlags: flags,
    pingsPerTabAtSteadyState: counts,
    oldLeaderStillLeads: flags[tabs.indexOf(leader)],
    ui: summary(await uiRecords(traveller), backAt),
  };
  report('follower through the bfcache', measured);
  expect(trip).toEqual({ restored: true, notRestoredReasons: [] });
  expect(mine.phase).toBe('active');
  expect(Math.abs(measured.lagMs)).toBeLessThanOrEqual(1000);
  expect(flags.filter(Boolean)).toHaveLength(1);
  expect(counts.filter((n) => n > 0)).toHaveLength(1);
  expect(await serverStatus(cookie)).toBe(200);
}, 60_000);

test('the leader through the back/forward cache: it may enter it (gives up the leadership), another tab leads meanwhile, one leader after the return', async () => {
  const { tabs, leader, followers, cookie } = await threeTabs();
  let awayLeaders: boolean[] = [];
  let awayAt = 0;
  const trip = await bfcacheTrip(leader, async () => {
    awayAt = Date.now();
    await keepActive(followers[0], 1500);
    awayLeaders = await leaderFlags(followers);
  });
  await waitForClientOn(leader);
  const { flags } = await oneLeader(tabs, 3000);
  const counts = await pingsWhileActive(tabs, followers[0], 4000);
  report('leader through the bfcache', {
    ...trip,
    awayLeaders,
    leaderFlags: flags,
    pingsPerTabAtSteadyState: counts,
    tookMs: Date.now() - awayAt,
  });
  // Chromium keeps no page with an `unload` listener in the bfcache: the leader must not have one.
  expect(trip).toEqual({ restored: true, notRestoredReasons: [] });
  expect(awayLeaders.filter(Boolean)).toHaveLength(1);
  expect(flags.filter(Boolean)).toHaveLength(1);
  expect(counts.filter((n) => n > 0)).toHaveLength(1);
  expect(await serverStatus(cookie)).toBe(200);
}, 60_000);

async function waitForClientOn(tab: Tab): Promise<void> {
  await tab.page.waitForFunction(() => !!window.__sessionwatch, { timeout: 10_000 });
}

test.each(['revoked', 'logged-out'] as const)(
  'the session ends (%s) while a tab is in the back/forward cache: restored, the tab ends at once',
  async (reason) => {
    const session = await login(['/', '/']);
    const { tabs } = session;
    await keepActive(tabs[1], 600);
    const { leader } = await oneLeader(tabs);
    const stayer = leader!;
    const traveller = tabs.find((tab) => tab !== stayer)!;
    let endedAt = 0;
    const trip = await bfcacheTrip(traveller, async () => {
      await sleep(300);
      if (reason === 'revoked') {
        const other = await login(['/sessions']);
        const id = await stayer.page.evaluate(async () => {
          const { sessions } = (await (await fetch('/session/sessions')).json()) as SessionListResponse;
          return sessions.find((s) => s.current)!.id;
        });
        const status = await other.tabs[0].page.evaluate(
          (sid) => fetch(`/session/sessions/${sid}`, { method: 'DELETE' }).then((r) => r.status),
          id,
        );
        expect(status).toBe(204);
        // The remaining tab learns it at its next ping (it is in use).
        await keepActive(stayer, 1500);
      } else {
        await stayer.page.evaluate(() => window.__sessionwatch!.logout());
      }
      await until(() => stayer.navigations.find((n) => n.url.includes(`reason=${reason}`)), {
        timeout: 10_000,
        what: 'the remaining tab to end',
      });
      endedAt = Date.now();
    });
    const backAt = Date.now();
    const end = await until(() => traveller.navigations.find((n) => n.url.includes('reason=')), {
      timeout: 5000,
      what: 'the restored tab to end',
    }).catch(() => null);
    const onLoginPage = await traveller.page.$('#username').then((el) => !!el);
    report(`ended (${reason}) while in the bfcache`, {
      ...trip,
      endedBeforeReturnMs: backAt - endedAt,
      endedAfterReturnMs: end ? end.t - backAt : null,
      endUrl: end?.url ?? null,
      onLoginPage,
    });
    // It ends at once. After a revocation the reason may read "logged-out": the other tab's 401
    // already reset the shared cookie, so the server can only say "unauthenticated" to this one.
    expect(end?.url).toMatch(reason === 'revoked' ? /reason=(revoked|logged-out)/ : /reason=logged-out/);
    expect(end!.t - backAt).toBeLessThan(2000);
    // From the bfcache, not by loading the page again.
    expect(trip).toEqual({ restored: true, notRestoredReasons: [] });
  },
  60_000,
);

// ---- 5. Sleep ---------------------------------------------------------------------------------------

/** Typing in the form's textarea, one key every `every` ms, for `ms` ms. */
async function keepTyping(tab: Tab, ms: number, every = 250): Promise<string> {
  const end = Date.now() + ms;
  let typed = '';
  await tab.page.focus('#body');
  for (let i = 0; Date.now() < end; i++) {
    const key = 'abcdefghij'[i % 10];
    await tab.page.keyboard.type(key);
    typed += key;
    await sleep(every);
  }
  return typed;
}

/** What a tab ended with: its navigation to the login page, the draft it kept, what it showed before. */
async function endOf(tab: Tab, since: number) {
  const nav = tab.navigations.find((n) => n.url.includes('reason='));
  const records = await uiRecords(tab);
  const endLock = records.find((r) => r.what === 'lock' && r.text !== CHECKING);
  const endEvent = records.find((r) => r.what === 'end-event');
  return {
    /** The first sign of the end in the page (end lock screen or `end` event), page clock. */
    endShownAt: Math.min(endLock?.t ?? Infinity, endEvent?.t ?? Infinity),
    reason: nav ? new URL(nav.url).searchParams.get('reason') : null,
    navigatedAt: nav?.t ?? null,
    endLockAt: endLock?.t ?? null,
    endEvent: records.find((r) => r.what === 'end-event')?.text ?? null,
    warnings: records.filter((r) => r.what === 'warning-shown' || r.what === 'warn-event').map((r) => r.t - since),
    draft: await inLoadedPage(tab, (key: string) => sessionStorage.getItem(key), DRAFT_KEY),
  };
}

/** The first 401 answer to a ping of any tab after `since` (page clock, from Resource Timing), or null. */
async function first401(tabs: Tab[], since: number): Promise<number | null> {
  const records = (await Promise.all(tabs.map((tab) => uiRecords(tab, { withPings: true })))).flat();
  const times = records.filter((r) => r.what === 'ping-answer' && r.status === 401 && r.t >= since).map((r) => r.t);
  return times.length ? Math.min(...times) : null;
}

test('all tabs frozen longer than expireAfter (a closed lid): on wake every tab ends "expired", only after the server said so, drafts kept', async () => {
  const { tabs, cookie } = await threeTabs(['/form', '/', '/']);
  const typed = await keepTyping(tabs[0], 1000);
  for (const tab of tabs) await freeze(tab);
  const frozenAt = Date.now();
  await sleep(12_000);
  const statusBeforeWake = await serverStatus(cookie);
  const wokeAt = Date.now();
  for (const tab of tabs) await thaw(tab);
  await Promise.all(
    tabs.map((tab) =>
      until(() => tab.navigations.some((n) => n.url.includes('reason=')), { timeout: 10_000, what: `tab ${tab.index} to end` }).catch(
        () => undefined,
      ),
    ),
  );
  const answer401 = await first401(tabs, frozenAt);
  const ends = await Promise.all(tabs.map((tab) => endOf(tab, wokeAt)));
  report('all frozen 12 s', {
    statusBeforeWake,
    first401AfterWakeMs: answer401 && answer401 - wokeAt,
    ends: ends.map((e) => ({
      ...e,
      endShownAt: e.endShownAt - wokeAt,
      navigatedAt: e.navigatedAt && e.navigatedAt - wokeAt,
      endLockAt: e.endLockAt && e.endLockAt - wokeAt,
      draft: !!e.draft,
    })),
  });
  expect(statusBeforeWake).toBe(401);
  expect(ends.map((e) => [e.reason, e.endEvent])).toEqual(tabs.map(() => ['expired', 'expired']));
  expect(answer401).not.toBeNull();
  for (const e of ends) {
    // Nothing said "logged out" before the server did (a "Checking your session…" lock may).
    expect(e.endShownAt).toBeGreaterThanOrEqual(answer401!);
    expect(e.warnings).toEqual([]);
    expect(e.navigatedAt! - wokeAt).toBeLessThan(5000);
  }
  expect((JSON.parse(ends[0].draft ?? 'null') as { containers?: unknown[] } | null)?.containers?.[0]).toBeDefined();
  expect(ends[0].draft).toContain(typed);
}, 60_000);

test('all tabs frozen shorter than warnAfter: on wake no warning nor lock, the session goes on', async () => {
  const { tabs, leader, cookie } = await threeTabs();
  await keepActive(tabs[1], 500);
  for (const tab of tabs) await freeze(tab);
  await sleep(2000);
  const wokeAt = Date.now();
  for (const tab of tabs) await thaw(tab);
  await keepActive(tabs[1], 3000);
  const records = await Promise.all(tabs.map((tab) => uiRecords(tab)));
  const phases = (await Promise.all(tabs.map(state))).map((s) => s.phase);
  const { flags } = await oneLeader(tabs, 3000);
  report('all frozen 2 s', { ui: records.map((r) => summary(r, wokeAt)), phases, leaderFlags: flags, leaderBefore: tabs.indexOf(leader) });
  expect(records).toEqual([[], [], []]);
  expect(phases).toEqual(['active', 'active', 'active']);
  expect(tabs.map((tab) => tab.navigations)).toEqual([[], [], []]);
  expect(flags.filter(Boolean)).toHaveLength(1);
  expect(await serverStatus(cookie)).toBe(200);
}, 40_000);

// ---- 6. Long offline --------------------------------------------------------------------------------

test('offline longer than expireAfter while typing: back online, the server\'s answer ends every tab "expired", drafts kept', async () => {
  const { tabs } = await threeTabs(['/form', '/', '/']);
  for (const tab of tabs) await tab.page.setOfflineMode(true);
  const offlineAt = Date.now();
  const typed = await keepTyping(tabs[0], 12_000);
  const onlineAt = Date.now();
  const lockedWhileOffline = await Promise.all(
    tabs.map(async (tab) => alarming(await uiRecords(tab)).map((r) => `${r.what}@${r.t - offlineAt}`)),
  );
  // All back at once: a tab still offline when another's end reaches it would leave for the login
  // page offline, and land on the browser's error page (whose storage cannot be read).
  await Promise.all(tabs.map((tab) => tab.page.setOfflineMode(false)));
  await Promise.all(
    tabs.map((tab) =>
      until(() => tab.navigations.some((n) => n.url.includes('reason=')), { timeout: 10_000, what: `tab ${tab.index} to end` }).catch(
        () => undefined,
      ),
    ),
  );
  const answer401 = await first401(tabs, onlineAt);
  const ends = await Promise.all(tabs.map((tab) => endOf(tab, offlineAt)));
  report('offline 12 s while typing', {
    alarmsWhileOffline: lockedWhileOffline,
    first401AfterOnlineMs: answer401 && answer401 - onlineAt,
    ends: ends.map((e) => ({
      ...e,
      endShownAt: e.endShownAt - onlineAt,
      navigatedAt: e.navigatedAt && e.navigatedAt - onlineAt,
      endLockAt: e.endLockAt && e.endLockAt - onlineAt,
      draft: !!e.draft,
    })),
  });
  // The user kept typing: nothing ended nor warned while offline.
  expect(lockedWhileOffline).toEqual([[], [], []]);
  expect(ends.map((e) => [e.reason, e.endEvent])).toEqual(tabs.map(() => ['expired', 'expired']));
  expect(answer401).not.toBeNull();
  for (const e of ends) {
    expect(e.endShownAt).toBeGreaterThanOrEqual(answer401!);
    expect(e.navigatedAt! - onlineAt).toBeLessThan(5000);
  }
  expect(ends[0].draft).toContain(typed.slice(-20));
}, 60_000);

// ---- 7. Crashed leader ------------------------------------------------------------------------------

test('a crashed leader (chrome://crash): another tab leads and pings within 1 s', async () => {
  const { leader, followers } = await threeTabs();
  crashed.add(leader);
  const activity = keepActive(followers[0], 4000);
  await sleep(1200);
  let crashEvent = 0;
  leader.page.once('error', () => (crashEvent = Date.now()));
  const crashAt = Date.now();
  await leader.page.goto('chrome://crash', { timeout: 3000 }).catch(() => undefined);
  const pinged = await until(() => firstPing(followers, crashAt), { timeout: 5000, what: 'a ping from another tab' }).catch(() => null);
  await activity;
  const { leader: next, flags } = await oneLeader(followers, 1000);
  report('crashed leader', {
    crashEventAfterMs: crashEvent ? crashEvent - crashAt : null,
    firstPingAfterCrashMs: pinged && pinged - crashAt,
    leaderFlags: flags,
  });
  expect(crashEvent).toBeGreaterThan(0);
  expect(next).not.toBeNull();
  expect(pinged).not.toBeNull();
  expect(pinged! - Math.max(crashAt, crashEvent || crashAt)).toBeLessThanOrEqual(1000);
  expect(countSince(next!.pings, crashAt)).toBeGreaterThan(0);
}, 40_000);

// ---- 8. Hidden followers (issue 28) -----------------------------------------------------------------

/** This tab's Web Locks client id, and the holders and waiters of sessionwatch's lock as the origin has them. */
async function lockView(tab: Tab): Promise<{ self: string; held: string[]; pending: string[] }> {
  return tab.page.evaluate(async () => {
    const name = `whoami-${Math.random()}`;
    const self = await navigator.locks.request(
      name,
      async () => (await navigator.locks.query()).held!.find((l) => l.name === name)!.clientId!,
    );
    const { held = [], pending = [] } = await navigator.locks.query();
    const ours = (lock: LockInfo) => !!lock.name?.startsWith('sessionwatch|');
    return { self, held: held.filter(ours).map((l) => l.clientId!), pending: pending.filter(ours).map((l) => l.clientId!) };
  });
}

/** Hides a window's page the way Chromium does a background tab, and leaves it running. */
async function hide(tab: Tab): Promise<void> {
  await freeze(tab);
  await thaw(tab, { visible: false });
  await until(async () => (await tab.page.evaluate(() => document.visibilityState)) === 'hidden', { what: `tab ${tab.index} hidden` });
}

test('hidden followers hold no Web Lock and wait for none (Chrome freezes neither); the leader closed, one of them leads at once', async () => {
  const { leader, followers } = await threeTabs();
  for (const tab of followers) await hide(tab);
  const ids = await Promise.all(followers.map(async (tab) => (await lockView(tab)).self));
  const leaderId = (await lockView(leader)).self;
  // A follower leaves the lock's queue at its next event once hidden (here: the visibility change).
  const seen = await until(
    async () => {
      const view = await lockView(leader);
      return view.pending.some((id) => ids.includes(id)) ? null : view;
    },
    { timeout: 5000, what: 'no waiting request from a hidden follower' },
  );
  report('hidden followers: locks', { held: seen.held.map((id) => (id === leaderId ? 'leader' : id)), pending: seen.pending.length });
  expect(seen.held).toEqual([leaderId]);
  expect(seen.pending).toEqual([]);

  // The leader goes away: its `bye` makes the hidden followers wait for the lock, one gets it.
  const closedAt = Date.now();
  await leader.page.close();
  const { leader: next } = await oneLeader(followers, 3000);
  const ledAfter = Date.now() - closedAt;
  expect(next).not.toBeNull();
  const other = followers.find((tab) => tab !== next)!;
  // Once the new leader spoke, the other hidden follower leaves the queue again.
  const after = await until(
    async () => {
      const view = await lockView(next!);
      return view.pending.length === 0 ? view : null;
    },
    { timeout: 5000, what: 'the other hidden follower out of the queue' },
  );
  report('hidden followers: leader closed', { ledAfterMs: ledAfter });
  expect(after.held).toEqual([ids[followers.indexOf(next!)]]);
  expect((await state(other)).isLeader).toBe(false);
  expect(await until(() => countSince(next!.pings, closedAt) > 0, { timeout: 5000, what: 'a ping of the new leader' })).toBe(true);
}, 40_000);
