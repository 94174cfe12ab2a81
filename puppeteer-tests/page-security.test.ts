/**
 * The example's pages in real Chromium: under its Content-Security-Policy every page (login, home,
 * sessions, the long form, the warning dialog) works with no violation reported; the logged-in
 * pages are `Cache-Control: no-store` (the client script stays cacheable), so Back after a logout
 * shows the login page, not the user's page from a cache.
 */
import type { Browser } from 'puppeteer-core';
import { startExample, type RunningExample } from '../test/support/example-server';
import { launchBrowser, logInOnPage } from './support';

let example: RunningExample;
let browser: Browser;

beforeAll(async () => {
  [example, browser] = await Promise.all([startExample('sqlite', { warnAfter: 3, expireAfter: 30, relogin: 'navigate' }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

test('no CSP violation on the example pages; the warning dialog is styled; only the pages are no-store', async () => {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const violations: string[] = [];
    const errors: string[] = [];
    await page.exposeFunction('__reportViolation', (text: string) => violations.push(text));
    await page.evaluateOnNewDocument(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { __reportViolation(text: string): void }).__reportViolation(
          `${event.violatedDirective} ${event.blockedURI} ${location.pathname}`,
        );
      });
    });
    page.on('console', (message) => /Content Security Policy/i.test(message.text()) && violations.push(message.text()));
    page.on('pageerror', (err) => errors.push(String(err)));
    const headers = new Map<string, string | undefined>();
    page.on('response', (res) => headers.set(new URL(res.url()).pathname, res.headers()['cache-control']));

    const login = await page.goto(`${example.url}/`);
    expect(login!.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    await logInOnPage(page);
    // The dialog's <style> carries the nonce the client read from its script tag.
    await page.waitForSelector('[role="alertdialog"]', { visible: true, timeout: 15_000 });
    const dialogPosition = await page.$eval('[role="alertdialog"]', (el) => {
      const fixed = (node: Element | null): boolean => !!node && (getComputedStyle(node).position === 'fixed' || fixed(node.parentElement));
      return fixed(el);
    });
    expect(dialogPosition).toBe(true);
    await page.click('[data-sessionwatch-action="stay"]');

    await page.goto(`${example.url}/sessions`);
    // The inline script (with the nonce) ran: the list is rendered.
    await page.waitForSelector('#rows tr[data-id]', { timeout: 10_000 });
    await page.goto(`${example.url}/form`);
    await page.waitForFunction(() => !!window.__sessionwatch, { timeout: 10_000 });

    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    for (const path of ['/', '/sessions', '/form']) expect([path, headers.get(path)]).toEqual([path, 'no-store']);
    expect(headers.get('/assets/sessionwatch.js')).toBe('no-cache');
  } finally {
    await context.close();
  }
});

test('Back after a logout does not show the logged-in page (no-store: neither the HTTP cache nor the bfcache)', async () => {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.goto(`${example.url}/`);
    await logInOnPage(page);
    await page.goto(`${example.url}/sessions`);
    await page.waitForSelector('#rows tr[data-id]', { timeout: 10_000 });
    await page.goto(`${example.url}/form`);
    await page.waitForFunction(() => !!window.__sessionwatch, { timeout: 10_000 });
    await page.type('#title', 'typed before the logout');
    await Promise.all([page.waitForNavigation(), page.evaluate(() => window.__sessionwatch!.logout())]);
    await page.waitForSelector('#username', { timeout: 10_000 });
    const back = await page.goBack();
    // The form page was asked of the server again, which answered with the login page.
    expect(back).not.toBeNull();
    expect(back!.fromCache()).toBe(false);
    await page.waitForSelector('#username', { timeout: 10_000 });
    expect(await page.$('#long-form')).toBeNull();
    expect(await page.content()).not.toContain('typed before the logout');
  } finally {
    await context.close();
  }
});
