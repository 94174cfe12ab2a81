/**
 * Browser test support: one headless browser per test file (Chromium over the DevTools protocol,
 * or Firefox ESR over WebDriver BiDi: see {@link launchBrowser}), a fresh incognito context per test
 * (its pages share BroadcastChannel and Web Locks, like the tabs of one real browser), and tabs
 * instrumented to count their pings, record navigations and collect errors.
 *
 * Each "tab" is a page of the context opened as its own window: headless Chromium marks
 * background tabs hidden and delivers input to them slowly, while windows side by side are all
 * visible, so every tab can be used (or left alone) independently.
 */
import type { Browser, BrowserContext, CDPSession, HTTPRequest, Page } from 'puppeteer-core';
import type { SessionWatchState } from '../client';
import { browserKind, isPing, keepMoving, launchBrowser, recordPings, waitForClient, type BrowserKind } from '../test/support/browser';
import { until } from '../test/support/wait';

// Launching the browsers, recognising pings, waiting: shared with the benchmarks (bench/lib/browser.ts).
export {
  BROWSERS,
  browserKind,
  CHROME_ARGS,
  FIREFOX_PREFS,
  isPing,
  launchBrowser,
  waitForClient,
  type BrowserKind,
} from '../test/support/browser';
export { sleep, until } from '../test/support/wait';

/** One tab: its page, and what it did. */
export interface Tab {
  index: number;
  page: Page;
  /** Times (Node's Date.now) of the pings this tab sent. */
  pings: number[];
  /** The answers to those pings: when they arrived (Node's Date.now) and their status. */
  pingAnswers: { t: number; status: number }[];
  /** Main-frame navigations after the tab was opened. */
  navigations: { url: string; t: number }[];
  /** Uncaught errors and console errors of the page (browser "Failed to load resource" notices excluded). */
  errors: string[];
  /** Set to intercept this tab's API requests (needs `interceptApi`). */
  onApiRequest?: (request: HTTPRequest) => void | Promise<void>;
}

function instrument(page: Page, index: number): Tab {
  const tab: Tab = { index, page, pings: recordPings(page), pingAnswers: [], navigations: [], errors: [] };
  page.on('response', (r) => {
    if (isPing(r.request())) tab.pingAnswers.push({ t: Date.now(), status: r.status() });
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) tab.navigations.push({ url: frame.url(), t: Date.now() });
  });
  page.on('pageerror', (err) => tab.errors.push(`pageerror: ${(err as Error).message ?? err}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/^Failed to load resource/.test(msg.text())) tab.errors.push(`console: ${msg.text()}`);
  });
  return tab;
}

export interface SessionOptions {
  /** Runs in every page of the session before its own scripts (e.g. to take an API away). */
  preload?: () => void;
}

/** A logged-in browser (incognito context) and its tabs. */
export class Session {
  readonly tabs: Tab[] = [];
  private constructor(
    readonly baseUrl: string,
    readonly context: BrowserContext,
    private readonly preload?: () => void,
  ) {}

  /** Logs johndoe in, in a fresh context, landing on `path` (which may carry test query parameters). */
  static async login(browser: Browser, baseUrl: string, path = '/', user = 'johndoe', { preload }: SessionOptions = {}): Promise<Session> {
    const session = new Session(baseUrl, await browser.createBrowserContext(), preload);
    const page = await session.newPage();
    const tab = instrument(page, 0);
    await page.goto(`${baseUrl}/?next=${encodeURIComponent(path)}`);
    await logInOnPage(page, user);
    await waitForClient(page);
    tab.navigations.length = 0;
    tab.pings.length = 0;
    session.tabs.push(tab);
    return session;
  }

  /** A new window of the context, with the preload script if any. */
  private async newPage(): Promise<Page> {
    const page = await this.context.newPage({ type: 'window' });
    if (this.preload) await page.evaluateOnNewDocument(this.preload);
    return page;
  }

  /** Opens another tab of the same browser on `path` (or a whole URL: another origin of the same host shares the cookies). */
  async open(path = '/'): Promise<Tab> {
    const page = await this.newPage();
    const tab = instrument(page, this.tabs.length);
    await page.goto(/^https?:/.test(path) ? path : this.baseUrl + path);
    await waitForClient(page);
    tab.navigations.length = 0;
    this.tabs.push(tab);
    return tab;
  }

  /** The session cookies, as `name=value; …`, to replay them after the end. */
  async cookieHeader(): Promise<string> {
    const cookies = await this.tabs[0].page.cookies(this.baseUrl);
    return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  close(): Promise<void> {
    return this.context.close().catch(() => undefined);
  }
}

export async function logInOnPage(page: Page, user = 'johndoe'): Promise<void> {
  await page.waitForSelector('#username');
  await page.type('#username', user);
  await page.type('#password', user);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
}

/**
 * Routes a tab's requests under `/session/` to `tab.onApiRequest` (or lets them through). Works in
 * both browsers (BiDi network interception in Firefox); `request.abort(code)` maps to a plain
 * network failure there, whatever the code.
 */
export async function interceptApi(tab: Tab): Promise<void> {
  await tab.page.setRequestInterception(true);
  tab.page.on('request', (request) => {
    if (request.isInterceptResolutionHandled()) return;
    const api = new URL(request.url()).pathname.startsWith('/session/');
    if (api && tab.onApiRequest) void Promise.resolve(tab.onApiRequest(request)).catch(() => undefined);
    else void request.continue().catch(() => undefined);
  });
}

export function state(tab: Tab): Promise<SessionWatchState> {
  return tab.page.evaluate(() => window.__sessionwatch!.getState());
}

export function events(tab: Tab): Promise<{ type: string; t: number; [key: string]: unknown }[]> {
  return tab.page.evaluate(() => window.__sessionwatchEvents ?? []);
}

/** The first event of `type` in the tab, waiting for it. */
export async function waitForEvent(tab: Tab, type: string, timeout = 15_000) {
  return until(async () => (await events(tab)).find((e) => e.type === type), { timeout, what: `"${type}" in tab ${tab.index}` });
}

/** Waits until the tab left for the login page with `reason`; returns when (Node time). */
export async function waitForEnd(tab: Tab, reason: string, timeout = 15_000): Promise<number> {
  const nav = await until(() => tab.navigations.find((n) => n.url.includes(`reason=${reason}`)), {
    timeout,
    what: `tab ${tab.index} to end (${reason})`,
  });
  return nav.t;
}

/** Waits until the tab is locked (or ended) with `reason`; returns when (the page's clock: this machine's). */
export async function waitForLocked(tab: Tab, reason: string, timeout = 15_000): Promise<number> {
  const locked = await until(async () => (await events(tab)).find((e) => e.type === 'locked' && e.reason === reason), {
    timeout,
    what: `tab ${tab.index} locked (${reason})`,
  });
  return locked.t;
}

/**
 * Mouse moves in the tab every `every` ms for `ms` ms. A move that fails is skipped, as a user's
 * would be: the driver's moves fail while the tab changes documents (Firefox over BiDi:
 * NS_ERROR_FAILURE when the tab leaves for the login page under the pointer). A test that needs
 * the activity fails on what the activity should have done.
 */
export function keepActive(tab: Tab, ms: number, every = 200): Promise<void> {
  return keepMoving(tab.page, Date.now() + ms, { every, ignoreErrors: true });
}

/** Requests made by the page after `since`. */
export const countSince = (times: number[], since: number, until = Infinity) => times.filter((t) => t >= since && t < until).length;

// ---- Chromium only: the DevTools protocol ---------------------------------------------------------

const cdpSessions = new WeakMap<Page, Promise<CDPSession>>();

/** The tab's DevTools protocol session (one per page, reused). Chromium only. */
export function cdp(tab: Tab): Promise<CDPSession> {
  if (browserKind(tab.page) !== 'chromium') throw new Error('the DevTools protocol (CDP) needs Chromium');
  let session = cdpSessions.get(tab.page);
  if (!session) cdpSessions.set(tab.page, (session = tab.page.createCDPSession()));
  return session;
}

/**
 * Page Lifecycle: `frozen` stops the page's tasks (timers, events, message delivery) as Chrome does
 * to background tabs on Android or under its tab-freezing policy; the page keeps its Web Locks.
 * `active` thaws it. Never `evaluate` in a frozen page: it would wait for the thaw. Chromium only.
 */
export async function setLifecycle(tab: Tab, lifecycle: 'frozen' | 'active'): Promise<void> {
  await (await cdp(tab)).send('Page.setWebLifecycleState', { state: lifecycle });
}

/** Freezes the tab. Chromium hides a page it freezes (`visibilitychange` to hidden), as a background tab. */
export function freeze(tab: Tab): Promise<void> {
  return setLifecycle(tab, 'frozen');
}

/**
 * Thaws the tab and, unless `visible: false`, shows it again as the user's tab: a thawed page
 * stays hidden otherwise, and a hidden page of headless Chromium draws no frames, so input to it
 * waits seconds per event and never reaches the page's listeners. Focus emulation makes it
 * visible (and focused) again, as when the user switches back to it.
 */
export async function thaw(tab: Tab, { visible = true } = {}): Promise<void> {
  try {
    await setLifecycle(tab, 'active');
    if (visible) await (await cdp(tab)).send('Emulation.setFocusEmulationEnabled', { enabled: true });
  } catch (err) {
    // The page thawed (or heard of the end from a tab thawed before it) and is already navigating
    // to the login page: Chromium answers so while the new document commits, which is not frozen.
    if (!/Not attached to an active page/.test(String(err))) throw err;
  }
}

/**
 * The axe-core rules of WCAG 2.x A and AA that `selector` (default the whole page) breaks, as
 * `rule: target` strings: empty when accessible as far as a machine can tell.
 */
export async function axeViolations(page: Page, selector?: string): Promise<string[]> {
  const { source } = await import('axe-core');
  await page.evaluate(source);
  return page.evaluate(async (context) => {
    const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
    const result = await axe.run(context ?? document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
  }, selector ?? null);
}

/** One browser for a suite, and the session of its current test. */
export interface BrowserSuite {
  readonly browser: Browser;
  /** Set by the test: its tabs must have logged no error, and it is closed after the test. */
  session: Session | undefined;
}

/**
 * Registers the hooks of a suite run in one browser: launched once; after each test, the test's
 * session had no page error and is closed; the browser is closed at the end.
 */
export function browserSuite(kind: BrowserKind): BrowserSuite {
  let browser: Browser | undefined;
  const suite: BrowserSuite = {
    get browser() {
      if (!browser) throw new Error('the browser is launched in beforeAll');
      return browser;
    },
    session: undefined,
  };
  beforeAll(async () => {
    browser = await launchBrowser(kind);
  });
  afterEach(async () => {
    for (const tab of suite.session?.tabs ?? []) expect(tab.errors).toEqual([]);
    await suite.session?.close();
    suite.session = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });
  return suite;
}
