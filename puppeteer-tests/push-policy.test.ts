/**
 * Browser tests (Chromium and Firefox, real HTTP, real SQLite) of a policy change pushed to the
 * tabs: an administrator tightens a user's limits (`PUT /session/admin/users/:userId/policy`), and
 * every open tab of that user's browser takes the new deadline within a second, idle ones
 * included, with one ping (the leader's: the stream's `policy` event is a cue to ask the server).
 */
import type { SessionWatchState } from '../client';
import { startExample, type RunningExample } from '../test/support/example-server';
import { TestClient } from '../test/support/http-client';
import { BROWSERS, browserSuite, Session, state, until, waitForEvent, type Tab } from './support';

let example: RunningExample;

beforeAll(async () => {
  example = await startExample('sqlite', { warnAfter: 600, expireAfter: 1200, relogin: 'navigate' });
});

afterAll(async () => {
  await example?.stop();
});

describe.each(BROWSERS)('%s', (kind) => {
  const suite = browserSuite(kind);

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
    const john = (suite.session = await Session.login(suite.browser, example.url, '/', 'johndoe'));
    for (let i = 1; i < 3; i++) await john.open('/');
    const admin = new TestClient(example.url);
    expect((await admin.login('janedoe')).status).toBeLessThan(400);
    // One leader, holding the browser's one stream; then the pings of the tabs' start are over.
    await until(() => example.sw.pushStreams === 1, { timeout: 10_000, what: 'the stream' });
    const lastPing = () => Math.max(0, ...john.tabs.flatMap((t) => t.pings));
    await until(() => Date.now() - lastPing() >= 1500, { timeout: 20_000, what: 'the pings to settle' });
    const sessionId = await john.tabs[0].page.evaluate(async () => {
      const { sessions } = (await (await fetch('/session/sessions')).json()) as { sessions: { id: string; current: boolean }[] };
      return sessions.find((s) => s.current)!.id;
    });
    const userId = (await example.sw.store.findById(sessionId))!.userId;
    const setPolicy = async (policy: { warnAfter: number; expireAfter: number }) => {
      const path = `/session/admin/users/${encodeURIComponent(userId)}/policy`;
      expect((await admin.request('PUT', path, { json: policy })).status).toBe(200);
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
  }, 90_000);
});
