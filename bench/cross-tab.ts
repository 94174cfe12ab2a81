/**
 * Figure 6 — cross-tab cost. Three browsers (contexts: each has its own tabs, BroadcastChannel and
 * Web Locks, and its own login) with 1, 5 and 20 tabs on the example app, the user active (mouse
 * moves) in every tab for 30 s (15 s in --quick): the pings the server gets from each browser must
 * not grow with its number of tabs (only the leader tab pings, once per ping interval). The three
 * run at the same time, so the noise of a shared machine hits them alike. The pages run with
 * `?pingInterval=0.5` (the client's activity interval: shorter would measure activity reports).
 * Compared: the ping rate of each browser, (pings − 1) / (last − first ping), which a window's edges
 * cannot move by a whole ping; the counts are printed too.
 */
import type { Browser } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { countPings, keepMoving, launchBrowser, LoggedInBrowser } from './lib/browser';
import { round } from './lib/stats';
import { sleep } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';

const TAB_COUNTS = [1, 5, 20];
const PING_INTERVAL = 0.5;

export async function crossTab(ctx: BenchContext): Promise<Row[]> {
  const seconds = ctx.quick ? 15 : 30;
  let example: RunningExample | undefined;
  let browser: Browser | undefined;
  try {
    [example, browser] = await Promise.all([startExample('sqlite', { warnAfter: 600, expireAfter: 1200 }), launchBrowser()]);
    const counts = new Map<number, number>();
    const rates = new Map<number, number>();
    const pings = countPings(example.server);
    const rows: Row[] = [];
    const sessions: LoggedInBrowser[] = [];
    try {
      for (const n of TAB_COUNTS) {
        const session = await LoggedInBrowser.open(browser, example.url, `/?pingInterval=${PING_INTERVAL}`);
        sessions.push(session);
        while (session.tabs.length < n) {
          await Promise.all(Array.from({ length: Math.min(5, n - session.tabs.length) }, () => session.openTab()));
        }
        await session.leader();
      }
      const cookies = await Promise.all(sessions.map((s) => s.cookieHeader()));
      // Settle: every tab's hello is in, each leader pinged at once and runs on its interval.
      await Promise.all(
        sessions.flatMap((s) => s.tabs.map((tab) => keepMoving(tab.page, Date.now() + (ctx.quick ? 1000 : 1500), { ignoreErrors: true }))),
      );
      const activityBefore = await Promise.all(sessions.map((s) => s.activityCounts()));
      const start = Date.now();
      const end = start + seconds * 1000;
      await Promise.all(sessions.flatMap((s) => s.tabs.map((tab) => keepMoving(tab.page, end, { ignoreErrors: true }))));
      await sleep(200);
      const activityAfter = await Promise.all(sessions.map((s) => s.activityCounts()));
      sessions.forEach((session, k) => {
        const n = TAB_COUNTS[k];
        const times = pings.times(start, end, cookies[k]);
        const count = times.length;
        const rate = count > 1 ? ((count - 1) * 1000) / (times[count - 1] - times[0]) : 0;
        rates.set(n, rate);
        counts.set(n, count);
        const active = activityAfter[k].filter((a, i) => a > activityBefore[k][i]).length;
        const pingers = session.tabs.filter((tab) => tab.pings.some((t) => t >= start && t < end)).length;
        const errors = session.tabs.flatMap((tab) => tab.errors);
        ctx.log(`cross-tab: ${n} tab(s): ${count} pings in ${seconds} s; ${active}/${n} tabs saw activity; ${pingers} tab(s) pinged`);
        rows.push(
          info(
            `${n} tab(s): pings at the server in ${seconds} s`,
            count,
            'pings',
            `${round(rate, 3)} pings/s between the first and the last; activity seen in ${active}/${n} tabs; ${pingers} tab(s) pinged${errors.length ? `; page errors: ${errors.slice(0, 2).join(' | ')}` : ''}`,
          ),
        );
        if (active < n) rows.push(atMost(`${n} tabs: tabs whose activity was not seen`, n - active, 0));
      });
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    pings.stop();
    for (const n of TAB_COUNTS.slice(1)) {
      rows.push(
        atMost(
          `ping rate ratio ${n} tabs / 1 tab`,
          round(rates.get(n)! / rates.get(1)!, 3),
          1.05,
          '',
          `${round(rates.get(n)!, 3)} / ${round(rates.get(1)!, 3)} pings/s; counts ${counts.get(n)} / ${counts.get(1)}`,
          2,
        ),
      );
    }
    return rows;
  } finally {
    await browser?.close();
    await example?.stop();
  }
}
