/**
 * Browser tests (real Chromium, real HTTP) for issue 13, points 1, 5 and 6: what an integrator's
 * ordinary setup does to the client.
 *
 * 1. A client included on a logged-out page (the login page too) stays quiet: at most one ping,
 *    no navigation, no lock; after a revocation the browser is sent to the login page once
 *    (`next` never nested, never the login page) and stays there, though the server keeps saying
 *    "revoked".
 * 5. The end reason reaches every tab fast: idle tabs of a revoked session end at once (the leader's push
 *    stream), not at the idle check; an app route's answer (`Session-Ended` header) ends every tab at once.
 * 6. A session the client ends at its idle deadline is recorded as `expired`.
 *
 * The example's login page does not include the client, and no example page includes it while
 * logged out (the others redirect to the login page): the tests that need "the client on every
 * page" add the example's own client script tag to every document of the browser, as an app that
 * includes it in its layout would.
 */
import type { Browser, BrowserContext, HTTPResponse, Page } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { TestClient } from '../test/support/http-client';
import type { SessionListResponse } from '../shared/protocol';
import type { DatabaseKind } from '../test/support/databases';
import { CLIENT_SCRIPT_PATH } from '../example/pages';
import {
  isPing,
  keepActive,
  launchBrowser,
  logInOnPage,
  Session,
  sleep,
  state,
  until,
  waitForClient,
  waitForEnd,
  type Tab,
} from './support';
import { anyNumber } from '../test/support/matchers';

/** Small timings, as the other browser tests use. */
const FAST = { warnAfter: 4, expireAfter: 8, relogin: 'navigate' } as const;
/** Long timings: idle tabs neither warn nor expire while the idle check is measured. */
const SLOW = { warnAfter: 100, expireAfter: 200, relogin: 'navigate' } as const;
/** The client's idle-check interval, in seconds (`?checkInterval=` on the example's pages; default 60). */
const CHECK_INTERVAL = 8;
const CHECKED = `/?checkInterval=${CHECK_INTERVAL}`;
/** How long a page is watched for a loop. */
const QUIET_WATCH_MS = 5000;

let browser: Browser;
const sessions: Session[] = [];
const contexts: BrowserContext[] = [];
const anonymous: Watched[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterEach(async () => {
  const all = sessions.splice(0);
  const errors = [...all.flatMap((s) => s.tabs), ...anonymous.splice(0)].flatMap((tab) => tab.errors);
  await Promise.all([...all.map((s) => s.close()), ...contexts.splice(0).map((c) => c.close().catch(() => undefined))]);
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

/** Measured numbers, printed at the end of each test for the report. */
function report(name: string, values: Record<string, unknown>): void {
  console.log(`[integrator] ${name}: ${JSON.stringify(values)}`);
}

// ---- instrumentation ------------------------------------------------------------------------

/** A tab of a browser that is not logged in (or not any more): what it did. */
interface Watched {
  page: Page;
  pings: number[];
  pingAnswers: { t: number; status: number; body: string }[];
  navigations: { url: string; t: number }[];
  errors: string[];
}

/** The main-frame documents a page loaded, with their `Session-Ended` header. */
interface DocumentLoad {
  url: string;
  t: number;
  status: number;
  sessionEnded: string | undefined;
}

function recordDocuments(page: Page): DocumentLoad[] {
  const loads: DocumentLoad[] = [];
  page.on('response', (r: HTTPResponse) => {
    const request = r.request();
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      loads.push({ url: r.url(), t: Date.now(), status: r.status(), sessionEnded: r.headers()['session-ended'] });
    }
  });
  return loads;
}

/** The pings' bodies (`idleFor`), by send time. */
function recordPingBodies(tab: Tab): { t: number; idleFor: number }[] {
  const bodies: { t: number; idleFor: number }[] = [];
  tab.page.on('request', (r) => {
    if (!isPing(r)) return;
    try {
      bodies.push({ t: Date.now(), idleFor: (JSON.parse(r.postData() ?? '{}') as { idleFor: number }).idleFor });
    } catch {
      bodies.push({ t: Date.now(), idleFor: NaN });
    }
  });
  return bodies;
}

/**
 * Every later document of `page` includes the client as the example's logged-in pages do
 * (`<script type="module" src="/assets/sessionwatch.js" data-sessionwatch>`), unless it already has it.
 */
async function includeClientOnEveryPage(page: Page): Promise<void> {
  await page.evaluateOnNewDocument((src: string) => {
    document.addEventListener('DOMContentLoaded', () => {
      if (document.querySelector('script[data-sessionwatch]')) return;
      const script = document.createElement('script');
      script.type = 'module';
      script.src = src;
      script.dataset.sessionwatch = '';
      document.body.appendChild(script);
    });
  }, CLIENT_SCRIPT_PATH);
}

/** A fresh browser (incognito context), not logged in, with the client on every page, at `path`. */
async function loggedOutTab(baseUrl: string, path: string): Promise<Watched> {
  const context = await browser.createBrowserContext();
  contexts.push(context);
  const page = await context.newPage({ type: 'window' });
  const tab: Watched = { page, pings: [], pingAnswers: [], navigations: [], errors: [] };
  anonymous.push(tab);
  page.on('request', (r) => {
    if (isPing(r)) tab.pings.push(Date.now());
  });
  page.on('response', (r) => {
    if (!isPing(r.request())) return;
    const t = Date.now();
    const status = r.status();
    void r
      .text()
      .catch(() => '?')
      .then((body) => tab.pingAnswers.push({ t, status, body }));
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) tab.navigations.push({ url: frame.url(), t: Date.now() });
  });
  page.on('pageerror', (err) => tab.errors.push(`pageerror: ${(err as Error).message ?? err}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) tab.errors.push(`console: ${msg.text()}`);
  });
  await includeClientOnEveryPage(page);
  await page.goto(baseUrl + path);
  await waitForClient(page);
  return tab;
}

/** What the page shows of sessionwatch: the lock screen, the warning, the page content. */
function view(page: Page) {
  return page.evaluate(() => ({
    locked: document.documentElement.classList.contains('sessionwatch-locked'),
    lockShown: [...document.querySelectorAll<HTMLElement>('.sessionwatch-lock')].some((el) => !el.hidden && el.offsetParent !== null),
    warningShown: [...document.querySelectorAll<HTMLElement>('.sessionwatch-warning')].some((el) => !el.hidden && el.offsetParent !== null),
    dialogs: document.querySelectorAll('[role="alertdialog"]').length,
    mainVisible:
      getComputedStyle(document.querySelector('main')!).visibility === 'visible' && !(document.querySelector('main') as HTMLElement).inert,
    loginForm: !!document.querySelector('form[action="/login"] #username'),
  }));
}

const NO_SESSIONWATCH_UI = { locked: false, lockShown: false, warningShown: false, dialogs: 0, mainVisible: true, loginForm: true };

/** The `next` parameters of an end URL, checked: at most one, never nested, never the login page. */
function checkEndUrl(url: string, reason: string): string | null {
  const parsed = new URL(url);
  expect(parsed.pathname).toBe('/');
  expect(parsed.searchParams.getAll('reason')).toEqual([reason]);
  const nexts = parsed.searchParams.getAll('next');
  expect(nexts.length).toBeLessThanOrEqual(1);
  if (!nexts.length) return null;
  const next = nexts[0];
  expect(next).not.toMatch(/next=|reason=/);
  expect(new URL(next, parsed.origin).pathname).not.toBe('/');
  expect(next.startsWith('/') && !next.startsWith('//')).toBe(true);
  return next;
}

async function sessionIdOf(tab: Tab): Promise<string> {
  return tab.page.evaluate(async () => {
    const { sessions } = (await (
      await fetch('/session/sessions', { headers: { accept: 'application/json' } })
    ).json()) as SessionListResponse;
    return sessions.find((s) => s.current)!.id;
  });
}

async function revokeFrom(admin: Tab, id: string): Promise<number> {
  return admin.page.evaluate(
    (sid) => fetch(`/session/sessions/${encodeURIComponent(sid)}`, { method: 'DELETE' }).then((r) => r.status),
    id,
  );
}

/** Waits until none of the tabs pinged for `quietMs`; returns the last ping's time. */
async function settle(tabs: Tab[], quietMs = 1500): Promise<number> {
  const last = () => Math.max(0, ...tabs.flatMap((t) => t.pings));
  await until(() => Date.now() - Math.max(last(), 0) >= quietMs, { timeout: 20_000, what: 'the pings to settle' });
  return last();
}

/** A request with a replayed cookie, from "another machine" (no cookie jar of its own). */
async function replay(example: RunningExample, cookie: string, path: string) {
  const res = await new TestClient(example.url).get(path, { headers: { cookie, accept: 'application/json' } });
  return { status: res.status, body: res.body, sessionEnded: res.headers.get('session-ended') };
}

// ---- point 1: the client on a logged-out page stays quiet -----------------------------------

describe('point 1: the client on a logged-out page (example, SQLite, warnAfter 4 s, expireAfter 8 s)', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await startExample('sqlite', FAST);
  });
  afterAll(async () => {
    await example?.stop();
  });

  test.each([
    ['the login page', '/'],
    ['the login page with next and reason', '/?next=%2Fform&reason=expired'],
  ])(
    'never logged in, %s: at most one ping, no navigation, no lock, past expireAfter; the form still logs in',
    async (_name, path) => {
      const tab = await loggedOutTab(example.url, path);
      const startedAt = Date.now();
      const urlBefore = tab.page.url();
      tab.navigations.length = 0;
      // Past expireAfter: a client that kept running would have warned (4 s) and locked (8 s).
      await sleep(Math.max(QUIET_WATCH_MS, (FAST.expireAfter + 1) * 1000));
      const watchedMs = Date.now() - startedAt;
      const ui = await view(tab.page);
      const pings = tab.pings.length;
      report(`logged out at ${path}`, { watchedMs, pings, navigations: tab.navigations.length, pingAnswers: tab.pingAnswers });

      expect(tab.navigations).toEqual([]);
      expect(tab.page.url()).toBe(urlBefore);
      expect(pings).toBeLessThanOrEqual(1);
      for (const answer of tab.pingAnswers) expect(answer.status).toBe(401);
      expect(ui).toEqual(NO_SESSIONWATCH_UI);

      // The login form is usable: logging in lands where `next` said, and the client runs there.
      await logInOnPage(tab.page);
      await waitForClient(tab.page);
      const landed = new URL(tab.page.url());
      expect(landed.pathname).toBe(new URL(path, example.url).searchParams.get('next') ?? '/');
      await until(async () => (await tab.page.evaluate(() => window.__sessionwatch!.getState())).isLeader, {
        timeout: 5000,
        what: 'the client to lead',
      });
      expect((await tab.page.evaluate(() => window.__sessionwatch!.getState())).phase).toBe('active');
    },
    40_000,
  );

  test('after a revocation: sent to the login page once (one `next`, never the login page), then quiet there though the server keeps saying "revoked"', async () => {
    const victim = await Session.login(browser, example.url, '/sessions?pingInterval=1');
    sessions.push(victim);
    await victim.open('/?pingInterval=1');
    const admin = await Session.login(browser, example.url, '/sessions', 'johndoe');
    sessions.push(admin);
    const documents = victim.tabs.map((tab) => recordDocuments(tab.page));
    for (const tab of victim.tabs) await includeClientOnEveryPage(tab.page);
    const id = await sessionIdOf(victim.tabs[0]);

    const activity = keepActive(victim.tabs[0], 1500);
    await sleep(500);
    expect(await revokeFrom(admin.tabs[0], id)).toBe(204);
    const revokedAt = Date.now();
    const ends = await Promise.all(victim.tabs.map((tab) => waitForEnd(tab, 'revoked', 5000)));
    await activity;

    // Each tab went to the login page once; `next` is the page it was on, or absent for the login page itself.
    const endUrls = victim.tabs.map((tab) => tab.navigations.find((n) => n.url.includes('reason=revoked'))!.url);
    expect(checkEndUrl(endUrls[0], 'revoked')).toBe('/sessions?pingInterval=1');
    expect(checkEndUrl(endUrls[1], 'revoked')).toBeNull();

    // There, the client starts again (the page includes it), hears "revoked" and stays quiet.
    await Promise.all(victim.tabs.map((tab) => waitForClient(tab.page)));
    const landedAt = Math.max(...ends);
    await sleep(QUIET_WATCH_MS);
    const watchedUntil = Date.now();
    const perTab = [];
    for (const [i, tab] of victim.tabs.entries()) {
      const navigationsAfterRevoke = tab.navigations.filter((n) => n.t >= revokedAt);
      const pingsOnLoginPage = tab.pings.filter((t) => t >= ends[i]).length;
      const loginPageLoads = documents[i].filter((d) => d.t >= revokedAt);
      perTab.push({
        endMs: ends[i] - revokedAt,
        endUrl: endUrls[i],
        navigationsAfterRevoke: navigationsAfterRevoke.length,
        pingsOnLoginPage,
        loginPageLoads,
      });
      expect(navigationsAfterRevoke.map((n) => n.url)).toEqual([endUrls[i]]);
      expect(tab.page.url()).toBe(endUrls[i]);
      expect(pingsOnLoginPage).toBeLessThanOrEqual(1);
      expect(await view(tab.page)).toEqual(NO_SESSIONWATCH_UI);
      // The server keeps telling this browser why: the login page itself came with the reason.
      expect(loginPageLoads.map((d) => [d.status, d.sessionEnded])).toEqual([[200, 'revoked']]);
    }
    report('after revocation', { watchedMs: watchedUntil - landedAt, perTab });

    // Every later request of that browser still says "revoked" (not just once), on app and API
    // routes, and the quiet client does not react to it either.
    const answers = await victim.tabs[0].page.evaluate(async () => {
      const out: [string, number, string | null, unknown][] = [];
      for (const path of ['/me', '/session/sessions', '/me', '/session/sessions']) {
        const res = await fetch(path, { headers: { accept: 'application/json' } });
        out.push([path, res.status, res.headers.get('Session-Ended'), await res.json().catch(() => null)]);
      }
      return out;
    });
    expect(answers).toEqual([
      ['/me', 401, 'revoked', { error: 'unauthenticated' }],
      ['/session/sessions', 401, 'revoked', { error: 'session_revoked', endedFor: anyNumber() }],
      ['/me', 401, 'revoked', { error: 'unauthenticated' }],
      ['/session/sessions', 401, 'revoked', { error: 'session_revoked', endedFor: anyNumber() }],
    ]);
    await sleep(1000);
    for (const tab of victim.tabs) expect(tab.navigations.filter((n) => n.t >= revokedAt)).toHaveLength(1);

    // And the login form works: logging in again goes back to the page the session ended on.
    const page = victim.tabs[0].page;
    await logInOnPage(page);
    await waitForClient(page);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/sessions?pingInterval=1');
    expect((await state(victim.tabs[0])).phase).toBe('active');
  }, 45_000);
});

// ---- point 5: the end reason reaches every tab fast -----------------------------------------

describe('point 5: a revoked session reaches idle tabs (example, SQLite, warnAfter 100 s, expireAfter 200 s)', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await startExample('sqlite', SLOW);
  });
  afterAll(async () => {
    await example?.stop();
  });

  test(
    `3 idle tabs end with "revoked" at once (the leader's push stream), not at the idle check (${CHECK_INTERVAL} s); the check is not activity`,
    async () => {
      const victim = await Session.login(browser, example.url, CHECKED);
      sessions.push(victim);
      await victim.open(CHECKED);
      await victim.open(CHECKED);
      const bystander = await Session.login(browser, example.url, CHECKED);
      sessions.push(bystander);
      const admin = await Session.login(browser, example.url, '/sessions');
      sessions.push(admin);
      const victimBodies = victim.tabs.map(recordPingBodies);
      const bystanderBodies = recordPingBodies(bystander.tabs[0]);
      const id = await sessionIdOf(victim.tabs[0]);
      const bystanderId = await sessionIdOf(bystander.tabs[0]);
      // Opening tabs is activity, reported at the next ping (pingInterval = 25 s here): report it
      // now ("Stay signed in" pings at once), so that the next ping of each session is its idle check.
      for (const tab of [victim.tabs[0], bystander.tabs[0]]) await tab.page.evaluate(() => window.__sessionwatch!.extend());
      await until(() => victim.tabs.some((t) => t.pings.length > 0) && bystander.tabs[0].pings.length > 0, {
        timeout: 5000,
        what: 'the pings',
      });
      const bystanderActivity = (await state(bystander.tabs[0])).lastActivity;

      // Idle from here on: nobody touches the tabs.
      const lastPing = await settle(victim.tabs);
      // Timed from the request: the push reaches the tabs before its answer reaches the test.
      const revokedAt = Date.now();
      expect(await revokeFrom(admin.tabs[0], id)).toBe(204);
      const ends = await Promise.all(victim.tabs.map((tab) => waitForEnd(tab, 'revoked', (CHECK_INTERVAL + 15) * 1000)));
      const firstEnd = Math.min(...ends);
      const checks = victim.tabs.flatMap((tab, i) =>
        victimBodies[i].filter((b) => b.t >= revokedAt && b.t <= firstEnd).map((b) => ({ ...b, tab: i })),
      );
      report('idle revocation', {
        sinceRevokeMs: ends.map((t) => t - revokedAt),
        sinceLastPingMs: ends.map((t) => t - lastPing),
        revokedAfterLastPingMs: revokedAt - lastPing,
        checks,
      });
      for (const t of ends) expect(t - revokedAt).toBeLessThan(1500);
      expect(Math.max(...ends) - firstEnd).toBeLessThan(1000);
      // Told by its stream, one tab (the leader) asked the server, once, reporting the idle time: a check, not activity.
      expect(checks).toHaveLength(1);
      expect(checks[0].idleFor).toBeGreaterThanOrEqual(Math.floor((revokedAt - lastPing) / 1000));
      for (const [i, tab] of victim.tabs.entries())
        expect(checkEndUrl(tab.navigations.find((n) => n.t === ends[i])!.url, 'revoked')).toBeNull();

      // The idle bystander's own check did not count as activity, neither in the tab nor on the server.
      const check = await until(() => bystanderBodies.find((b) => b.idleFor >= CHECK_INTERVAL - 1), {
        timeout: 20_000,
        what: "the bystander's idle check",
      });
      await sleep(500);
      const listed = await admin.tabs[0].page.evaluate(async (bid) => {
        const { sessions } = (await (
          await fetch('/session/sessions', { headers: { accept: 'application/json' } })
        ).json()) as SessionListResponse;
        return sessions.find((s) => s.id === bid);
      }, bystanderId);
      const bystanderState = await state(bystander.tabs[0]);
      report('idle check of a live session', {
        idleFor: check.idleFor,
        serverIdleAtCheckMs: listed && check.t - Date.parse(listed.lastActivity),
      });
      expect(listed).toBeDefined();
      expect(check.t - Date.parse(listed!.lastActivity)).toBeGreaterThanOrEqual((CHECK_INTERVAL - 1.5) * 1000);
      expect(bystanderState.phase).toBe('active');
      expect(bystanderState.lastActivity).toBe(bystanderActivity);
      expect(bystander.tabs[0].navigations).toEqual([]);
    },
    (CHECK_INTERVAL + 40) * 1000,
  );

  test('an app route fetched right after the revocation ends every idle tab with "revoked" at once (Session-Ended header)', async () => {
    // A browser without EventSource (no push stream): what ends the tabs is the app route's answer.
    const victim = await Session.login(browser, example.url, '/', undefined, {
      preload: () => delete (window as { EventSource?: unknown }).EventSource,
    });
    sessions.push(victim);
    await victim.open('/');
    await victim.open('/');
    const admin = await Session.login(browser, example.url, '/sessions');
    sessions.push(admin);
    const cookie = await victim.cookieHeader();
    const id = await sessionIdOf(victim.tabs[0]);
    await settle(victim.tabs);

    expect(await revokeFrom(admin.tabs[0], id)).toBe(204);
    const revokedAt = Date.now();
    const pingsBefore = victim.tabs.map((tab) => tab.pings.length);
    // The app's own request (watchFetch is on in the example): the app answers its own 401.
    // (Read from the browser's side: the page may be gone before an `evaluate` could return.)
    const meAnswer = victim.tabs[1].page
      .waitForResponse((r) => new URL(r.url()).pathname === '/me', { timeout: 5000 })
      .then((r) => ({ status: r.status(), sessionEnded: r.headers()['session-ended'] ?? null }));
    await victim.tabs[1].page.evaluate(() => {
      void fetch('/me', { headers: { accept: 'application/json' } });
    });
    const answer = await meAnswer;
    const ends = await Promise.all(victim.tabs.map((tab) => waitForEnd(tab, 'revoked', 10_000)));
    const pingsAfterRevoke = victim.tabs.map((tab, i) => tab.pings.length - pingsBefore[i]);
    report('app route after revocation', { answer, sinceRevokeMs: ends.map((t) => t - revokedAt), pingsAfterRevoke });
    // (The app's own 401 body, `unauthenticated`, is checked below with the replayed cookie.)
    expect(answer).toEqual({ status: 401, sessionEnded: 'revoked' });
    // Well under the idle check: the header did it, not a ping.
    for (const t of ends) expect(t - revokedAt).toBeLessThan(3000);
    for (const [i, tab] of victim.tabs.entries())
      expect(checkEndUrl(tab.navigations.find((n) => n.t === ends[i])!.url, 'revoked')).toBeNull();

    // The revoked cookie keeps getting the precise reason, every time, on API and app routes.
    const replays = [];
    for (const path of ['/session/sessions', '/session/sessions', '/me', '/me']) replays.push([path, await replay(example, cookie, path)]);
    expect(replays).toEqual([
      ['/session/sessions', { status: 401, body: { error: 'session_revoked', endedFor: anyNumber() }, sessionEnded: 'revoked' }],
      ['/session/sessions', { status: 401, body: { error: 'session_revoked', endedFor: anyNumber() }, sessionEnded: 'revoked' }],
      ['/me', { status: 401, body: { error: 'unauthenticated' }, sessionEnded: 'revoked' }],
      ['/me', { status: 401, body: { error: 'unauthenticated' }, sessionEnded: 'revoked' }],
    ]);
  }, 45_000);
  test('a logged-in tab on "/" (the example\'s home page is also the default loginUrl) whose first ping has not gone through yet still ends with "revoked"', async () => {
    const admin = await Session.login(browser, example.url, '/sessions');
    sessions.push(admin);
    // The network drops the pings from the start (a flaky connection while the page loads).
    const context = await browser.createBrowserContext();
    contexts.push(context);
    const page = await context.newPage({ type: 'window' });
    const tab: Watched = { page, pings: [], pingAnswers: [], navigations: [], errors: [] };
    anonymous.push(tab);
    let pingsDown = true;
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      if (isPing(r)) tab.pings.push(Date.now());
      void (isPing(r) && pingsDown ? r.abort('internetdisconnected') : r.continue()).catch(() => undefined);
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) tab.navigations.push({ url: frame.url(), t: Date.now() });
    });
    page.on('pageerror', (err) => tab.errors.push(`pageerror: ${(err as Error).message ?? err}`));
    await page.goto(`${example.url}/`);
    await logInOnPage(page);
    await waitForClient(page);
    expect(await page.$eval('h1', (el) => el.textContent)).toBe('Hello, johndoe');
    const id = await page.evaluate(async () => {
      const { sessions } = (await (
        await fetch('/session/sessions', { headers: { accept: 'application/json' } })
      ).json()) as SessionListResponse;
      return sessions.find((s) => s.current)!.id;
    });
    await until(() => tab.pings.length > 0, { timeout: 5000, what: 'a (failed) ping' });

    expect(await revokeFrom(admin.tabs[0], id)).toBe(204);
    const revokedAt = Date.now();
    pingsDown = false;
    // The app's own request says why (Session-Ended: revoked); the next ping would say it too.
    const meAnswer = page
      .waitForResponse((r) => new URL(r.url()).pathname === '/me', { timeout: 5000 })
      .then((r) => ({ status: r.status(), sessionEnded: r.headers()['session-ended'] ?? null }));
    await page.evaluate(() => {
      void fetch('/me', { headers: { accept: 'application/json' } });
    });
    expect(await meAnswer).toEqual({ status: 401, sessionEnded: 'revoked' });
    // And a ping ("Stay signed in" pings at once), now that the network is back.
    await page.evaluate(() => window.__sessionwatch?.extend()).catch(() => undefined);
    const ended = await until(() => tab.navigations.find((n) => n.t >= revokedAt && n.url.includes('reason=revoked')), {
      timeout: 5000,
      what: 'the end (revoked)',
    }).catch(async (err: Error) => {
      const after = await page.evaluate(() => ({
        state: window.__sessionwatch?.getState(),
        h1: document.querySelector('h1')?.textContent,
        locked: document.documentElement.classList.contains('sessionwatch-locked'),
      }));
      report('first ping not through, revoked on "/"', { after, navigations: tab.navigations.filter((n) => n.t >= revokedAt) });
      throw new Error(
        `${err.message}: the tab still shows "${after.h1}", locked ${after.locked}, client state ${JSON.stringify(after.state)}`,
      );
    });
    report('first ping not through, revoked on "/"', { sinceRevokeMs: ended.t - revokedAt, url: ended.url });
    checkEndUrl(ended.url, 'revoked');
  }, 40_000);
});

// ---- point 6: the client's end at the deadline is recorded as expired -------------------------

describe.each<DatabaseKind>(['sqlite', 'postgres'])('point 6 on %s (warnAfter 4 s, expireAfter 8 s)', (kind) => {
  let example: RunningExample;
  const created: { id: string; t: number }[] = [];
  const ended: { id: string; reason: string; t: number }[] = [];
  beforeAll(async () => {
    example = await startExample(kind, FAST);
    example.sw.on('sessionCreated', (e) => created.push({ id: e.session.id, t: Date.now() }));
    example.sw.on('sessionEnded', (e) => ended.push({ id: e.session.id, reason: e.reason, t: Date.now() }));
  });
  afterAll(async () => {
    await example?.stop();
  });

  test('3 idle tabs end at the deadline with "expired", the server records "expired", a replayed cookie gets session_expired', async () => {
    const victim = await Session.login(browser, example.url, '/');
    sessions.push(victim);
    const id = created[created.length - 1].id;
    await victim.open('/');
    await victim.open('/');
    const cookie = await victim.cookieHeader();
    const { lastActivity } = await state(victim.tabs[0]);
    const deadline = lastActivity + FAST.expireAfter * 1000;

    const ends = await Promise.all(victim.tabs.map((tab) => waitForEnd(tab, 'expired', (FAST.expireAfter + 8) * 1000)));
    const recorded = ended.filter((e) => e.id === id);
    report(`deadline end on ${kind}`, {
      sinceDeadlineMs: ends.map((t) => t - deadline),
      recorded: recorded.map((e) => ({ reason: e.reason, sinceDeadlineMs: e.t - deadline })),
    });
    for (const t of ends) {
      expect(t).toBeGreaterThanOrEqual(deadline - 200);
      expect(t).toBeLessThan(deadline + 2500);
    }
    for (const [i, tab] of victim.tabs.entries())
      expect(checkEndUrl(tab.navigations.find((n) => n.t === ends[i])!.url, 'expired')).toBeNull();
    // Recorded once, as expired, before any replayed request could have made the server find it.
    expect(recorded.map((e) => e.reason)).toEqual(['expired']);
    expect(recorded[0].t).toBeLessThanOrEqual(Math.max(...ends));

    const replays = [await replay(example, cookie, '/session/sessions'), await replay(example, cookie, '/session/sessions')];
    expect(replays).toEqual([
      { status: 401, body: { error: 'session_expired', endedFor: anyNumber() }, sessionEnded: 'expired' },
      { status: 401, body: { error: 'session_expired', endedFor: anyNumber() }, sessionEnded: 'expired' },
    ]);
    expect(ended.filter((e) => e.id === id).map((e) => e.reason)).toEqual(['expired']);
  }, 40_000);
});
