/**
 * Browser tests (Chromium and Firefox, real HTTP, real SQLite) of the push stream: the leader tab
 * of each browser holds the one stream (`GET /session/events`), and a session's end reaches every
 * tab of it at once, idle tabs included, long before the idle check (`checkInterval`, 60 s by
 * default, as here). The stream moves with the leadership: the leader closed, crashed or frozen
 * (the last two Chromium only, over the DevTools protocol). Long timings: nothing warns or expires
 * while a test runs; tabs end in place (locked), so that what they saw can still be read.
 */
import { startExample, type RunningExample } from '../test/support/example-server';
import { countStreams, oneLeader, openStreams, revokeAll, revokedWithin } from './push-support';
import { BROWSERS, freeze, keepActive, launchBrowser, Session, sleep, thaw, until, type Tab } from './support';

let example: RunningExample;

beforeAll(async () => {
  example = await startExample('sqlite', { warnAfter: 600, expireAfter: 1200 });
});

afterAll(async () => {
  await example?.stop();
});

describe.each(BROWSERS)('%s', (kind) => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const sessions: Session[] = [];
  /** Tabs whose errors are expected (a crashed renderer). */
  const crashed = new Set<Tab>();

  // A browser's start takes seconds, and more on a loaded machine (two suites at a time, 2 cores).
  beforeAll(async () => {
    browser = await launchBrowser(kind);
  }, 60_000);
  afterEach(async () => {
    const all = sessions.splice(0);
    const errors = all.flatMap((s) => s.tabs).flatMap((tab) => (crashed.has(tab) ? [] : tab.errors));
    crashed.clear();
    await Promise.all(all.map((s) => s.close()));
    expect(errors).toEqual([]);
    await until(() => example.sw.pushStreams === 0, { what: 'every stream closed' });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A browser of `user` (a context of its own) with three tabs on `path`, counting their streams. */
  async function threeTabs(user: string, path = '/'): Promise<Session> {
    const session = await Session.login(browser, example.url, path, user, { preload: countStreams });
    sessions.push(session);
    await session.open(path);
    await session.open(path);
    return session;
  }

  /**
   * Waits until exactly one of `tabs` leads, holds the only stream among them, and the server holds
   * `total` streams; returns the leader.
   */
  async function settled(tabs: Tab[], total: number): Promise<Tab> {
    const leader = await oneLeader(tabs);
    await until(async () => (await Promise.all(tabs.map(openStreams))).join() === tabs.map((t) => (t === leader ? 1 : 0)).join(), {
      timeout: 10_000,
      what: 'the leader alone holding a stream',
    });
    await until(() => example.sw.pushStreams === total, { timeout: 10_000, what: `${total} streams on the server` });
    return leader;
  }

  test('two browsers of one user, 3 idle tabs each: one stream per browser; "log out all other sessions" in one locks every tab of the other within 1 s', async () => {
    const a = await threeTabs('johndoe');
    const b = await threeTabs('johndoe');
    await settled(a.tabs, 2);
    await settled(b.tabs, 2);
    // Followers hold no stream (what opened one before the leader was known is closed), for good.
    await sleep(1000);
    expect(example.sw.pushStreams).toBe(2);
    const revoked = await a.tabs[1].page.evaluate(() =>
      fetch('/session/sessions', { method: 'DELETE' }).then((r) => r.json() as Promise<{ revoked: number }>),
    );
    // From the answer to the revoking request (the measure; the stream may even be first).
    const answeredAt = Date.now();
    // Browser B's session, and any the other browser's run left live: at least one.
    expect(revoked.revoked).toBeGreaterThanOrEqual(1);
    await revokedWithin(b.tabs, answeredAt, `${kind}, other session`);
    // Browser A goes on, with its stream.
    expect(example.sw.pushStreams).toBe(1);
  }, 60_000);

  test('the leader closed: the new leader holds the one stream; the server API (sw.revokeAll) locks the remaining tabs within 1 s', async () => {
    const { tabs } = await threeTabs('janedoe');
    const leader = await settled(tabs, 1);
    await leader.page.close();
    tabs.splice(tabs.indexOf(leader), 1);
    await settled(tabs, 1);
    await revokedWithin(tabs, await revokeAll(example, 'janedoe'), `${kind}, leader closed`);
  }, 60_000);

  if (kind !== 'chromium') return;

  test('the leader crashed (chrome://crash): the new leader holds the one stream; a revocation locks the remaining tabs within 1 s', async () => {
    const { tabs } = await threeTabs('johndoe');
    const leader = await settled(tabs, 1);
    crashed.add(leader);
    await leader.page.goto('chrome://crash', { timeout: 3000 }).catch(() => undefined);
    const rest = tabs.filter((tab) => tab !== leader);
    await settled(rest, 1);
    await revokedWithin(rest, await revokeAll(example, 'johndoe'), `${kind}, leader crashed`);
  }, 60_000);

  test('the leader frozen (Page.setWebLifecycleState) while the user works in a follower: the new leader holds the one stream; a revocation locks the running tabs within 1 s, and the frozen one once thawed', async () => {
    // A ping interval of 1 s: the follower the user works in takes over within seconds.
    const { tabs } = await threeTabs('johndoe', '/?pingInterval=1');
    const leader = await settled(tabs, 1);
    const rest = tabs.filter((tab) => tab !== leader);
    await freeze(leader);
    const working = keepActive(rest[0], 4000);
    // Chromium closes a frozen page's stream: the one left is the new leader's.
    await settled(rest, 1);
    await working;
    await revokedWithin(rest, await revokeAll(example, 'johndoe'), `${kind}, leader frozen`);
    // The frozen leader learns it when it runs again (its stream said so, then closed).
    await thaw(leader, { visible: false });
    await revokedWithin([leader], Date.now(), `${kind}, thawed`, 5000);
  }, 60_000);
});
