/**
 * Browser tests (Chromium and Firefox) of the push stream behind proxies. The README's recipes run as
 * pasted — nginx in front of the whole app, Vite's dev server proxying the API to it — and the
 * browser's one stream goes through them: a revocation locks every tab within a second. Proxies
 * that refuse the stream, strip it or buffer it: the client falls back to its idle checks
 * (`checkInterval`), says so once, and a revocation still reaches every tab.
 */
import { CLIENT_SCRIPT_PATH } from '../example/pages';
import { startExample, type RunningExample } from '../test/support/example-server';
import { readmeCodeBlock } from '../test/support/readme';
import { startNginx, startVite, type RunningProxy } from '../test/support/readme-proxies';
import { StreamBlockingProxy, type StreamBlocking } from '../test/support/stream-blocking-proxy';
import { oneLeader, revokeAll, revokedWithin } from './push-support';
import { BROWSERS, launchBrowser, Session, until, type Tab } from './support';

/** The fallback's idle check, short for the test (seconds). */
const CHECK_INTERVAL = 2;
/** From the idle check's answer to every tab locked, generously. */
const FALLBACK_MARGIN_MS = 1500;
/** The console message of a stream that could not be held (client/controller.ts, `reportNoPush`). */
const NO_PUSH = /^console: sessionwatch: the push stream \/session\/events could not be opened/;
/** What the browser itself says of a refused stream (Firefox) or one of another type (Chromium). */
const BROWSER_NOTICE =
  /^(pageerror: Firefox can’t establish a connection to the server at \S+\/session\/events\.|console: EventSource's response has a MIME type \("text\/html"\) that is not "text\/event-stream")/;

let example: RunningExample;
let nginx: RunningProxy;
let vite: RunningProxy;
let blocking: StreamBlockingProxy;

beforeAll(async () => {
  example = await startExample('sqlite', { warnAfter: 600, expireAfter: 1200 });
  // The single-page app Vite serves: a page with the client (the demo's bundle) and nothing else.
  const bundle = Buffer.from(await (await fetch(example.url + CLIENT_SCRIPT_PATH)).arrayBuffer());
  const page = `<!doctype html><html lang="en"><head><title>SPA</title></head><body><h1>SPA</h1>
<script type="module" src="${CLIENT_SCRIPT_PATH}" data-sessionwatch></script></body></html>`;
  [nginx, vite, blocking] = await Promise.all([
    startNginx(readmeCodeBlock('#### Push behind nginx', 'nginx'), example.url),
    startVite(readmeCodeBlock('### A single-page app', 'js'), example.url, {
      'index.html': page,
      [`public${CLIENT_SCRIPT_PATH}`]: bundle,
    }),
    new StreamBlockingProxy(example.url, 'refuse').start(),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([nginx?.stop(), vite?.stop(), blocking?.stop()]);
  await example?.stop();
});

describe.each(BROWSERS)('%s', (kind) => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let session: Session | undefined;

  // A browser's start takes seconds, and more on a loaded machine (two suites at a time, 2 cores).
  beforeAll(async () => {
    browser = await launchBrowser(kind);
  }, 60_000);
  afterEach(async () => {
    const errors = session?.tabs.flatMap((tab) => tab.errors) ?? [];
    await session?.close();
    session = undefined;
    expect(errors).toEqual([]);
    await until(() => example.sw.pushStreams === 0, { what: 'every stream closed' });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A browser of johndoe with three tabs on `url` + `path`, logged in on the proxy or (Vite: no login page) on the app. */
  async function threeTabs(url: string, path = '/'): Promise<Tab[]> {
    const direct = url === vite.url;
    session = await Session.login(browser, direct ? example.url : url, path, 'johndoe');
    if (direct) {
      // Signed in on the app itself (a cookie of the host, whatever the port): its tab leaves.
      await session.tabs[0].page.close();
      session.tabs.splice(0, 1);
    }
    for (let i = session.tabs.length; i < 3; i++) await session.open(url + path);
    return session.tabs;
  }

  test.each([
    ['nginx', () => nginx],
    ['the Vite dev server', () => vite],
  ])(
    'behind %s, the README recipe as pasted: one stream through it, a revocation locks the 3 tabs within 1 s',
    async (name, proxy) => {
      const tabs = await threeTabs(proxy().url);
      await oneLeader(tabs);
      await until(() => example.sw.pushStreams === 1, { timeout: 10_000, what: 'the stream through the proxy' });
      await revokedWithin(tabs, await revokeAll(example, 'johndoe'), `${kind}, behind ${name}`);
    },
    60_000,
  );

  test.each<{ mode: StreamBlocking; what: string }>([
    { mode: 'refuse', what: 'refuses the stream (403)' },
    { mode: 'strip', what: 'strips the stream (200 text/html)' },
  ])(
    'a proxy that $what: said once in the console, a revocation locks the tabs at the idle check',
    async ({ mode }) => {
      blocking.mode = mode;
      const asked = blocking.streamsAsked;
      // The tabs' opening is activity, reported within a ping interval: short too.
      const tabs = await threeTabs(blocking.url, `/?checkInterval=${CHECK_INTERVAL}&pingInterval=${CHECK_INTERVAL}`);
      await oneLeader(tabs);
      const said = () => tabs.flatMap((tab) => tab.errors.filter((e) => NO_PUSH.test(e)));
      await until(() => said().length > 0, { timeout: 10_000, what: 'the console message' });
      expect(blocking.streamsAsked).toBeGreaterThan(asked);
      expect(example.sw.pushStreams).toBe(0);
      // At the leader's next idle check, then at once in every tab.
      await revokedWithin(
        tabs,
        await revokeAll(example, 'johndoe'),
        `${kind}, a proxy that ${mode}s`,
        CHECK_INTERVAL * 1000 + FALLBACK_MARGIN_MS,
      );
      // Once, in one tab, over the whole test (idle checks and a leader's retries included).
      expect(said()).toHaveLength(1);
      for (const tab of tabs) tab.errors = tab.errors.filter((e) => !NO_PUSH.test(e) && !BROWSER_NOTICE.test(e));
    },
    60_000,
  );

  // Nothing of the browser's own here (the end arrives as a stream that closes): Chromium alone.
  if (kind === 'chromium')
    test('a proxy that buffers the whole stream: the end passes on as the stream closes, every tab locked within 1 s, nothing said', async () => {
      blocking.mode = 'buffer';
      const tabs = await threeTabs(blocking.url);
      await oneLeader(tabs);
      await until(() => example.sw.pushStreams === 1, { timeout: 10_000, what: 'the stream through the proxy' });
      await revokedWithin(tabs, await revokeAll(example, 'johndoe'), `${kind}, a proxy that buffers`);
    }, 60_000);
});
