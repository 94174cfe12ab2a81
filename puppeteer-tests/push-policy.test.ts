/**
 * Browser tests (Chromium and Firefox, real HTTP, real SQLite) of a policy change pushed to the
 * tabs: an administrator tightens a user's limits (`PUT /session/admin/users/:userId/policy`), and
 * every open tab of that user's browser takes the new deadline within a second, idle ones
 * included, with one ping (the leader's: the stream's `policy` event is a cue to ask the server).
 */
import type { SessionWatchState } from '../client';
import { startExample, type RunningExample } from '../test/support/example-server';
import { BROWSERS, launchBrowser, Session, state, until, waitForEvent, type Tab } from './support';

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

  async function login(user: string, tabs: number): Promise<Session> {
    const session = await Session.login(browser, example.url, '/', user);
    sessions.push(session);
    for (let i = 1; i < tabs; i++) await session.open('/');
    return session;
  }

  /** The tabs' pings since `since` (Node time). */
  const pingsSince = (tabs: Tab[], since: number) => tabs.flatMap((t) => t.pings).filter((t) => t >= since).length;

  /** Waits until every tab's state passes `check`; returns when each did (Node time, polled every 20 ms). */
  const allUntil = (tabs: Tab[], what: string, check: (s: SessionWatchState) => boolean) =>
    Promise.all(
      tabs.map(async (tab) => {
        await until(async () => check(await state(tab)), { timeout: 5000, every: 20, what: `tab ${tab.index}: ${what}` });
        return Date.now();
      }),
    );

  test('3 idle tabs: the admin shortens expireAfter, then warnAfter below their idle time: every tab follows within a second, one ping each time', async () => {
    const john = await login('johndoe', 3);
    const admin = await login('janedoe', 1);
    // One leader per browser, each holding its stream; then the pings of the tabs' start are over.
    await until(() => example.sw.pushStreams === 2, { timeout: 10_000, what: 'the two streams' });
    const lastPing = () => Math.max(0, ...john.tabs.flatMap((t) => t.pings));
    await until(() => Date.now() - lastPing() >= 1500, { timeout: 20_000, what: 'the pings to settle' });
    const sessionId = await john.tabs[0].page.evaluate(async () => {
      const { sessions } = (await (await fetch('/session/sessions')).json()) as { sessions: { id: string; current: boolean }[] };
      return sessions.find((s) => s.current)!.id;
    });
    const userId = (await example.sw.store.findById(sessionId))!.userId;
    const setPolicy = async (policy: { warnAfter: number; expireAfter: number }) => {
      const answer = await admin.tabs[0].page.evaluate(
        async (path, body) => {
          const res = await fetch(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
          return { status: res.status, body: (await res.json()) as unknown };
        },
        `/session/admin/users/${encodeURIComponent(userId)}/policy`,
        JSON.stringify(policy),
      );
      expect(answer.status).toBe(200);
      return Date.now();
    };

    // A shorter idle limit than the tabs' idle time would warn at: the new deadline everywhere.
    const before = Date.now();
    const changedAt = await setPolicy({ warnAfter: 60, expireAfter: 120 });
    const shown = await allUntil(
      john.tabs,
      'the new deadline',
      (s) => s.expireAfter === 120 && s.secondsLeft <= 120 && s.phase === 'active',
    );
    console.log(`[push-policy] ${kind}: expireAfter 1200 → 120: tabs after ${JSON.stringify(shown.map((t) => t - changedAt))} ms`);
    for (const t of shown) expect(t - changedAt).toBeLessThan(1000);
    await until(() => Date.now() - lastPing() >= 1500, { timeout: 20_000, what: 'the pings to settle' });
    expect(pingsSince(john.tabs, before)).toBe(1);

    // A warnAfter the tabs' idle time has reached: every tab warns, on the new deadline.
    const again = Date.now();
    const warnedFrom = await setPolicy({ warnAfter: 1, expireAfter: 90 });
    const warned = await Promise.all(john.tabs.map((tab) => waitForEvent(tab, 'warn', 5000)));
    console.log(`[push-policy] ${kind}: warnAfter 60 → 1: tabs warned after ${JSON.stringify(warned.map((e) => e.t - warnedFrom))} ms`);
    for (const event of warned) {
      expect(event.t - warnedFrom).toBeLessThan(1000);
      expect(event.secondsLeft).toBeLessThanOrEqual(90);
    }
    for (const tab of john.tabs) expect(await state(tab)).toMatchObject({ phase: 'warning', warnAfter: 1, expireAfter: 90 });
    await until(() => Date.now() - lastPing() >= 1500, { timeout: 20_000, what: 'the pings to settle' });
    expect(pingsSince(john.tabs, again)).toBe(1);
    // The administrator's own session is not the one changed.
    expect((await state(admin.tabs[0])).expireAfter).not.toBe(90);
  }, 90_000);
});
