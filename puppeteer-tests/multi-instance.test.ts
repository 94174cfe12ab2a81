/**
 * Two app instances on one Postgres and one Redis behind a round-robin load balancer: the
 * multi-tab scenario still holds, with the leader's pings spread across both instances.
 */
import { randomBytes } from 'node:crypto';
import type { Browser } from 'puppeteer-core';
import { createTestDatabase, type TestDatabase } from '../test/support/databases';
import { startExample, type RunningExample } from '../test/support/example-server';
import { RoundRobinProxy } from '../test/support/round-robin-proxy';
import { waitUntilAcquainted } from '../test/support/instances';
import { keepActive, launchBrowser, Session, sleep, state } from './support';

const WARN_AFTER = 3;
const EXPIRE_AFTER = 6;

let db: TestDatabase;
let instances: RunningExample[];
let proxy: RoundRobinProxy;
let browser: Browser;
let session: Session | undefined;

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  const options = {
    db,
    warnAfter: WARN_AFTER,
    expireAfter: EXPIRE_AFTER,
    redisUrl: 'redis://127.0.0.1:6379',
    redisPrefix: `sw-e2e:${randomBytes(4).toString('hex')}:`,
    relogin: 'navigate' as const,
  };
  instances = [await startExample('postgres', options), await startExample('postgres', options)];
  await waitUntilAcquainted(instances.map((i) => i.sw));
  proxy = await new RoundRobinProxy(instances.map((i) => i.url)).start();
  browser = await launchBrowser();
});

afterAll(async () => {
  await session?.close();
  await browser?.close();
  await proxy?.stop();
  await instances?.[0]?.stop({ dropDatabase: false });
  await instances?.[1]?.stop();
});

test('activity in one tab keeps all tabs alive, with pings going to both instances', async () => {
  session = await Session.login(browser, proxy.url);
  await session.open('/');
  await session.open('/');
  const { tabs } = session;
  const pingsBefore = proxy.count('POST /session/ping');

  // Only tab 2 is used, for longer than expireAfter.
  await keepActive(tabs[1], (EXPIRE_AFTER + 2) * 1000);
  await sleep(500);

  for (const tab of tabs) {
    expect((await state(tab)).phase).toBe('active');
    expect(tab.navigations).toEqual([]); // nobody was sent to the login page
    expect(tab.errors).toEqual([]);
  }
  const pings = proxy.count('POST /session/ping').map((n, i) => n - pingsBefore[i]);
  expect(pings[0]).toBeGreaterThan(0);
  expect(pings[1]).toBeGreaterThan(0);
  // Both instances agree the session is alive.
  const cookie = await session.cookieHeader();
  for (const instance of instances) {
    const res = await fetch(`${instance.url}/me`, { headers: { cookie } });
    expect(res.status).toBe(200);
  }
}, 60_000);
