/**
 * Figure 8 — the activity handlers' cost. In one tab of the example app, 10,000 synthetic
 * `mousemove` events are dispatched in a loop. Two measures:
 *
 * - the target: the main-thread time spent in our code, from the DevTools CPU profiler (50 µs
 *   sampling) — every sample whose stack holds a frame of the sessionwatch bundle counts, callees
 *   included (Date.now, timers, messages to other tabs). Another process's burst cannot inflate it
 *   much: it counts where the time goes, not how long the loop took;
 * - for information, the A/B the brief describes: the loop timed with performance.now() with the
 *   client running, minus the same loop after `stop()` removed its listeners, rounds alternating.
 *   It includes the browser's own cost of calling any JS listener, and on a busy machine it is
 *   only as good as the noise allows; and the same loop with one empty listener instead of ours,
 *   the least any activity detector pays.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { SourceMapConsumer, type RawSourceMap } from 'source-map';
import { startExample, type RunningExample } from '../test/support/example-server';
import { CLIENT_BUNDLE } from '../example/client-bundle';
import { launchBrowser, LoggedInBrowser } from './lib/browser';
import { list, median, round } from './lib/stats';
import { sleep } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';

const EVENTS = 10_000;
const BUNDLE_NAME = 'sessionwatch.js';

function dispatch(page: Page): Promise<number> {
  return page.evaluate((count: number) => {
    const target = document.body;
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      target.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: i % 500, clientY: i % 300 }));
    }
    return performance.now() - start;
  }, EVENTS);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** Time (ms) in samples whose stack holds a frame of our bundle, and our functions by self time. */
function ourTime(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }): {
  totalMs: number;
  self: Map<string, number>;
} {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ours = new Map<number, boolean>();
  const isOurs = (id: number): boolean => {
    const known = ours.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const value = node.callFrame.url.endsWith(BUNDLE_NAME) || (up !== undefined && isOurs(up));
    ours.set(id, value);
    return value;
  };
  let total = 0;
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i: the time of sample i is deltas[i + 1].
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    if (!isOurs(samples[i])) continue;
    total += dt;
    const frame = byId.get(samples[i])!.callFrame;
    const key = frame.url.endsWith(BUNDLE_NAME)
      ? `${frame.lineNumber}:${frame.columnNumber}:${frame.functionName}`
      : `(native) ${frame.functionName || '?'}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  return { totalMs: total / 1000, self };
}

/** Original names (file:line function) of the bundle's positions, through its source map. */
function originalNames(self: Map<string, number>): string[] {
  let consumer: SourceMapConsumer | undefined;
  try {
    consumer = new SourceMapConsumer(JSON.parse(fs.readFileSync(`${CLIENT_BUNDLE}.map`, 'utf8')) as RawSourceMap);
  } catch {
    consumer = undefined;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([key, us]) => {
      let name = key;
      const m = /^(\d+):(\d+):(.*)$/.exec(key);
      if (m && consumer) {
        const pos = consumer.originalPositionFor({ line: Number(m[1]) + 1, column: Number(m[2]) });
        if (pos.source) name = `${pos.source.replace(/^(\.\.\/)+/, '')}:${pos.line}${pos.name ? ` ${pos.name}` : ''}`;
      }
      return `${name} ${round(us / 1000, 1)} ms`;
    });
}

export async function activityCost(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 3 : 11;
  let example: RunningExample | undefined;
  let browser: Browser | undefined;
  try {
    [example, browser] = await Promise.all([startExample('sqlite', { warnAfter: 600, expireAfter: 1200 }), launchBrowser()]);
    const session = await LoggedInBrowser.open(browser, example.url, '/');
    try {
      const { page } = session.tabs[0];
      await session.leader();
      await dispatch(page); // warm-up (JIT) with listeners

      // The profiler: rounds of 10,000 events each, our time per round.
      const cdp = await page.createCDPSession();
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
      const profiled: number[] = [];
      const self = new Map<string, number>();
      for (let r = 0; r < rounds; r++) {
        await sleep(100);
        await cdp.send('Profiler.start');
        await dispatch(page);
        const { profile } = await cdp.send('Profiler.stop');
        const result = ourTime(profile);
        profiled.push(result.totalMs);
        for (const [k, v] of result.self) self.set(k, (self.get(k) ?? 0) + v);
      }
      await cdp.send('Profiler.disable');
      await cdp.detach();

      // The A/B: the same loop with and without our listeners.
      const on: number[] = [];
      const off: number[] = [];
      const empty: number[] = [];
      const reports: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const before = await page.evaluate(() => window.__sessionwatchActivity ?? 0);
        on.push(await dispatch(page));
        await sleep(50);
        reports.push((await page.evaluate(() => window.__sessionwatchActivity ?? 0)) - before);
        await page.evaluate(() => window.__sessionwatch!.stop());
        off.push(await dispatch(page));
        // The least any activity detector pays: one empty passive listener.
        await page.evaluate(() => {
          const noop = () => undefined;
          (window as unknown as { __noop: () => void }).__noop = noop;
          window.addEventListener('mousemove', noop, { capture: true, passive: true });
        });
        empty.push(await dispatch(page));
        await page.evaluate(() => {
          window.removeEventListener('mousemove', (window as unknown as { __noop: () => void }).__noop, { capture: true });
          window.__sessionwatch!.start();
        });
        await sleep(300);
      }
      const cost = on.map((t, r) => t - off[r]);
      return [
        atMost(
          `time in our listeners for ${EVENTS.toLocaleString('en')} mousemoves (CPU profiler)`,
          round(median(profiled), 2),
          20,
          'ms',
          `median of ${rounds} rounds: ${list(profiled)}; ours by self time over all rounds: ${originalNames(self).join(', ')}`,
        ),
        info(
          `A/B: loop with our listeners − without, ${EVENTS.toLocaleString('en')} mousemoves`,
          round(median(cost), 2),
          'ms',
          `median of ${rounds} alternating rounds: ${list(cost)} (with ${round(median(on), 1)} ms, without ${round(median(off), 1)} ms); includes the browser's cost of calling any JS listener`,
        ),
        info(
          `A/B: loop with our listeners − with one empty listener`,
          round(median(on.map((t, r) => t - empty[r])), 2),
          'ms',
          `median of ${rounds} rounds: ${list(on.map((t, r) => t - empty[r]))} (empty listener ${round(median(empty), 1)} ms): our handler's own cost beyond the browser's`,
        ),
        info('activity reports per 10,000-event burst', median(reports), '', 'throttled to one per activityInterval (0.5 s)'),
      ];
    } finally {
      await session.close();
    }
  } finally {
    await browser?.close();
    await example?.stop();
  }
}
