/**
 * Browser tests (Chromium and Firefox, real HTTP, real SQLite) of the push stream: the leader tab
 * of each browser holds the one stream (`GET /session/events`), and a session's end reaches every
 * tab of it at once, idle tabs included, long before the idle check (`checkInterval`, 60 s by
 * default, as here). Long timings: nothing warns or expires while a test runs.
 */
import { startExample, type RunningExample } from '../test/support/example-server';
import { BROWSERS, launchBrowser, Session, sleep, state, until, waitForEnd, type Tab } from './support';

let example: RunningExample;

beforeAll(async () => {
  example = await startExample('sqlite', { warnAfter: 600, expireAfter: 1200, relogin: 'navigate' });
});

afterAll(async () => {
  await example?.stop();
});

describe.each(BROWSERS)('%s', (kind) => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const sessions: Session[] = [];

  beforeAll(async () => {
    browser = await launchBrowser(kind);
  });
  afterEach(async () => {
    const all = sessions.splice(0);
    const errors = all.flatMap((s) => s.tabs).flatMap((tab) => tab.errors);
    await Promise.all(all.map((s) => s.close()));
    expect(errors).toEqual([]);
    await until(() => example.sw.pushStreams === 0, { what: 'every stream closed' });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A browser of `user` (a context of its own) with three tabs. */
  async function threeTabs(user: string): Promise<Session> {
    const session = await Session.login(browser, example.url, '/', user);
    sessions.push(session);
    await session.open('/');
    await session.open('/');
    return session;
  }

  /** Waits until exactly one tab of the session leads and the server holds `total` streams. */
  async function settled(session: Session, total: number): Promise<Tab> {
    const leader = await until(
      async () => {
        const states = await Promise.all(session.tabs.map(state));
        return states.filter((s) => s.isLeader).length === 1 ? session.tabs[states.findIndex((s) => s.isLeader)] : undefined;
      },
      { timeout: 10_000, what: 'one leader' },
    );
    await until(() => example.sw.pushStreams === total, { timeout: 10_000, what: `${total} streams on the server` });
    return leader;
  }

  test('two browsers of one user, 3 idle tabs each: one stream per browser; "log out all other sessions" in one ends every tab of the other at once', async () => {
    const a = await threeTabs('johndoe');
    const b = await threeTabs('johndoe');
    await settled(a, 2);
    const leaderB = await settled(b, 2);
    // Followers hold no stream (what opened one before the leader was known is closed).
    await sleep(1000);
    expect(example.sw.pushStreams).toBe(2);
    const revokedAt = Date.now();
    const revoked = await a.tabs[1].page.evaluate(() =>
      fetch('/session/sessions', { method: 'DELETE' }).then((r) => r.json() as Promise<{ revoked: number }>),
    );
    // Browser B's session, and any the other browser's run left live: at least one.
    expect(revoked.revoked).toBeGreaterThanOrEqual(1);
    const ends = await Promise.all(b.tabs.map((tab) => waitForEnd(tab, 'revoked', 5000)));
    console.log(
      `[push] ${kind}: revoked → tabs ended after ${JSON.stringify(ends.map((t) => t - revokedAt))} ms (leader ${b.tabs.indexOf(leaderB)})`,
    );
    for (const t of ends) expect(t - revokedAt).toBeLessThan(1500);
    // Browser A goes on.
    for (const tab of a.tabs) expect((await state(tab)).phase).toBe('active');
  }, 60_000);

  test('the stream moves with the leadership; the server API revoking the session ends the remaining tabs at once', async () => {
    const session = await threeTabs('janedoe');
    const leader = await settled(session, 1);
    await leader.page.close();
    session.tabs.splice(session.tabs.indexOf(leader), 1);
    // The closed leader's stream is gone; the one the server holds is the new leader's.
    const next = await settled(session, 1);
    const revokedAt = Date.now();
    const current = await next.page.evaluate(async () => {
      const { sessions } = (await (await fetch('/session/sessions')).json()) as { sessions: { id: string; current: boolean }[] };
      return sessions.find((s) => s.current)!.id;
    });
    expect(await example.sw.revokeAll((await example.sw.store.findById(current))!.userId)).toBeGreaterThanOrEqual(1);
    const ends = await Promise.all(session.tabs.map((tab) => waitForEnd(tab, 'revoked', 5000)));
    for (const t of ends) expect(t - revokedAt).toBeLessThan(1500);
  }, 60_000);
});
