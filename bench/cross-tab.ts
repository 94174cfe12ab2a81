/**
 * Figure 6 — cross-tab cost. One browser (one context) with 1, 5 and 20 tabs on the example app,
 * the user active (mouse moves) in every tab for 30 s (15 s in --quick): the pings the server gets
 * must not grow with the number of tabs (only the leader tab pings, once per ping interval).
 * The pages run with `?pingInterval=0.5`, so a window holds ~60 ping intervals and ±1 ping is
 * under 2%.
 */
import type { Browser } from 'puppeteer-core';
import { startExample, type RunningExample } from '../backend/testing/example-server';
import { countPings, keepMoving, launchBrowser, LoggedInBrowser } from './lib/browser';
import { round, sleep } from './lib/stats';
import { atMost, info, type BenchContext, type Row } from './lib/types';

const TAB_COUNTS = [1, 5, 20];
const PING_INTERVAL = 0.5;

export async function crossTab(ctx: BenchContext): Promise<Row[]> {
  const seconds = ctx.quick ? 15 : 30;
  let example: RunningExample | undefined;
  let browser: Browser | undefined;
  try {
    [example, browser] = await Promise.all([startExample('sqlite', { warnAfter: 600, expireAfter: 1200 }), launchBrowser()]);
    const pings = countPings(example.server);
    const counts = new Map<number, number>();
    const rows: Row[] = [];
    for (const n of TAB_COUNTS) {
      const session = await LoggedInBrowser.open(browser, example.url, `/?pingInterval=${PING_INTERVAL}`);
      try {
        while (session.tabs.length < n) {
          await Promise.all(Array.from({ length: Math.min(5, n - session.tabs.length) }, () => session.openTab()));
        }
        await session.leader();
        // Settle: every tab's hello is in, the leader pinged at once and runs on its interval.
        await Promise.all(session.tabs.map((tab) => keepMoving(tab, Date.now() + 1500)));
        const activityBefore = await Promise.all(session.tabs.map((tab) => tab.page.evaluate(() => window.__sessionwatchActivity ?? 0)));
        const start = Date.now();
        const end = start + seconds * 1000;
        await Promise.all(session.tabs.map((tab) => keepMoving(tab, end)));
        await sleep(200);
        const count = pings.between(start, end);
        counts.set(n, count);
        const activityAfter = await Promise.all(session.tabs.map((tab) => tab.page.evaluate(() => window.__sessionwatchActivity ?? 0)));
        const active = activityAfter.filter((a, i) => a > activityBefore[i]).length;
        const pingers = session.tabs.filter((tab) => tab.pings.some((t) => t >= start && t < end)).length;
        const errors = session.tabs.flatMap((tab) => tab.errors);
        ctx.log(`cross-tab: ${n} tab(s): ${count} pings in ${seconds} s; ${active}/${n} tabs saw activity; ${pingers} tab(s) pinged`);
        rows.push(info(`${n} tab(s): pings at the server in ${seconds} s`, count, 'pings',
          `${round(count / seconds, 2)}/s; activity seen in ${active}/${n} tabs; ${pingers} tab(s) pinged${errors.length ? `; page errors: ${errors.slice(0, 2).join(' | ')}` : ''}`));
        if (active < n) rows.push(atMost(`${n} tabs: tabs whose activity was not seen`, n - active, 0));
      } finally {
        await session.close();
        await sleep(300);
      }
    }
    pings.stop();
    const one = counts.get(1)!;
    for (const n of TAB_COUNTS.slice(1)) {
      rows.push(atMost(`pings ratio ${n} tabs / 1 tab`, round(counts.get(n)! / one, 3), 1.05, '', `${counts.get(n)} / ${one}`, 2));
    }
    return rows;
  } finally {
    await browser?.close();
    await example?.stop();
  }
}
