/**
 * Browser tests (real Chromium, real HTTP, real SQLite): how sessions end. Revocation, logout and
 * expiry end every tab; drafts survive; a missing or misbehaving server never ends a session early,
 * yet the page locks at the deadline. The example runs with warnAfter 3 s and expireAfter 6 s.
 */
import type { Browser, HTTPRequest } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { TestClient } from '../test/support/http-client';
import type { SessionListResponse } from '../shared/protocol';
import {
  interceptApi,
  keepActive,
  logInOnPage,
  launchBrowser,
  Session,
  sleep,
  state,
  until,
  waitForClient,
  waitForEnd,
  waitForEvent,
  type Tab,
} from './support';

const EXPIRE_AFTER = 6;

let example: RunningExample;
let browser: Browser;
const sessions: Session[] = [];

beforeAll(async () => {
  [example, browser] = await Promise.all([
    startExample('sqlite', { warnAfter: 3, expireAfter: EXPIRE_AFTER, relogin: 'navigate' }),
    launchBrowser(),
  ]);
});

afterEach(async () => {
  const all = sessions.splice(0);
  for (const tab of all.flatMap((s) => s.tabs)) expect(tab.errors).toEqual([]);
  await Promise.all(all.map((s) => s.close()));
});

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

/**
 * Logs in and opens `tabs` tabs on `path`; returns once every tab has the server's settings (the
 * leader's first ping answered: tests that break the network or the answers start from there).
 */
async function login(path: string, tabs = 1): Promise<Session> {
  const session = await Session.login(browser, example.url, path);
  sessions.push(session);
  for (let i = 1; i < tabs; i++) await session.open(path);
  for (const tab of session.tabs) {
    await until(async () => (await state(tab)).expireAfter === EXPIRE_AFTER, { timeout: 5000, what: "the server's settings" });
  }
  return session;
}

async function meStatus(cookie: string): Promise<number> {
  return (await new TestClient(example.url).get('/me', { headers: { cookie } })).status;
}

const isPing = (r: HTTPRequest) => new URL(r.url()).pathname === '/session/ping';
const isLocked = (tab: Tab) => tab.page.evaluate(() => document.documentElement.classList.contains('sessionwatch-locked'));

test('revoking the session from another browser ends all its tabs (reason "revoked") at their next ping', async () => {
  const { tabs } = await login('/?pingInterval=1', 2);
  const other = await login('/sessions');
  const id = await tabs[0].page.evaluate(async () => {
    const { sessions } = (await (await fetch('/session/sessions')).json()) as SessionListResponse;
    return sessions.find((s) => s.current)!.id;
  });
  // The setup may have taken longer than warnAfter (4 s): "Stay signed in" first, since mouse moves
  // over the warning dialog are answers to it, not page activity.
  await tabs[0].page.evaluate(() => window.__sessionwatch!.extend());
  const activity = Promise.all(tabs.map((tab) => keepActive(tab, 4000)));
  await sleep(500);
  const status = await other.tabs[0].page.evaluate(
    (sid) => fetch(`/session/sessions/${sid}`, { method: 'DELETE' }).then((r) => r.status),
    id,
  );
  expect(status).toBe(204);
  const revokedAt = Date.now();
  const ends = await Promise.all(tabs.map((tab) => waitForEnd(tab, 'revoked', 5000)));
  // Within one ping interval (1 s) of the revocation, plus the request and navigation time.
  for (const t of ends) expect(t - revokedAt).toBeLessThan(1000 + 1000);
  await activity;
  // The other browser's session is untouched (idle meanwhile, so it may be warning, not ended).
  expect((await state(other.tabs[0])).phase).not.toBe('ended');
  expect(other.tabs[0].navigations).toEqual([]);
}, 40_000);

test('logging out in one tab ends all tabs (reason "logged-out") and the server refuses the cookie', async () => {
  const session = await login('/', 3);
  const cookie = await session.cookieHeader();
  await session.tabs[1].page.click('form[action="/logout"] button');
  const ends = await Promise.all(session.tabs.map((tab) => waitForEnd(tab, 'logged-out', 5000)));
  expect(Math.max(...ends) - Math.min(...ends)).toBeLessThan(1000);
  expect(await meStatus(cookie)).toBe(401);
}, 30_000);

test('a half-filled form survives an expiry: after logging in again the fields are back, the password is not', async () => {
  const { tabs } = await login('/form');
  const { page } = tabs[0];
  await page.type('#title', 'Quarterly report');
  await page.type('#body', 'First line\nSecond line');
  await page.select('#category', 'Support');
  await page.type('#note3', 'remember the milk');
  await page.type('#secret', 'hunter2');

  await waitForEnd(tabs[0], 'expired', 15_000);
  await page.waitForSelector('#username');
  expect(await page.$eval('.notice', (el) => el.textContent)).toMatch(/inactivity/);
  await logInOnPage(page);
  await waitForClient(page);
  expect(new URL(page.url()).pathname).toBe('/form');
  const values = await page.evaluate(() => ({
    title: (document.getElementById('title') as HTMLInputElement).value,
    body: (document.getElementById('body') as HTMLTextAreaElement).value,
    category: (document.getElementById('category') as HTMLSelectElement).value,
    note3: (document.getElementById('note3') as HTMLInputElement).value,
    note4: (document.getElementById('note4') as HTMLInputElement).value,
    secret: (document.getElementById('secret') as HTMLInputElement).value,
    drafts: Object.keys(sessionStorage).filter((k) => k.startsWith('sessionwatch:draft:')),
  }));
  expect(values).toEqual({
    title: 'Quarterly report',
    body: 'First line\nSecond line',
    category: 'Support',
    note3: 'remember the milk',
    note4: '',
    secret: '',
    drafts: [],
  });
}, 40_000);

test('with the network down the tabs do not end early, and lock at the deadline; back online they leave', async () => {
  const { tabs } = await login('/', 2);
  let offline = true;
  for (const tab of tabs) {
    await interceptApi(tab);
    tab.onApiRequest = (request) => (offline ? request.abort('internetdisconnected') : request.continue());
  }
  const { lastActivity } = await state(tabs[0]);
  const deadline = lastActivity + EXPIRE_AFTER * 1000;

  const lockedAt = await Promise.all(tabs.map((tab) => until(async () => (await isLocked(tab)) && Date.now(), { what: 'the lock' })));
  for (const t of lockedAt) {
    expect(t).toBeGreaterThanOrEqual(deadline - 100);
    expect(t).toBeLessThan(deadline + 1000);
  }
  for (const tab of tabs) {
    expect((await waitForEvent(tab, 'warn')).t).toBeLessThan(deadline);
    expect((await waitForEvent(tab, 'end')).reason).toBe('expired');
    // The page content is hidden and inert behind the lock screen.
    expect(await tab.page.$eval('main', (el) => [getComputedStyle(el).visibility, el.inert])).toEqual(['hidden', true]);
    expect(await tab.page.$eval('.sessionwatch-lock [role="alertdialog"] h2', (el) => el.textContent)).toBe('You have been logged out');
  }
  await sleep(1000);
  for (const tab of tabs) expect(tab.navigations).toEqual([]);

  // Back online: the leader's logout retry goes through, then every tab leaves for the login page.
  offline = false;
  await Promise.all(tabs.map((tab) => waitForEnd(tab, 'expired', 15_000)));
}, 45_000);

test('500s, garbage, HTML and timeouts from the server never throw nor end the session early', async () => {
  const { tabs } = await login('/?pingTimeout=1', 2);
  const respond = (status: number, contentType: string, body: string) => (r: HTTPRequest) => r.respond({ status, contentType, body });
  const answers: ((r: HTTPRequest) => Promise<void>)[] = [
    respond(500, 'application/json', '{"error":"internal"}'),
    respond(200, 'application/json', 'garbage{'),
    respond(200, 'text/html', '<!doctype html><title>Sign in</title><form></form>'),
    respond(502, 'text/html', '<html><body>Bad gateway</body></html>'),
    respond(200, 'application/json', '{"idleFor":"soon","warnAfter":null}'),
    respond(401, 'text/html', '<html>Proxy authentication required</html>'),
    // No answer before the client's 1 s timeout.
    (r) => sleep(2500).then(() => r.respond({ status: 200, contentType: 'application/json', body: '{}' })),
  ];
  let served = 0;
  for (const tab of tabs) {
    await interceptApi(tab);
    tab.onApiRequest = (request) => (isPing(request) ? answers[served++ % answers.length](request) : request.continue());
  }
  // "Stay signed in" pings at once: one bad answer of each kind.
  for (let i = 0; i < answers.length; i++) {
    const before = served;
    await tabs[i % 2].page.evaluate(() => window.__sessionwatch!.extend());
    await until(() => served > before, { timeout: 3000, what: 'a ping' });
    await sleep(i === answers.length - 1 ? 1200 : 150);
  }
  for (const tab of tabs) expect((await state(tab)).phase).toBe('active');

  const { lastActivity } = await state(tabs[0]);
  const ends = await Promise.all(tabs.map((tab) => waitForEnd(tab, 'expired', 15_000)));
  for (const t of ends) {
    expect(t).toBeGreaterThanOrEqual(lastActivity + EXPIRE_AFTER * 1000 - 100);
    expect(t).toBeLessThan(lastActivity + EXPIRE_AFTER * 1000 + 2500);
  }
}, 45_000);
