/**
 * Figure 13 — what a hidden tab costs (issue 28, item 5). One browser on the example app (its default
 * warnAfter / expireAfter), {@link TABS} tabs of one window with the client and {@link BARE} more of the
 * same page with the client's script blocked; the first tab is in front (`document.visibilityState`
 * 'visible'), every other one is a background tab ('hidden': checked in every tab measured). Chromium as
 * users get it: none of the flags that keep background tabs' timers at full speed (the tests' setup), so
 * hidden pages are throttled as on a desktop.
 *
 * For every hidden follower (a tab with the client that does not lead) and every bare tab, over
 * {@link WINDOW_MS} of each scenario, once every tab has settled ({@link SETTLE_MS} after the last one
 * loaded) — the user idle, then working in the front tab (mouse moves every 200 ms) — the renderer's main-thread time (DevTools `Performance.getMetrics`: TaskDuration, all tasks;
 * ScriptDuration, JavaScript) and the page's wake-ups, counted by a wrapper installed before any script:
 * timer callbacks (`setTimeout`, `setInterval`) and messages delivered to BroadcastChannel listeners.
 * The target: a hidden follower's task time per minute ÷ the bare page's, medians over the tabs.
 * And the Web Locks of the origin (`navigator.locks.query()`): which requests wait, while every follower
 * but the front tab is hidden (issue 28, item 6c: a tab holding or waiting for a lock is never frozen
 * by Chrome).
 */
import puppeteer, { type Browser, type BrowserContext, type CDPSession, type Page } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { CHROME_ARGS, keepMoving, waitForClient } from '../test/support/browser';
import { logInWithFetch } from './lib/browser';
import { CLIENT_SCRIPT_PATH } from '../example/pages';
import { list, median, round } from './lib/stats';
import { sleep } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';

/** Tabs with the client (the first in front). */
const TABS = 8;
/** Hidden tabs of the same page without the client. */
const BARE = 3;
const WINDOW_MS = 60_000;
const QUICK_WINDOW_MS = 20_000;
const SETTLE_MS = 30_000;
const TARGET_RATIO = 1.5;

/**
 * Chromium's defaults for background tabs: the tests' full-speed flags taken out. And a renderer
 * process per tab, as a desktop with memory to spare gives them: the DevTools metrics are those of a
 * renderer's main thread, which tabs sharing a process share.
 */
const USER_ARGS = [...CHROME_ARGS.filter((arg) => !/background|backgrounding/.test(arg)), '--renderer-process-limit=64'];

interface Wakeups {
  timers: number;
  messages: number;
}

declare global {
  interface Window {
    __wakeups?: Wakeups;
  }
}

/** Installed before the page's scripts: counts timer callbacks and channel messages as they run. */
function countWakeups(): void {
  const counts: Wakeups = { timers: 0, messages: 0 };
  window.__wakeups = counts;
  type Timer = (handler: TimerHandler, timeout?: number, ...args: unknown[]) => number;
  const wrap = (original: Timer): Timer =>
    function (this: unknown, handler, timeout, ...args) {
      if (typeof handler !== 'function') return original.call(this, handler, timeout, ...args);
      return original.call(
        this,
        function (this: unknown, ...callArgs: unknown[]) {
          counts.timers++;
          return (handler as (...a: unknown[]) => unknown).apply(this, callArgs);
        },
        timeout,
        ...args,
      );
    };
  window.setTimeout = wrap(window.setTimeout.bind(window) as Timer) as typeof window.setTimeout;
  window.setInterval = wrap(window.setInterval.bind(window) as Timer) as typeof window.setInterval;
  // Called with each channel as `this` (`add.call`), as the prototype's own method is.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const add = BroadcastChannel.prototype.addEventListener;
  BroadcastChannel.prototype.addEventListener = function (
    this: BroadcastChannel,
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ) {
    if (type !== 'message' || typeof listener !== 'function') return add.call(this, type, listener!, options);
    return add.call(
      this,
      type,
      function (this: BroadcastChannel, event: Event) {
        counts.messages++;
        return listener.call(this, event);
      },
      options,
    );
  } as typeof add;
}

interface Measured {
  page: Page;
  cdp: CDPSession;
}

interface Sample {
  taskMs: number;
  scriptMs: number;
  /** CPU time of the renderer's main thread (task time is wall time: it grows when other processes take the CPU). */
  cpuMs: number;
  timers: number;
  messages: number;
}

async function sample({ page, cdp }: Measured): Promise<Sample> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
  const wakeups = await page.evaluate(() => window.__wakeups ?? { timers: 0, messages: 0 });
  return {
    taskMs: metric('TaskDuration') * 1000,
    scriptMs: metric('ScriptDuration') * 1000,
    cpuMs: metric('ThreadTime') * 1000,
    ...wakeups,
  };
}

/** Per minute, over the window between two samples. */
function perMinute(a: Sample, b: Sample, ms: number): Sample {
  const k = 60_000 / ms;
  return {
    taskMs: (b.taskMs - a.taskMs) * k,
    scriptMs: (b.scriptMs - a.scriptMs) * k,
    cpuMs: (b.cpuMs - a.cpuMs) * k,
    timers: (b.timers - a.timers) * k,
    messages: (b.messages - a.messages) * k,
  };
}

async function openTab(context: BrowserContext, url: string, bare: boolean): Promise<Measured> {
  const page = await context.newPage();
  await page.evaluateOnNewDocument(countWakeups);
  if (bare) {
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === CLIENT_SCRIPT_PATH) void request.abort();
      else void request.continue();
    });
  }
  await page.goto(url);
  if (!bare) await waitForClient(page, 15_000);
  const cdp = await page.createCDPSession();
  await cdp.send('Performance.enable');
  return { page, cdp };
}

const visibility = (page: Page) => page.evaluate(() => document.visibilityState);

/** The origin's Web Locks, as one tab sees them: how many are held and how many requests wait. */
async function locks(page: Page): Promise<{ held: number; pending: number }> {
  return page.evaluate(async () => {
    const snapshot = await navigator.locks.query();
    return { held: snapshot.held?.length ?? 0, pending: snapshot.pending?.length ?? 0 };
  });
}

export async function background(ctx: BenchContext): Promise<Row[]> {
  const windowMs = ctx.quick ? QUICK_WINDOW_MS : WINDOW_MS;
  let example: RunningExample | undefined;
  let browser: Browser | undefined;
  try {
    [example, browser] = await Promise.all([
      startExample('sqlite'),
      puppeteer.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', headless: true, args: USER_ARGS }),
    ]);
    const context = await browser.createBrowserContext();
    const login = await context.newPage();
    await logInWithFetch(login, example.url);
    const tabs: Measured[] = [];
    for (let i = 0; i < TABS; i++) tabs.push(await openTab(context, `${example.url}/`, false));
    const bare: Measured[] = [];
    for (let i = 0; i < BARE; i++) bare.push(await openTab(context, `${example.url}/`, true));
    await login.close();
    const front = tabs[0];
    await front.page.bringToFront();
    // Settled: one leader, every follower has heard it, and the pages' own work after loading (parsing,
    // compiling, the first collections) is over in every tab, so that the windows compare steady states.
    await sleep(ctx.quick ? 5000 : SETTLE_MS);
    const leading = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.__sessionwatch!.getState().isLeader)));
    if (leading.filter(Boolean).length !== 1) throw new Error(`not one leader: ${JSON.stringify(leading)}`);
    const followers = tabs.filter((t, i) => t !== front && !leading[i]);
    const shown = await Promise.all([front, ...followers, ...bare].map((t) => visibility(t.page)));
    if (shown[0] !== 'visible' || shown.slice(1).some((v) => v !== 'hidden')) {
      throw new Error(`front tab visible, the others hidden expected: ${shown.join(', ')}`);
    }
    const lockState = await locks(front.page);
    const browserCdp = await browser.target().createCDPSession();
    const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
    const renderers = processInfo.filter((p) => p.type === 'renderer').length;
    if (renderers < TABS + BARE) throw new Error(`${renderers} renderer processes for ${TABS + BARE} tabs: the metrics would mix tabs`);
    const frontWaits = !leading[0] ? 1 : 0;
    ctx.log(
      `background: ${followers.length} hidden followers, ${bare.length} bare tabs, leader ${leading.indexOf(true)}; locks held ${lockState.held}, pending ${lockState.pending}`,
    );

    const measure = async (scenario: string, during: () => Promise<void>) => {
      const measured = [...followers, ...bare];
      const before = await Promise.all(measured.map(sample));
      const t0 = Date.now();
      await during();
      const after = await Promise.all(measured.map(sample));
      const ms = Date.now() - t0;
      const rates = measured.map((_, i) => perMinute(before[i], after[i], ms));
      const withClient = rates.slice(0, followers.length);
      const without = rates.slice(followers.length);
      const med = (rows: Sample[], key: keyof Sample) => median(rows.map((r) => r[key]));
      ctx.log(
        `background (${scenario}): followers task ms/min ${list(
          withClient.map((r) => r.taskMs),
          1,
        )}; bare ${list(
          without.map((r) => r.taskMs),
          1,
        )}`,
      );
      return { withClient, without, med };
    };

    const idle = await measure('idle', () => sleep(windowMs));
    const working = await measure('working', () => keepMoving(front.page, Date.now() + windowMs, { every: 200 }));

    const rows: Row[] = [];
    for (const [scenario, m] of [
      ['the user idle', idle],
      ['the user working in the front tab', working],
    ] as const) {
      const ratio = m.med(m.withClient, 'taskMs') / m.med(m.without, 'taskMs');
      rows.push(
        atMost(
          `hidden follower ÷ the same page without the client, task time a minute, ${scenario}`,
          round(ratio, 2),
          TARGET_RATIO,
          '',
          `${round(m.med(m.withClient, 'taskMs'), 1)} ms ÷ ${round(m.med(m.without, 'taskMs'), 1)} ms (medians of ${m.withClient.length} hidden followers: ${list(
            m.withClient.map((r) => r.taskMs),
            1,
          )}; ${m.without.length} bare tabs: ${list(
            m.without.map((r) => r.taskMs),
            1,
          )}); ${TABS} tabs, ${Math.round(windowMs / 1000)} s`,
        ),
        info(
          `hidden follower, ${scenario}: script time a minute, with / without the client`,
          round(m.med(m.withClient, 'scriptMs'), 1),
          'ms',
          `without: ${round(m.med(m.without, 'scriptMs'), 1)} ms`,
        ),
        info(
          `hidden follower, ${scenario}: main-thread CPU time a minute, with / without the client`,
          round(m.med(m.withClient, 'cpuMs'), 1),
          'ms',
          `without: ${round(m.med(m.without, 'cpuMs'), 1)} ms (ratio ${round(m.med(m.withClient, 'cpuMs') / m.med(m.without, 'cpuMs'), 2)})`,
        ),
        info(
          `hidden follower, ${scenario}: timer callbacks / channel messages a minute`,
          round(m.med(m.withClient, 'timers'), 1),
          'timers',
          `${round(m.med(m.withClient, 'messages'), 1)} messages; without the client ${round(m.med(m.without, 'timers'), 1)} timers, ${round(
            m.med(m.without, 'messages'),
            1,
          )} messages`,
        ),
      );
    }
    rows.push(
      atMost(
        'Web Lock requests waiting from hidden followers (they would keep them from being frozen)',
        Math.max(0, lockState.pending - frontWaits),
        0,
        '',
        `held ${lockState.held} (the leader's), pending ${lockState.pending}; the front tab ${frontWaits ? 'follows and waits (a visible tab is never frozen)' : 'leads'}`,
      ),
    );
    await context.close();
    return rows;
  } finally {
    await browser?.close();
    await example?.stop();
  }
}
