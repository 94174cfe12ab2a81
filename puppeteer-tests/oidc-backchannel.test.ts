/**
 * Browser tests (real browsers, real HTTP, real SQLite, a real OpenID provider): a browser signed
 * in through the provider (oidc-provider in a child process) with three tabs of the relying party;
 * signing out at the provider sends its back-channel logout, and every tab of that browser ends
 * (`revoked`) at its next idle check, while another browser's session goes on. The tabs check
 * every second (`checkInterval`): the server does not push yet.
 */
import { createTestDatabase, type TestDatabase } from '../test/support/databases';
import { objectContaining } from '../test/support/matchers';
import { rpClient, startIdp, type TestIdp } from '../test/support/oidc-idp';
import { reserveServer, startOidcRp, type OidcRp } from '../test/support/oidc-rp';
import { browserSuite, BROWSERS, Session, state, until, waitForEnd } from './support';

const CLIENT_ID = 'browser-rp';
/** The client pings and checks an idle session every second. */
const PAGE = '/app?pingInterval=1&checkInterval=1';

let db: TestDatabase;
let idp: TestIdp;
let rp: OidcRp;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  const reserved = await reserveServer();
  idp = await startIdp([rpClient(reserved.url, CLIENT_ID, 'browser-rp-secret')]);
  rp = await startOidcRp(reserved, {
    issuer: idp.issuer,
    clientId: CLIENT_ID,
    clientSecret: 'browser-rp-secret',
    sessionwatch: { database: db.url },
  });
});

afterAll(async () => {
  await rp?.stop();
  await idp?.stop();
  await db?.drop();
});

describe.each(BROWSERS)('%s', (kind) => {
  const suite = browserSuite(kind);
  const others: Session[] = [];
  afterEach(async () => {
    for (const tab of others.flatMap((s) => s.tabs)) expect(tab.errors).toEqual([]);
    await Promise.all(others.splice(0).map((s) => s.close()));
  });

  test("signing out at the provider ends every tab of that browser (revoked); another browser's session goes on", async () => {
    // Signed in at the provider's login page, through the relying party's sign-in.
    const session = (suite.session = await Session.login(suite.browser, rp.url, PAGE, 'ivan'));
    for (let i = 1; i < 3; i++) await session.open(PAGE);
    const other = await Session.login(suite.browser, rp.url, PAGE, 'judy');
    others.push(other);
    for (const tab of [...session.tabs, ...other.tabs]) {
      await until(async () => (await state(tab)).phase === 'active' && (await state(tab)).expireAfter !== null, { what: 'a live tab' });
    }
    const delivered = idp.deliveries.length;

    // The user signs out at the provider, in another tab of the same browser.
    const provider = await session.context.newPage();
    await provider.goto(`${idp.issuer}/session/end`);
    await Promise.all([provider.waitForNavigation(), provider.click('#logout-yes')]);
    await provider.waitForSelector('#signed-out');
    expect(idp.deliveries.slice(delivered)).toEqual([objectContaining({ ok: true, clientId: CLIENT_ID })]);
    const signedOutAt = Date.now();

    const ends = await Promise.all(session.tabs.map((tab) => waitForEnd(tab, 'revoked', 10_000)));
    // Within the idle check (1 s) of the logout, plus the request and the navigation.
    for (const t of ends) expect(t - signedOutAt).toBeLessThan(1000 + 2000);
    for (const tab of session.tabs) expect(await tab.page.$eval('#ended', (el) => el.textContent)).toBe('Signed out (revoked).');
    expect(rp.ended).toContainEqual(objectContaining({ reason: 'revoked', by: 'idp', session: objectContaining({ userId: 'ivan' }) }));

    // Judy signed in at the provider in another browser: another provider session, untouched.
    expect((await state(other.tabs[0])).phase).toBe('active');
    expect(other.tabs[0].navigations).toEqual([]);
    expect(await other.tabs[0].page.evaluate(() => fetch('/me').then((r) => r.status))).toBe(200);
  }, 60_000);
});
