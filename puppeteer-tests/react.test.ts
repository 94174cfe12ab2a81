/**
 * Browser tests (real Chromium and Firefox ESR, real HTTP, real SQLite) of a React app on the
 * client: a React-controlled textarea gets its draft back — on screen and in React's state — after
 * the session expired and the user logged in again, although React renders after the client
 * restored the page; and `useSessionWatch().secondsLeft` is the client's `getState().secondsLeft`
 * throughout (the server's settings, not the client's 1800 s default). The app hands the page's
 * client to the provider of the headless React entry (`sessionwatch/react/core`). The example runs with
 * warnAfter 4 s and expireAfter 8 s.
 */
import { buildSync } from 'esbuild';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { browserSuite, BROWSERS, logInOnPage, Session, sleep, until, waitForClient, waitForEnd } from './support';

const WARN_AFTER = 4;
const EXPIRE_AFTER = 8;

let example: RunningExample;
let bundle: string;

beforeAll(async () => {
  example = await startExample('sqlite', { warnAfter: WARN_AFTER, expireAfter: EXPIRE_AFTER, relogin: 'navigate' });
  const result = buildSync({
    entryPoints: [path.join(__dirname, 'react-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0].text;
});

afterAll(async () => {
  await example?.stop();
});

/** Mounts the React app in the page (evaluated, so no page policy on inline scripts applies). */
async function mountReact(page: Page): Promise<void> {
  await page.evaluate(bundle);
  await page.waitForSelector('#react-body');
}

interface Sample {
  hook: number;
  client: number;
  phase: string;
}

/** The hook's rendered countdown and the client's, read in the same task; null once the page left. */
function seconds(page: Page): Promise<Sample | null> {
  return page
    .evaluate(() => {
      const hook = document.getElementById('react-seconds');
      const client = window.__sessionwatch?.getState();
      return hook && client ? { hook: Number(hook.textContent), client: client.secondsLeft, phase: client.phase } : null;
    })
    .catch(() => null); // navigating away
}

describe.each(BROWSERS)('%s', (kind) => {
  const suite = browserSuite(kind);

  test("a React-controlled textarea gets its draft back after re-login; the hook's secondsLeft follows getState() all along", async () => {
    const session = (suite.session = await Session.login(suite.browser, example.url, '/form'));
    const [tab] = session.tabs;
    const { page } = tab;
    await mountReact(page);

    // The first ping answer brought the server's settings: the hook shows them, not 1800.
    await until(async () => ((await seconds(page))?.client ?? Infinity) <= EXPIRE_AFTER, { what: 'the server settings' });
    const typed = 'Written in a React-controlled textarea';
    await page.type('#react-body', typed);
    expect(await page.$eval('#react-length', (el) => el.textContent)).toBe(String(typed.length));

    // Active, warning, counting down: the hook's value is the client's, within a second.
    const samples: Sample[] = [];
    while (samples.length < 100) {
      const sample = await seconds(page);
      if (!sample || sample.phase === 'ended') break;
      samples.push(sample);
      await sleep(150);
    }
    expect(samples.length).toBeGreaterThan(20);
    expect(samples.some((s) => s.phase === 'warning')).toBe(true);
    expect(samples.filter((s) => Math.abs(s.hook - s.client) > 1)).toEqual([]);
    expect(Math.max(...samples.map((s) => s.hook))).toBeLessThanOrEqual(EXPIRE_AFTER);

    // Expired: the tab leaves for the login page with the draft in its sessionStorage.
    await waitForEnd(tab, 'expired');
    await page.waitForSelector('#username');
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['sessionwatch:draft:/form']);
    await logInOnPage(page);
    expect(new URL(page.url()).pathname).toBe('/form');
    await waitForClient(page);
    // React renders after the client read the draft (the server's fields did not match it).
    await mountReact(page);
    await until(async () => (await page.$eval('#react-body', (el) => (el as HTMLTextAreaElement).value)) === typed, {
      what: 'the draft on screen',
    });
    // React's state has it too: it renders the length of its state.
    expect(await page.$eval('#react-length', (el) => el.textContent)).toBe(String(typed.length));
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
  });
});
