/**
 * Figure 7 — leader failover. Three tabs of one browser on the example app; 10 times, the leader
 * tab is closed (a replacement is opened each time, so there are always ≥ 2 tabs). Measured: from
 * the close until a remaining tab has become the leader and sent its first ping (the tab's own
 * request, seen through the DevTools protocol), and until it announced itself (its `leader` event).
 */
import type { Browser } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { launchBrowser, LoggedInBrowser, until } from './lib/browser';
import { list, median, round } from './lib/stats';
import { sleep } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';

const CLOSES = 10;

export async function failover(ctx: BenchContext): Promise<Row[]> {
  let example: RunningExample | undefined;
  let browser: Browser | undefined;
  try {
    [example, browser] = await Promise.all([startExample('sqlite', { warnAfter: 600, expireAfter: 1200 }), launchBrowser()]);
    const session = await LoggedInBrowser.open(browser, example.url, '/?pingInterval=5');
    const toPing: number[] = [];
    const toLeader: number[] = [];
    try {
      await session.openTab();
      await session.openTab();
      for (let i = 0; i < CLOSES; i++) {
        const leader = await session.leader();
        await sleep(ctx.quick ? 200 : 600);
        const closedAt = Date.now();
        await session.closeTab(leader);
        const pinged = await until(
          () => {
            const first = session.tabs.map((tab) => tab.pings.find((t) => t >= closedAt)).filter((t): t is number => t !== undefined);
            return first.length ? Math.min(...first) : 0;
          },
          { what: 'a remaining tab to ping', timeout: 10_000, every: 25 },
        );
        toPing.push(pinged - closedAt);
        const events = await Promise.all(session.tabs.map((tab) => tab.page.evaluate(() => window.__sessionwatchEvents ?? [])));
        const elected = events
          .flat()
          .filter((e) => e.type === 'leader' && e.isLeader === true && e.t >= closedAt)
          .map((e) => e.t);
        if (elected.length) toLeader.push(Math.min(...elected) - closedAt);
        ctx.log(`failover ${i + 1}/${CLOSES}: ping after ${pinged - closedAt} ms`);
        await session.openTab();
      }
    } finally {
      await session.close();
    }
    return [
      atMost('leader closed → next tab leads and pings, median', median(toPing), 500, 'ms', `${CLOSES} closes: ${list(toPing, 0)}`),
      atMost('leader closed → next tab leads and pings, max', Math.max(...toPing), 1500, 'ms'),
      info(
        'leader closed → next tab’s leader event, median',
        toLeader.length ? round(median(toLeader), 0) : null,
        'ms',
        toLeader.length ? list(toLeader, 0) : 'no leader events seen',
      ),
    ];
  } finally {
    await browser?.close();
    await example?.stop();
  }
}
