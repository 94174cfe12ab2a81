/**
 * Chromium for the browser figures: Debian's chromium (or CHROME_PATH) through puppeteer-core, a
 * logged-in browser context on the example app, its tabs, and pings counted at the server.
 */
import type { Server, IncomingMessage } from 'node:http';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { recordPings, waitForClient } from '../../test/support/browser';
import { until } from '../../test/support/wait';

// One browser setup for tests and benchmarks.
export { CHROME_ARGS, keepMoving, launchBrowser } from '../../test/support/browser';
export { until } from '../../test/support/wait';

/** Every `POST /session/ping` the server received: when, and with which cookies. */
export function countPings(
  server: Server,
  prefix = '/session',
): {
  between(from: number, to: number, cookie?: string): number;
  times(from: number, to: number, cookie?: string): number[];
  stop(): void;
} {
  const pings: { t: number; cookie: string }[] = [];
  const listener = (req: IncomingMessage) => {
    if (req.method === 'POST' && req.url?.split('?')[0] === `${prefix}/ping`)
      pings.push({ t: Date.now(), cookie: req.headers.cookie ?? '' });
  };
  server.on('request', listener);
  const sorted = (cookie: string) => cookie.split(/;\s*/).sort().join('; ');
  const times = (from: number, to: number, cookie?: string) =>
    pings.filter((p) => p.t >= from && p.t < to && (cookie === undefined || sorted(p.cookie) === sorted(cookie))).map((p) => p.t);
  return {
    times,
    between: (from, to, cookie) => times(from, to, cookie).length,
    stop: () => server.off('request', listener),
  };
}

/** Logs johndoe in from the example's login page in `page` (a fetch: no form, no navigation). */
export async function logInWithFetch(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  const status = await page.evaluate(async () => {
    const res = await fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'johndoe', password: 'johndoe' }),
    });
    return res.status;
  });
  if (status !== 200) throw new Error(`login failed: ${status}`);
}

export interface Tab {
  page: Page;
  /** Times (Node's Date.now) this tab sent a ping. */
  pings: number[];
  errors: string[];
}

/** One browser (an incognito context: its tabs share BroadcastChannel and Web Locks) logged in as johndoe. */
export class LoggedInBrowser {
  readonly tabs: Tab[] = [];
  private constructor(
    readonly context: BrowserContext,
    readonly baseUrl: string,
    readonly path: string,
  ) {}

  /** Logs in with a fetch from the login page, then opens `path` (which may carry `?pingInterval=`). */
  static async open(browser: Browser, baseUrl: string, path = '/'): Promise<LoggedInBrowser> {
    const context = await browser.createBrowserContext();
    const self = new LoggedInBrowser(context, baseUrl, path);
    const page = await context.newPage();
    await logInWithFetch(page, baseUrl);
    await self.adopt(page);
    return self;
  }

  /** Opens another tab of this browser on the same path. */
  async openTab(): Promise<Tab> {
    return this.adopt(await this.context.newPage());
  }

  private async adopt(page: Page): Promise<Tab> {
    const tab: Tab = { page, pings: recordPings(page), errors: [] };
    page.on('pageerror', (err) => tab.errors.push(String((err as Error).message ?? err)));
    await page.goto(this.baseUrl + this.path);
    await waitForClient(page, 15_000);
    this.tabs.push(tab);
    return tab;
  }

  /** The browser's cookies for the app, as a Cookie header. */
  async cookieHeader(): Promise<string> {
    const host = new URL(this.baseUrl).hostname;
    const cookies = (await this.context.cookies()).filter((c) => c.domain.replace(/^\./, '') === host);
    return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** How many activity events each tab's client has emitted so far. */
  activityCounts(): Promise<number[]> {
    return Promise.all(this.tabs.map((tab) => tab.page.evaluate(() => window.__sessionwatchActivity ?? 0)));
  }

  /** isLeader of every open tab. */
  async leaders(): Promise<boolean[]> {
    return Promise.all(this.tabs.map((tab) => tab.page.evaluate(() => window.__sessionwatch!.getState().isLeader).catch(() => false)));
  }

  /** Waits until exactly one tab leads; returns it. */
  async leader(timeoutMs = 15_000): Promise<Tab> {
    const index = await until(
      async () => {
        const leaders = await this.leaders();
        return leaders.filter(Boolean).length === 1 ? leaders.indexOf(true) + 1 : 0;
      },
      { what: 'exactly one leader tab', timeout: timeoutMs, every: 25 },
    );
    return this.tabs[index - 1];
  }

  async closeTab(tab: Tab): Promise<void> {
    this.tabs.splice(this.tabs.indexOf(tab), 1);
    await tab.page.close();
  }

  close(): Promise<void> {
    return this.context.close().catch(() => undefined);
  }
}
