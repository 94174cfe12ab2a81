/**
 * The browser setup shared by the browser tests (puppeteer-tests/support.ts builds its tabs and
 * sessions on it) and the benchmarks (bench/lib/browser.ts): launching headless Chromium or
 * Firefox ESR with the right flags, recognising and recording a page's pings, waiting for the
 * client, and keeping a page active with mouse moves.
 */
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { DEFAULT_API_PREFIX } from '../../shared/protocol';
import { sleep } from './wait';

export const CHROME_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-dev-shm-usage',
  // Background tabs keep their timers, as a leader tab in the background must.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** The browsers the multi-tab tests run in. */
export type BrowserKind = 'chromium' | 'firefox';
export const BROWSERS: readonly BrowserKind[] = ['chromium', 'firefox'];

/**
 * Firefox prefs with the effect of CHROME_ARGS: windows side by side keep full-speed timers, and
 * nothing talks to Mozilla's services meanwhile.
 */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'dom.min_background_timeout_value': 0,
  'dom.timeout.enable_budget_timer_throttling': false,
  'dom.ipc.processPriorityManager.enabled': false,
  'app.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

const kinds = new WeakMap<Browser, BrowserKind>();

/**
 * Launches headless Chromium (`CHROME_PATH`, default /usr/bin/chromium; the DevTools protocol) or
 * Firefox ESR (`FIREFOX_PATH`, default /usr/bin/firefox-esr; WebDriver BiDi).
 */
export async function launchBrowser(kind: BrowserKind = 'chromium'): Promise<Browser> {
  const browser =
    kind === 'firefox'
      ? await puppeteer.launch({
          browser: 'firefox',
          executablePath: process.env.FIREFOX_PATH || '/usr/bin/firefox-esr',
          headless: true,
          extraPrefsFirefox: FIREFOX_PREFS,
        })
      : await puppeteer.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', headless: true, args: CHROME_ARGS });
  kinds.set(browser, kind);
  return browser;
}

/** Which browser a page belongs to (puppeteer speaks CDP to Chromium, BiDi to Firefox). */
export function browserKind(page: Page): BrowserKind {
  return kinds.get(page.browser()) ?? 'chromium';
}

/** True for the client's ping: `POST {apiPrefix}/ping`. */
export const isPing = (request: HTTPRequest, apiPrefix = DEFAULT_API_PREFIX) =>
  request.method() === 'POST' && new URL(request.url()).pathname === `${apiPrefix}/ping`;

/** From now on, pushes the time (Node's Date.now) of every ping `page` sends onto `times`; returns `times`. */
export function recordPings(page: Page, times: number[] = []): number[] {
  page.on('request', (request) => {
    if (isPing(request)) times.push(Date.now());
  });
  return times;
}

/** Waits until the page's client has started (`window.__sessionwatch`). */
export async function waitForClient(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForFunction(() => !!window.__sessionwatch, { timeout });
}

/**
 * Mouse moves in the page every `every` ms until `endAt` (Date.now). With `ignoreErrors`, a
 * move that fails (the page was closed meanwhile) is skipped instead of thrown.
 */
export async function keepMoving(page: Page, endAt: number, { every = 200, ignoreErrors = false } = {}): Promise<void> {
  let i = 0;
  while (Date.now() < endAt) {
    i += 1;
    const moved = page.mouse.move(20 + (i % 40) * 5, 20 + (i % 7) * 10);
    await (ignoreErrors ? moved.catch(() => undefined) : moved);
    await sleep(every);
  }
}
