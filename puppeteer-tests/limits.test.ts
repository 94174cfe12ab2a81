/**
 * Browser tests (Chromium and Firefox ESR, real HTTP, real SQLite) of what ends or endangers a
 * session beyond inactivity (issue 19, points 4 and 5):
 * - the absolute lifetime (`maxAge`): every tab warns before it, without an extend, whatever the
 *   activity, and every tab ends on time;
 * - a server that cannot be reached: every tab says so, and says when it is back;
 * - the app's session store losing a live session: every tab ends with reason `lost`.
 * The final warning and the connection notice pass axe-core's WCAG 2.2 A/AA rules.
 */
import { MemorySessionStore } from '../example/memory-session-store';
import { startExample, type RunningExample } from '../test/support/example-server';
import type { SessionListResponse } from '../shared/protocol';
import {
  axeViolations,
  browserSuite,
  BROWSERS,
  events,
  interceptApi,
  keepActive,
  Session,
  until,
  waitForEnd,
  waitForEvent,
  type Tab,
} from './support';

/** The idle limits stay far away: only the absolute end (or the test's fault) ends a session. */
const WARN_AFTER = 20;
const EXPIRE_AFTER = 30;
const MAX_AGE = 16;
/** The warning before the absolute end comes as long before it as the idle warning would. */
const LEAD_MS = (EXPIRE_AFTER - WARN_AFTER) * 1000;

let limited: RunningExample;
let storeLoses: RunningExample;
const lostStore = new MemorySessionStore();

beforeAll(async () => {
  [limited, storeLoses] = await Promise.all([
    startExample('sqlite', { warnAfter: WARN_AFTER, expireAfter: EXPIRE_AFTER, maxAge: MAX_AGE, relogin: 'navigate' }),
    startExample('sqlite', { warnAfter: WARN_AFTER, expireAfter: EXPIRE_AFTER, sessionStore: lostStore, relogin: 'navigate' }),
  ]);
});

afterAll(async () => {
  await Promise.all([limited?.stop(), storeLoses?.stop()]);
});

const noticeText = (tab: Tab) => tab.page.evaluate(() => document.querySelector('.sessionwatch-notice')?.textContent ?? '');

describe.each(BROWSERS)('%s', (kind) => {
  const suite = browserSuite(kind);

  async function tabs(baseUrl: string, count: number, path = '/'): Promise<Tab[]> {
    const session = (suite.session = await Session.login(suite.browser, baseUrl, path));
    for (let i = 1; i < count; i++) await session.open(path);
    return session.tabs;
  }

  test('maxAge: every tab warns before the absolute end, activity cannot dismiss it, every tab ends on time', async () => {
    const all = await tabs(limited.url, 3, '/?pingInterval=1');
    const endsAt = await until(async () => (await all[0].page.evaluate(() => window.__sessionwatch!.getState())).maxAgeEndsAt);
    // The user works in the last tab all along.
    const working = keepActive(all[2], endsAt - Date.now() + 1500);
    for (const tab of all) {
      const warn = await waitForEvent(tab, 'warn', MAX_AGE * 1000);
      expect(warn.canExtend).toBe(false);
      expect(warn.t).toBeGreaterThanOrEqual(endsAt - LEAD_MS - 1000);
      expect(warn.t).toBeLessThanOrEqual(endsAt - LEAD_MS + 3000);
    }
    // The dialog says so, and its main button only closes it (in that tab).
    const dialog = all[0].page;
    expect(await dialog.$eval('.sessionwatch-warning .sessionwatch-title', (el) => el.textContent)).toBe('Your session is about to end');
    expect((await all[0].page.evaluate(() => window.__sessionwatch!.getState())).canExtend).toBe(false);
    expect(await axeViolations(dialog, '.sessionwatch-warning')).toEqual([]);
    await dialog.click('[data-sessionwatch-action="stay"]');
    await until(() => dialog.$eval('.sessionwatch-warning', (el) => (el as HTMLElement).hidden));
    expect((await events(all[0])).filter((e) => e.type === 'extend')).toEqual([]);

    for (const tab of all) {
      const endedAt = await waitForEnd(tab, 'expired', MAX_AGE * 1000);
      expect(endedAt).toBeGreaterThanOrEqual(endsAt - 500);
      expect(endedAt).toBeLessThanOrEqual(endsAt + 3000);
      // A headless app hears of the lock before the server confirms the end.
      const locks = (await events(tab).catch(() => [])).filter((e) => e.type === 'locked');
      if (locks.length) expect(locks[locks.length - 1].reason).toBe('expired');
    }
    await working;
  }, 60_000);

  test('a server that cannot be reached: every tab says so (event, notice), and when it is back; the session lives on', async () => {
    const all = await tabs(limited.url, 2, '/?pingInterval=1');
    let down = true;
    for (const tab of all) {
      await interceptApi(tab);
      tab.onApiRequest = (request) =>
        down ? request.respond({ status: 503, contentType: 'application/json', body: '{"error":"unavailable"}' }) : request.continue();
    }
    const activity = keepActive(all[1], 4000);
    for (const tab of all) {
      const lost = await waitForEvent(tab, 'connection', 10_000);
      expect(lost.lost).toBe(true);
      expect(await noticeText(tab)).toMatch(/Connection to the server lost/);
    }
    expect(await axeViolations(all[0].page, '.sessionwatch-notice')).toEqual([]);
    await activity;
    down = false;
    await keepActive(all[1], 1000);
    for (const tab of all) {
      await until(async () => (await events(tab)).filter((e) => e.type === 'connection').length === 2, {
        timeout: 70_000,
        what: `tab ${tab.index} back online`,
      });
      expect((await events(tab)).filter((e) => e.type === 'connection').map((e) => e.lost)).toEqual([true, false]);
      expect(await noticeText(tab)).toBe('');
      expect((await tab.page.evaluate(() => window.__sessionwatch!.getState())).phase).not.toBe('ended');
    }
  }, 90_000);

  test("the session store loses a live session: every tab ends with reason 'lost', and it is no longer listed", async () => {
    const all = await tabs(storeLoses.url, 2, '/?checkInterval=1');
    const sessionId = await all[0].page.evaluate(async () => {
      const { sessions } = (await (await fetch('/session/sessions')).json()) as SessionListResponse;
      return sessions.find((s) => s.current)!.id;
    });
    // Like a Redis restarted empty.
    lostStore.entries.clear();
    for (const tab of all) await waitForEnd(tab, 'lost', 15_000);
    const record = await storeLoses.sw.store.findById(sessionId);
    expect(record).toMatchObject({ endReason: 'lost' });
    expect((await storeLoses.sw.listSessions(record!.userId)).map((s) => s.id)).not.toContain(sessionId);
  }, 40_000);
});
