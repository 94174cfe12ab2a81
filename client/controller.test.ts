/**
 * The cross-tab state machine on fake time: several controllers share an in-memory hub (tabs) and
 * a fake server; no DOM (the page side has its own tests).
 */
import { createController, type Controller } from './controller';
import { ELECTED_SETTLE_MS } from './machine';
import { SESSIONWATCH_EVENTS, type SessionWatchEvent } from './events';
import { createFakeTransport, type FakeTransport } from '../test/support/fake-transport';
import { createMemoryHub } from '../test/support/memory-tabs';
import { resolveClientOptions } from './options';
import { withDefaults, type SessionWatchClientOptions } from './with-defaults';
import { anyNumber, objectContaining } from '../test/support/matchers';

const WARN = 30;
const EXPIRE = 60;
const START = Date.UTC(2030, 0, 1, 12);

interface TestTab {
  c: Controller;
  events: { type: SessionWatchEvent; t: number; [key: string]: unknown }[];
  navigations: string[];
  /** Times the page was reloaded (another user signed in). */
  reloads: number;
}

/** The EventSource the tabs of {@link setup} get (none: no push stream, as with a custom transport). */
let eventSource: typeof EventSource | undefined;

function setup(
  n: number,
  options: SessionWatchClientOptions = {},
): { server: FakeTransport; tabs: TestTab[]; open: (own?: SessionWatchClientOptions) => TestTab } {
  const server = createFakeTransport({ warnAfter: WARN, expireAfter: EXPIRE, timeoutMs: 10_000 });
  const hub = createMemoryHub();
  const open = (own: SessionWatchClientOptions = {}) => {
    const navigations: string[] = [];
    // Leaving at the end, unless a test asks for in place.
    const c = createController(resolveClientOptions(withDefaults({ transport: server, relogin: 'navigate', ...options, ...own })), {
      window: null,
      tabs: () => hub.connect(),
      navigate: (url) => navigations.push(url),
      reload: () => (tab.reloads += 1),
      EventSource: eventSource,
    });
    const events: TestTab['events'] = [];
    for (const type of SESSIONWATCH_EVENTS) {
      c.emitter.on(type, (payload) => events.push({ type, t: Date.now() - START, ...payload }));
    }
    const tab: TestTab = { c, events, navigations, reloads: 0 };
    return tab;
  };
  return { server, tabs: Array.from({ length: n }, () => open()), open };
}

const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);
/** Advances to `ms` after START. */
const advanceTo = (ms: number) => advance(START + ms - Date.now());
const ofType = (tab: TestTab, type: SessionWatchEvent) => tab.events.filter((e) => e.type === type);

/** Starts every tab, and waits for the leader's first ping (it lets the election settle first). */
async function startAll(tabs: TestTab[]): Promise<void> {
  for (const tab of tabs) tab.c.start();
  await advance(ELECTED_SETTLE_MS + 10);
}

beforeEach(() => {
  jest.useFakeTimers({ now: START });
});

afterEach(() => {
  jest.useRealTimers();
});

test('the leader pings once at start and every tab takes the settings from the server', async () => {
  const { server, tabs } = setup(3);
  await startAll(tabs);
  expect(server.pings).toHaveLength(1);
  expect(tabs.map((t) => t.c.getState().isLeader)).toEqual([true, false, false]);
  expect(ofType(tabs[0], 'leader')).toEqual([expect.objectContaining({ isLeader: true })]);
  for (const tab of tabs)
    expect(tab.c.getState()).toMatchObject({ phase: 'active', warnAfter: WARN, expireAfter: EXPIRE, secondsLeft: EXPIRE });
});

test('settings from the options win over the server', async () => {
  const { tabs } = setup(1, { warnAfter: 10, expireAfter: 20 });
  await startAll(tabs);
  expect(tabs[0].c.getState()).toMatchObject({ warnAfter: 10, expireAfter: 20 });
});

test('while the user is active the leader pings once per ping interval, whatever the number of tabs', async () => {
  async function pingsDuringActivity(n: number): Promise<number> {
    const { server, tabs } = setup(n);
    await startAll(tabs);
    const before = server.pings.length;
    for (let elapsed = 0; elapsed < 60_000; elapsed += 200) {
      for (const tab of tabs) tab.c.recordActivity(Date.now());
      await advance(200);
    }
    for (const tab of tabs) tab.c.stop();
    return server.pings.length - before;
  }
  const alone = await pingsDuringActivity(1);
  // Default interval min(60, warnAfter / 4) = 7.5 s: 8 pings in 60 s.
  expect(alone).toBeGreaterThanOrEqual(7);
  expect(alone).toBeLessThanOrEqual(9);
  expect(await pingsDuringActivity(3)).toBe(alone);
});

test('no ping without activity, and activity in one tab reaches every tab', async () => {
  const { server, tabs } = setup(3);
  await startAll(tabs);
  await advanceTo(20_000);
  expect(server.pings).toHaveLength(1);
  tabs[2].c.recordActivity(Date.now());
  await advance(10);
  for (const tab of tabs) expect(tab.c.getState().lastActivity).toBe(START + 20_000);
  await advance(8000);
  expect(server.pings).toHaveLength(2);
  expect(server.pings[1].idleFor).toBeCloseTo(0, 1);
});

test('the warning shows in every tab at warnAfter, once the server agrees', async () => {
  const { server, tabs } = setup(3);
  await startAll(tabs);
  await advanceTo(WARN * 1000 - 100);
  for (const tab of tabs) expect(ofType(tab, 'warn')).toEqual([]);
  await advanceTo(WARN * 1000 + 50);
  for (const tab of tabs) {
    expect(ofType(tab, 'warn')).toEqual([expect.objectContaining({ secondsLeft: EXPIRE - WARN })]);
    expect(tab.c.getState().phase).toBe('warning');
  }
  expect(server.pings.at(-1)!.idleFor).toBeCloseTo(WARN, 1);
});

test('activity the server knows of (elsewhere) postpones the warning: the tab adopts its idle time', async () => {
  const { server, tabs } = setup(2);
  await startAll(tabs);
  await advanceTo(20_000);
  server.touch(); // e.g. a request of this session the client did not see
  await advanceTo(WARN * 1000 + 50);
  for (const tab of tabs) {
    expect(ofType(tab, 'warn')).toEqual([]);
    expect(tab.c.getState().lastActivity).toBe(START + 20_000);
  }
  await advanceTo(20_000 + WARN * 1000 + 50);
  for (const tab of tabs) expect(ofType(tab, 'warn')).toHaveLength(1);
});

test("a server activity less than 1 s newer is a ping's network delay, not activity: the countdown stays", async () => {
  const { server, tabs } = setup(2);
  await startAll(tabs);
  await advanceTo(20_000);
  const { lastActivity } = tabs[0].c.getState();
  // The server merged an earlier ping at its own receive time, a few hundred ms after the client sent it.
  server.touch(lastActivity + 400);
  await advanceTo(WARN * 1000 + 50);
  for (const tab of tabs) {
    expect(tab.c.getState().lastActivity).toBe(lastActivity);
    expect(ofType(tab, 'warn')).toHaveLength(1);
  }
});

test('"Stay signed in" in one tab dismisses the warning in all and pings at once', async () => {
  const { server, tabs } = setup(3);
  await startAll(tabs);
  await advanceTo(WARN * 1000 + 500);
  const pings = server.pings.length;
  tabs[2].c.extend();
  await advance(20);
  expect(server.pings).toHaveLength(pings + 1);
  expect(server.pings.at(-1)!.idleFor).toBeLessThan(0.1);
  for (const tab of tabs) {
    expect(tab.c.getState().phase).toBe('active');
    expect(ofType(tab, 'extend')).toHaveLength(1);
  }
});

test('at expireAfter: the leader asks the server, which ends the session as expired; every tab ends with "expired" and leaves', async () => {
  const { server, tabs } = setup(3);
  await startAll(tabs);
  await advanceTo(EXPIRE * 1000 - 100);
  for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([]);
  await advanceTo(EXPIRE * 1000 + 100);
  // The deadline is the server's to record: a ping it answers `session_expired`, no logout.
  expect(server.logouts).toHaveLength(0);
  expect(server.ended).toBe('expired');
  expect(server.pings.at(-1)!.idleFor).toBeCloseTo(EXPIRE, 1);
  for (const tab of tabs) {
    expect(ofType(tab, 'expire')).toHaveLength(1);
    expect(ofType(tab, 'end')).toEqual([objectContaining({ reason: 'expired', t: anyNumber() })]);
    expect(ofType(tab, 'end')[0].t).toBeGreaterThanOrEqual(EXPIRE * 1000);
    expect(tab.navigations).toEqual(['/?reason=expired']);
    expect(tab.c.getState()).toMatchObject({ phase: 'ended', reason: 'expired', secondsLeft: 0 });
  }
});

test('failed pings never end the session and are retried with growing delays (never sooner than the ping interval)', async () => {
  const { server, tabs } = setup(1, { pingInterval: 0.5 });
  jest.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter
  await startAll(tabs);
  server.mode = 'fail';
  const from = server.pings.length;
  for (let elapsed = 0; elapsed < 25_000; elapsed += 500) {
    tabs[0].c.recordActivity(Date.now());
    await advance(500);
  }
  const times = server.pings.slice(from).map((p) => p.at);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  expect(gaps.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
  expect(tabs[0].c.getState().phase).toBe('active');
  expect(ofType(tabs[0], 'end')).toEqual([]);
  jest.spyOn(Math, 'random').mockRestore();
});

test('no server at the deadline: the tabs end (locked) without leaving; the server is asked again until it confirms', async () => {
  const { server, tabs } = setup(2);
  await startAll(tabs);
  server.mode = 'fail';
  await advanceTo(WARN * 1000 + 50);
  for (const tab of tabs) expect(ofType(tab, 'warn')).toHaveLength(1); // shown even without the server
  await advanceTo(EXPIRE * 1000 - 50);
  for (const tab of tabs) expect(tab.c.getState().phase).toBe('warning');
  await advanceTo(EXPIRE * 1000 + 50);
  for (const tab of tabs) {
    expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'expired' })]);
    expect(tab.navigations).toEqual([]);
  }
  await advance(20_000);
  for (const tab of tabs) expect(tab.navigations).toEqual([]);
  server.mode = 'ok';
  await advance(40_000);
  expect(server.ended).toBe('expired');
  for (const tab of tabs) expect(tab.navigations).toEqual(['/?reason=expired']);
});

test('a server that does not answer at the deadline: the end waits at most the ping timeout', async () => {
  const { server, tabs } = setup(1);
  await startAll(tabs);
  server.mode = 'hang';
  server.timeoutMs = 3000;
  await advanceTo(EXPIRE * 1000 + 100);
  expect(ofType(tabs[0], 'end')).toEqual([]);
  // Activity after the deadline does not count: the session stays ended.
  tabs[0].c.recordActivity(Date.now());
  await advanceTo(EXPIRE * 1000 + 3100);
  expect(ofType(tabs[0], 'end')).toEqual([expect.objectContaining({ reason: 'expired' })]);
});

test('a ping answered "revoked" ends every tab with reason "revoked"', async () => {
  const { server, tabs } = setup(2);
  await startAll(tabs);
  server.ended = 'revoked';
  tabs[1].c.recordActivity(Date.now());
  await advance(8000);
  for (const tab of tabs) {
    expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'revoked' })]);
    expect(tab.navigations).toEqual(['/?reason=revoked']);
  }
  expect(server.logouts).toEqual([]);
});

test('logout in a follower ends every tab with reason "logged-out"', async () => {
  const { server, tabs } = setup(3);
  await startAll(tabs);
  await tabs[1].c.logout();
  await advance(10);
  expect(server.logouts).toHaveLength(1);
  for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'logged-out' })]);
});

test('the leader goes away: another tab takes over and the countdown goes on from the shared state', async () => {
  const { server, tabs } = setup(3);
  await startAll(tabs);
  await advanceTo(10_000);
  tabs[2].c.recordActivity(Date.now());
  await advanceTo(20_000);
  const pings = server.pings.length;
  tabs[0].c.stop();
  await advance(10);
  const leaders = tabs.slice(1).filter((t) => t.c.getState().isLeader);
  expect(leaders).toHaveLength(1);
  expect(ofType(leaders[0], 'leader')).toEqual([expect.objectContaining({ isLeader: true })]);
  // The new leader hears the old one's last words first, then asks the server.
  expect(server.pings).toHaveLength(pings);
  await advance(ELECTED_SETTLE_MS);
  expect(server.pings).toHaveLength(pings + 1);
  await advanceTo(10_000 + EXPIRE * 1000 - 100);
  expect(ofType(tabs[1], 'end')).toEqual([]);
  await advanceTo(10_000 + EXPIRE * 1000 + 100);
  for (const tab of tabs.slice(1)) expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'expired' })]);
});

/** Tabs whose page's fetch answers `response()` (a controller wraps the page's fetch as it is when built). */
function tabsAnswering(n: number, response: () => Response): ReturnType<typeof setup> {
  const realFetch = globalThis.fetch;
  globalThis.fetch = jest.fn(async () => response()) as typeof fetch;
  try {
    return setup(n);
  } finally {
    globalThis.fetch = realFetch;
  }
}

const revokedBody = (headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: 'session_revoked' }), { status: 401, headers: { 'content-type': 'application/json', ...headers } });

test('the watched fetch: a 401 with the Session-Ended header ends every tab at once, without asking', async () => {
  const { server, tabs } = tabsAnswering(2, () => revokedBody({ 'Session-Ended': 'revoked' }));
  await startAll(tabs);
  const asked = server.pings.length;
  const res = await tabs[1].c.fetch('/api/orders');
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({ error: 'session_revoked' }); // the app still reads the body
  await advance(10);
  for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'revoked' })]);
  expect(server.pings).toHaveLength(asked);
});

test("the watched fetch: a 401 session_revoked body without the header (another API's error, relayed) ends nothing while the server says the session is live", async () => {
  const { server, tabs } = tabsAnswering(2, () => revokedBody());
  await startAll(tabs);
  const asked = server.pings.length;
  await tabs[1].c.fetch('/api/upstream');
  await advance(100);
  expect(server.pings).toHaveLength(asked + 1); // asked the server
  for (const tab of tabs) {
    expect(ofType(tab, 'end')).toEqual([]);
    expect(ofType(tab, 'locked')).toEqual([]);
    expect(tab.c.getState()).toMatchObject({ phase: 'active', locked: false });
  }
});

test('the watched fetch: a 401 body without the header ends every tab once the server confirms, with its reason', async () => {
  const { server, tabs } = tabsAnswering(2, () => revokedBody());
  await startAll(tabs);
  server.ended = 'expired';
  await tabs[1].c.fetch('/api/orders');
  await advance(100);
  for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'expired' })]);
});

test('a throwing event handler does not break the client', async () => {
  const { tabs } = setup(1);
  tabs[0].c.emitter.on('leader', () => {
    throw new Error('app bug');
  });
  tabs[0].c.start();
  await expect(advance(10)).rejects.toThrow('app bug'); // rethrown asynchronously, as an uncaught error
  await advance(10);
  expect(tabs[0].c.getState().isLeader).toBe(true);
});

test('on a page without a session (a login or public page) the first answer is "unauthenticated": the client stops quietly', async () => {
  const { server, tabs } = setup(2);
  server.ended = 'logged-out'; // the fake answers 401 unauthenticated
  await startAll(tabs);
  await advance(60_000);
  // Each tab asks once at most (the next one leads when the first stops), then all is quiet.
  expect(server.pings.length).toBeLessThanOrEqual(2);
  for (const tab of tabs) {
    expect(tab.c.getState().phase).toBe('ended');
    expect(tab.navigations).toEqual([]);
    expect(ofType(tab, 'end')).toEqual([]);
  }
  // Nothing is locked on such a page, and there is no session to sign in again to.
  expect(tabs[0].c.getState()).toMatchObject({ phase: 'ended', reason: 'logged-out', locked: false });
});

test('a live session that the server no longer knows ends every tab (it was live: not a login page)', async () => {
  const { server, tabs } = setup(2);
  await startAll(tabs);
  server.ended = 'logged-out';
  tabs[1].c.extend();
  await advance(100);
  for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'logged-out' })]);
});

test('revoked before this page was loaded: quiet (a page of a logged-out browser); revoked after: ended, sent to log in', async () => {
  const before = setup(1, { loginUrl: '/login' });
  Object.assign(before.server, { ended: 'revoked', endedAt: START - 60_000 });
  await startAll(before.tabs);
  await advance(100);
  expect(before.tabs[0].navigations).toEqual([]);
  expect(ofType(before.tabs[0], 'end')).toEqual([]);
  expect(before.tabs[0].c.getState().phase).toBe('ended');

  // The page was served while the session was alive; the first ping failed, then it was revoked.
  const after = setup(1, { loginUrl: '/login' });
  after.server.mode = 'fail';
  await startAll(after.tabs);
  await advance(5_000);
  Object.assign(after.server, { mode: 'ok', ended: 'revoked', endedAt: Date.now() });
  after.tabs[0].c.extend();
  await advance(100);
  expect(ofType(after.tabs[0], 'end')).toEqual([expect.objectContaining({ reason: 'revoked' })]);
  expect(after.tabs[0].navigations).toEqual(['/login?next=%2F&reason=revoked']);
});

test('headless: every tab hears at once that the server is unreachable, that the page locks at the deadline, and the end', async () => {
  const { server, tabs } = setup(2, { ui: false, lock: false });
  await startAll(tabs);
  server.mode = 'fail';
  await advanceTo(WARN * 1000 + 2000);
  for (const tab of tabs) {
    expect(ofType(tab, 'connection')).toEqual([objectContaining({ lost: true, since: anyNumber() })]);
    expect(tab.c.getState().connectionLost).toBe(true);
  }
  // No server to confirm at the deadline: the tabs lock and end on their own, and say so first.
  await advanceTo(EXPIRE * 1000 + 3000);
  for (const tab of tabs) {
    const locked = ofType(tab, 'locked');
    expect(locked.map((e) => e.reason)).toContain('expired');
    expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'expired' })]);
    // onEnd / the navigation wait for the server's confirmation.
    expect(tab.navigations).toEqual([]);
  }
  expect(ofType(tabs[0], 'locked')[0]).toMatchObject({ reason: null });
});

test('maxAge from the server: the warning cannot be extended, and "extend" does not push the end back', async () => {
  const { server, tabs } = setup(2);
  server.maxAgeEndsAt = START + 45_000;
  await startAll(tabs);
  // The absolute end comes before the idle one (60 s): that is the end the state counts down to.
  expect(tabs[1].c.getState()).toMatchObject({ maxAgeEndsAt: anyNumber(), canExtend: false, secondsLeft: 45 });
  await advanceTo(45_000 - (EXPIRE - WARN) * 1000 + 1500);
  for (const tab of tabs) expect(ofType(tab, 'warn')).toEqual([expect.objectContaining({ canExtend: false })]);
  tabs[1].c.extend();
  await advance(500);
  for (const tab of tabs) expect(tab.c.getState()).toMatchObject({ phase: 'warning', canExtend: false });
  await advanceTo(45_000 + 2000);
  for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'expired' })]);
});

test("a pingInterval longer than half of the server's warnAfter (milliseconds by mistake) is said once and cut to it", async () => {
  const error = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const { server, tabs } = setup(2, { pingInterval: 5000 });
    await startAll(tabs);
    const before = server.pings.length;
    for (let elapsed = 0; elapsed < 60_000; elapsed += 200) {
      tabs[1].c.recordActivity(Date.now());
      await advance(200);
    }
    // Every warnAfter / 2 = 15 s: 4 pings in 60 s (not one at every activity, nor none for 5000 s).
    expect(server.pings.length - before).toBeGreaterThanOrEqual(3);
    expect(server.pings.length - before).toBeLessThanOrEqual(5);
    // Once in each tab's console (the two tabs share one console here).
    expect(error).toHaveBeenCalledTimes(2);
    expect(String(error.mock.calls[0][0])).toMatch(
      /"pingInterval" \(5000\) is longer than half of the server's warnAfter \(30\): pinging every 15 s/,
    );
  } finally {
    error.mockRestore();
  }
});

test("the client's own warnAfter / expireAfter, unlike the server's, are said once (the user would lose work)", async () => {
  const error = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const { tabs } = setup(1, { warnAfter: 300, expireAfter: 600 });
    await startAll(tabs);
    await advance(30_000);
    tabs[0].c.recordActivity(Date.now());
    await advance(30_000);
    expect(error).toHaveBeenCalledTimes(1);
    expect(String(error.mock.calls[0][0])).toMatch(
      /warnAfter \/ expireAfter \(300 \/ 600\) differ from the server's \(30 \/ 60\).*the server ends the session before the page warns/,
    );
    error.mockClear();
    const same = setup(1, { warnAfter: WARN, expireAfter: EXPIRE });
    await startAll(same.tabs);
    await advance(30_000);
    expect(error).not.toHaveBeenCalled();
  } finally {
    error.mockRestore();
  }
});

test('a 404 on the ping (a typo in apiPrefix or prefix) is said once, naming apiPrefix; retries go on', async () => {
  const error = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    let pings = 0;
    const notThere = {
      ping: async () => (pings++, { kind: 'failed' as const, status: 404, error: 'HTTP 404' }),
      logout: async () => ({ kind: 'ok' as const }),
    };
    const { tabs } = setup(1, { transport: notThere, apiPrefix: '/sesion' });
    await startAll(tabs);
    await advance(90_000);
    expect(pings).toBeGreaterThan(1);
    expect(error).toHaveBeenCalledTimes(1);
    expect(String(error.mock.calls[0][0])).toMatch(/POST \/sesion\/ping answered 404.*apiPrefix/);
    expect(tabs[0].c.getState().connectionLost).toBe(true);
  } finally {
    error.mockRestore();
  }
});

describe('relogin in place', () => {
  /** Three tabs whose session was revoked: locked in place, waiting. */
  async function revokedInPlace() {
    const world = setup(3, { relogin: 'in-place' });
    await startAll(world.tabs);
    world.server.ended = 'revoked';
    world.tabs[1].c.recordActivity(Date.now());
    await advance(8000);
    return world;
  }
  const leaders = (tabs: TestTab[]) => tabs.filter((t) => t.c.getState().isLeader);

  test('the end locks every tab where it is: no navigation, no leader, no request while locked', async () => {
    const { server, tabs } = await revokedInPlace();
    for (const tab of tabs) {
      expect(ofType(tab, 'end')).toEqual([objectContaining({ reason: 'revoked' })]);
      expect(ofType(tab, 'locked')).toEqual([objectContaining({ reason: 'revoked' })]);
      expect(tab.c.getState()).toMatchObject({ phase: 'ended', locked: true, isLeader: false });
      expect(tab.navigations).toEqual([]);
    }
    const pings = server.pings.length;
    await advance(10 * 60_000);
    expect(server.pings).toHaveLength(pings);
    expect(server.logouts).toEqual([]);
  });

  test('the same user signs in in another tab: every locked tab unlocks at once, and one tab pings from then on', async () => {
    const { server, tabs, open } = await revokedInPlace();
    server.signIn();
    const signedInAt = Date.now() - START;
    const fresh = open();
    fresh.c.start();
    await advance(ELECTED_SETTLE_MS + 50);
    for (const tab of tabs) {
      expect(ofType(tab, 'unlocked')).toEqual([objectContaining({ t: anyNumber() })]);
      expect(ofType(tab, 'unlocked')[0].t - signedInAt).toBeLessThan(1000);
      expect(tab.c.getState()).toMatchObject({ phase: 'active', locked: false, reason: null });
      expect(tab.navigations).toEqual([]);
      expect(tab.reloads).toBe(0);
    }
    // The new session carries on: one leader, and the session ends no tab.
    const all = [...tabs, fresh];
    await advance(5000);
    expect(leaders(all)).toHaveLength(1);
    fresh.c.stop();
    await advance(ELECTED_SETTLE_MS + 50);
    expect(leaders(tabs)).toHaveLength(1);
    const pings = server.pings.length;
    tabs[2].c.recordActivity(Date.now());
    await advance(20_000);
    expect(server.pings.length - pings).toBeGreaterThan(0);
    for (const tab of tabs) expect(tab.c.getState().phase).toBe('active');
  });

  test('another user signs in: the locked tabs reload (still hidden), never unlock', async () => {
    const { server, tabs, open } = await revokedInPlace();
    server.signIn('u-bob');
    const fresh = open();
    fresh.c.start();
    await advance(ELECTED_SETTLE_MS + 50);
    for (const tab of tabs) {
      expect(tab.reloads).toBe(1);
      expect(ofType(tab, 'unlocked')).toEqual([]);
      expect(tab.c.getState().locked).toBe(true);
    }
    expect(fresh.c.getState()).toMatchObject({ phase: 'active', locked: false });
  });

  test("resume() after the app's own login: the tab asks the server, and every tab unlocks", async () => {
    const { server, tabs } = await revokedInPlace();
    tabs[0].c.resume(); // not signed in yet: still locked
    await advance(100);
    for (const tab of tabs) expect(tab.c.getState().locked).toBe(true);
    server.signIn();
    tabs[0].c.resume();
    await advance(100);
    for (const tab of tabs) {
      expect(ofType(tab, 'unlocked')).toHaveLength(1);
      expect(tab.c.getState().locked).toBe(false);
    }
    await advance(ELECTED_SETTLE_MS + 50);
    expect(leaders(tabs)).toHaveLength(1);
  });

  test('a logout still leaves, in place or not', async () => {
    const { server, tabs } = setup(2, { relogin: 'in-place' });
    await startAll(tabs);
    await tabs[0].c.logout();
    await advance(10);
    expect(server.logouts).toHaveLength(1);
    for (const tab of tabs) expect(tab.navigations).toEqual(['/?reason=logged-out']);
  });

  test("a live tab whose session became another user's (signed in elsewhere in this browser) reloads, hidden", async () => {
    const { server, tabs } = setup(2, { relogin: 'in-place' });
    await startAll(tabs);
    server.signIn('u-bob');
    tabs[1].c.recordActivity(Date.now());
    await advance(10_000);
    for (const tab of tabs) {
      expect(tab.reloads).toBe(1);
      expect(tab.c.getState().locked).toBe(true);
    }
  });

  test('the same user signing in again while the session lives: the tabs carry on with the new session, unseen', async () => {
    const { server, tabs } = setup(2, { relogin: 'in-place' });
    await startAll(tabs);
    server.signIn();
    tabs[1].c.recordActivity(Date.now());
    await advance(10_000);
    for (const tab of tabs) {
      expect(tab.reloads).toBe(0);
      expect(ofType(tab, 'locked')).toEqual([]);
      expect(tab.c.getState().phase).toBe('active');
    }
  });
});

test('on a page whose path starts with // the end URL (and a custom endUrl) gets a single-slash `next`', async () => {
  const page = {
    pathname: '//evil.example/x',
    search: '?a=1',
    href: 'https://app.example//evil.example/x?a=1',
    origin: 'https://app.example',
  };
  const had = Object.getOwnPropertyDescriptor(globalThis, 'location');
  Object.defineProperty(globalThis, 'location', { value: page, configurable: true });
  try {
    const nexts: string[] = [];
    const { server, tabs } = setup(2, { loginUrl: '/login' });
    const custom = setup(1, { endUrl: (reason, next) => (nexts.push(next), `/signin?${reason}`) });
    await startAll([...tabs, ...custom.tabs]);
    server.ended = 'revoked';
    custom.server.ended = 'revoked';
    for (const tab of [...tabs, ...custom.tabs]) tab.c.extend();
    await advance(1000);
    expect(tabs[0].navigations).toEqual(['/login?next=%2Fevil.example%2Fx%3Fa%3D1&reason=revoked']);
    expect(nexts).toEqual(['/evil.example/x?a=1']);
  } finally {
    if (had) Object.defineProperty(globalThis, 'location', had);
    else delete (globalThis as { location?: unknown }).location;
  }
});

/** Runs `body` with the page at `path` (the client reads `location`). */
async function onPage(path: string, body: () => Promise<void>): Promise<void> {
  const url = new URL(path, 'https://app.example');
  const page = { pathname: url.pathname, search: url.search, href: url.href, origin: url.origin };
  const had = Object.getOwnPropertyDescriptor(globalThis, 'location');
  Object.defineProperty(globalThis, 'location', { value: page, configurable: true });
  try {
    await body();
  } finally {
    if (had) Object.defineProperty(globalThis, 'location', had);
    else delete (globalThis as { location?: unknown }).location;
  }
}

test('on the login page (loginPage) of a live session the client stays out of the tabs and quiet: no ping, no warning, no lock at expiry', async () => {
  const { server, tabs, open } = setup(1, { loginUrl: '/login' });
  await startAll(tabs);
  let login!: TestTab;
  await onPage('/login?next=%2Forders', async () => {
    login = open({ loginPage: true });
    login.c.start();
  });
  const pings = server.pings.length;
  await advance(ELECTED_SETTLE_MS + 100);
  expect(server.pings).toHaveLength(pings);
  expect(login.c.getState()).toMatchObject({ phase: 'ended', locked: false, isLeader: false });
  // The session idles out: the app's tab warns and ends; the login page shows nothing, says nothing.
  await advanceTo((EXPIRE + 5) * 1000);
  expect(ofType(tabs[0], 'warn')).toHaveLength(1);
  expect(ofType(tabs[0], 'end')).toEqual([expect.objectContaining({ reason: 'expired' })]);
  expect(login.events).toEqual([]);
  expect(login.navigations).toEqual([]);
  expect(login.c.getState()).toMatchObject({ phase: 'ended', locked: false });
});

test('on the login page the others lead and ping as before (it is not in the election)', async () => {
  const { server, open } = setup(0, { loginUrl: '/login' });
  let login!: TestTab;
  await onPage('/login', async () => {
    login = open({ loginPage: true });
    login.c.start();
  });
  const app = open();
  app.c.start();
  await advance(ELECTED_SETTLE_MS + 100);
  expect(app.c.getState().isLeader).toBe(true);
  expect(server.pings).toHaveLength(1);
  expect(login.events).toEqual([]);
});

test.each([
  ['the default', {}],
  ['given', { loginUrl: '/' }],
])(
  "on loginUrl (%s) without loginPage, a tab is an ordinary one: a single-page app's login form and pages share it",
  async (_name, options) => {
    const { server, open } = setup(0, options);
    let home!: TestTab;
    await onPage('/', async () => {
      home = open();
      home.c.start();
    });
    await advance(ELECTED_SETTLE_MS + 100);
    expect(home.c.getState()).toMatchObject({ phase: 'active', isLeader: true });
    expect(server.pings).toHaveLength(1);
  },
);

describe('the push stream', () => {
  /** The streams opened, as EventSource objects a test can make the server speak through. */
  const streams: Array<{ url: string; closed: boolean; fire(type: string, data?: string): void; refuse(): void }> = [];
  beforeEach(() => {
    streams.length = 0;
    eventSource = class {
      readonly CLOSED = 2;
      readyState = 0;
      private readonly listeners: Record<string, Array<(event: { data?: string }) => void>> = {};
      constructor(url: string) {
        const isClosed = () => this.readyState === 2;
        streams.push({
          url,
          get closed() {
            return isClosed();
          },
          fire: (type, data) => (this.listeners[type] ?? []).forEach((listener) => listener({ data })),
          // The answer of a proxy that blocks the route (a 403): the browser gives up on it.
          refuse: () => {
            this.readyState = 2;
            (this.listeners.error ?? []).forEach((listener) => listener({}));
          },
        });
      }
      addEventListener(type: string, listener: (event: { data?: string }) => void) {
        (this.listeners[type] ??= []).push(listener);
      }
      close() {
        this.readyState = 2;
      }
    } as unknown as typeof EventSource;
  });
  afterEach(() => (eventSource = undefined));

  test("only the leader holds one; its 'ended' makes it ask the server at once, and every tab ends with the server's reason", async () => {
    const { server, tabs } = setup(3);
    await startAll(tabs);
    expect(streams.map((s) => [s.url, s.closed])).toEqual([['/session/events', false]]);
    const pings = server.pings.length;
    server.ended = 'revoked';
    streams[0].fire('ended', '{"reason":"revoked","by":"admin"}');
    await advance(50);
    expect(server.pings.length).toBe(pings + 1);
    for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([expect.objectContaining({ reason: 'revoked' })]);
    expect(streams[0].closed).toBe(true);
  });

  test('a stream a proxy refuses: said once, the server asked once, then as without a stream — no retry storm', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    /** Pings in 5 minutes of a user pressing "Stay signed in" now and then, the streams refused or not. */
    const pingsIn5Minutes = async (refused: boolean) => {
      streams.length = 0;
      const { server, tabs } = setup(2);
      await startAll(tabs);
      const before = server.pings.length;
      for (let t = 0; t < 300; t++) {
        if (refused) for (const stream of streams) if (!stream.closed) stream.refuse();
        if (t % 40 === 39) tabs[0].c.extend();
        await advance(1000);
      }
      for (const tab of tabs) expect(tab.c.getState().phase).toBe('active');
      for (const tab of tabs) tab.c.stop();
      return { pings: server.pings.length - before, streams: streams.length };
    };
    try {
      const held = await pingsIn5Minutes(false);
      const refused = await pingsIn5Minutes(true);
      // Refused streams: at first, then after 30 s, 60 s, 120 s… (backoff); one more ping, asking.
      expect(refused.streams).toBeLessThanOrEqual(5);
      expect(refused.pings).toBeLessThanOrEqual(held.pings + 1);
      expect(errors.mock.calls.filter(([m]) => String(m).includes('push stream'))).toHaveLength(1);
    } finally {
      errors.mockRestore();
    }
  });

  test('a stream reconnected while the connection is lost (a restarted server): the server is asked at once, not at the end of the backoff', async () => {
    const { server, tabs } = setup(2);
    jest.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter
    try {
      await startAll(tabs);
      server.mode = 'fail';
      // Unreachable (said once the warning is due, as in the headless test above).
      await advanceTo(WARN * 1000 + 2000);
      for (const tab of tabs) expect(tab.c.getState().connectionLost).toBe(true);
      server.mode = 'ok';
      const before = server.pings.length;
      const open = streams.filter((s) => !s.closed);
      expect(open).toHaveLength(1);
      open[0].fire('open', '{"session":"s"}');
      await advance(100);
      expect(server.pings.length).toBe(before + 1);
      for (const tab of tabs) expect(tab.c.getState().connectionLost).toBe(false);
      // Open while connected (the first open, a reconnect without an outage): nothing to ask.
      open[0].fire('open', '{"session":"s"}');
      await advance(100);
      expect(server.pings.length).toBe(before + 1);
    } finally {
      jest.spyOn(Math, 'random').mockRestore();
    }
  });

  test("an 'ended' the server does not confirm (a new sign-in replaced the session) ends nothing; the stream is opened again", async () => {
    const { server, tabs } = setup(2);
    await startAll(tabs);
    streams[0].fire('ended', '{"reason":"logged-out"}');
    await advance(50);
    for (const tab of tabs) expect(ofType(tab, 'end')).toEqual([]);
    expect(server.pings.length).toBeGreaterThan(0);
    expect(streams.map((s) => s.closed)).toEqual([true, false]);
  });
});
