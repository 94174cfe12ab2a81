/**
 * Browser tests (Chromium and Firefox ESR, real HTTP, real SQLite) of the demo's security insight
 * (issue 17): with `GEOIP_DATABASE` (MaxMind's test database) behind a trusted proxy, a sign-in
 * from a new device elsewhere is logged on the server and announced on the sessions page, which
 * shows where each session is; the security log page lists what happened. Both pages pass
 * axe-core's WCAG 2.2 A/AA rules.
 */
import path from 'node:path';
import { startExample, type RunningExample } from '../test/support/example-server';
import { TestClient, USER_AGENTS } from '../test/support/http-client';
import { axeViolations, browserSuite, BROWSERS, Session } from './support';

const GEOIP = path.join(__dirname, '..', 'test', 'fixtures', 'geoip', 'GeoLite2-City-Test.mmdb');

let example: RunningExample;
const logged: string[] = [];

beforeAll(async () => {
  example = await startExample('sqlite', { geoipDatabase: GEOIP, proxy: true, relogin: 'navigate', log: (line) => logged.push(line) });
});
afterAll(async () => {
  await example?.stop();
});

describe.each(BROWSERS)('%s', (kind) => {
  const suite = browserSuite(kind);

  test('a sign-in from a new device elsewhere: logged, announced on the sessions page with where it is; the security log lists it', async () => {
    // One user per browser: each run's "elsewhere" is new to its user.
    const user = kind === 'chromium' ? 'johndoe' : 'janedoe';
    const session = (suite.session = await Session.login(suite.browser, example.url, '/sessions', user));
    const page = session.tabs[0].page;
    // The user signs in from Firefox on Windows in London (a browser this user never used).
    const elsewhere = new TestClient(example.url, USER_AGENTS.firefoxWindows);
    elsewhere.headers['x-forwarded-for'] = '81.2.69.142';
    const before = logged.length;
    expect((await elsewhere.login(user)).status).toBe(200);
    expect(logged.slice(before).join('\n')).toMatch(/new sign-in: user \S+ from Firefox on Windows \(desktop\), London, United Kingdom/);

    await page.reload();
    const notice = await page.waitForSelector('#new-sign-ins:not([hidden])');
    expect(await notice!.evaluate((n) => n.textContent)).toMatch(
      /New sign-in to your account.*Firefox 120\.0 on Windows 10 \(desktop\), London, United Kingdom/s,
    );
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length >= 2);
    expect(await page.$eval('#rows', (rows) => rows.textContent)).toContain('London, United Kingdom');
    expect(await axeViolations(page)).toEqual([]);

    // Revoked from here (the button says which session it ends): the notice goes, the log says so.
    expect(await page.$eval('#rows button[data-revoke]', (b) => b.getAttribute('aria-label'))).toBe(
      'Revoke Firefox 120.0 on Windows 10, London, United Kingdom',
    );
    await page.click('#rows button[data-revoke]');
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1);
    await page.waitForSelector('#new-sign-ins', { hidden: true });
    await page.goto(`${example.url}/security`);
    await page.waitForFunction(() => document.querySelectorAll('#rows tr').length >= 3);
    const log = await page.$eval('#rows', (rows) => rows.textContent ?? '');
    expect(log).toMatch(
      /Logged out from another of your sessions.*Firefox 120\.0 on Windows 10 \(desktop\)London, United Kingdom81\.2\.69\.142/,
    );
    expect(log).toMatch(/Signed in from a new device/);
    expect(await page.$eval('#status', (status) => status.textContent)).toMatch(/^Showing \d+ entries: all of them\.$/);
    expect(await axeViolations(page)).toEqual([]);

    // An administrator (janedoe) reads a user's log from the admin page; anyone else gets a 403 page.
    const johndoeId = (await example.knex('example_users').where({ username: 'johndoe' }).first<{ id: number }>()).id;
    const res = await page.goto(`${example.url}/admin/security?user=${johndoeId}`);
    if (user === 'janedoe') {
      await page.waitForFunction(() => document.querySelectorAll('#rows tr').length >= 1);
      expect(await page.$eval('h1', (h) => h.textContent)).toBe(`Security log of user ${johndoeId}`);
      expect(await axeViolations(page)).toEqual([]);
    } else expect(res!.status()).toBe(403);
  });
});
