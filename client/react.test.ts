/**
 * @jest-environment jsdom
 *
 * The React bindings on fake time: useSessionWatch() follows the client through warning,
 * countdown, extend, expiry and logout; the provider starts and stops the client it owns (also
 * under StrictMode's double effects) and never stops one it was given.
 */
import { act, createElement, StrictMode, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { createController } from './controller';
import { ELECTED_SETTLE_MS } from './machine';
import { createFakeTransport, type FakeTransport } from '../test/support/fake-transport';
import { clientOf, type SessionWatchClient } from './client';
import { createMemoryHub } from '../test/support/memory-tabs';
import { resolveClientOptions } from './options';
import { withDefaults, type SessionWatchClientOptions } from './with-defaults';
import { SessionWatchProvider, useSessionWatch, type SessionWatchProviderProps, type UseSessionWatchResult } from './react';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const START = Date.UTC(2030, 0, 1, 12);

/** A client like createSessionWatchClient()'s, on in-memory tabs and a fake server. */
function setup(options: SessionWatchClientOptions = {}) {
  const server: FakeTransport = createFakeTransport({ warnAfter: 30, expireAfter: 60 });
  const navigations: string[] = [];
  const hub = createMemoryHub();
  const c = createController(resolveClientOptions(withDefaults({ transport: server, ui: false, ...options })), {
    window,
    tabs: () => hub.connect(),
    navigate: (url) => navigations.push(url),
  });
  const sw = clientOf(c);
  return { server, sw, navigations };
}

let container: HTMLDivElement;
let root: Root;
let renders: UseSessionWatchResult[];

/** A component that renders the hook's result and records every render. */
function Probe({ client }: { client?: SessionWatchClient }) {
  const result = client ? useSessionWatch(client) : useSessionWatch();
  renders.push(result);
  return createElement('p', { id: 'probe' }, `${result.phase} ${result.secondsLeft} ${result.reason ?? '-'}`);
}

const last = () => renders[renders.length - 1];
/** The view fields of a result (reading `secondsLeft` too). */
const viewOf = ({ phase, idle, warning, secondsLeft, ended, reason, isLeader, canExtend, connectionLost }: UseSessionWatchResult) => ({
  phase,
  idle,
  warning,
  secondsLeft,
  ended,
  reason,
  isLeader,
  canExtend,
  connectionLost,
});
/** What the hook must show for the client's state now. */
function expected(sw: SessionWatchClient) {
  const { phase, secondsLeft, reason, isLeader, canExtend, connectionLost } = sw.getState();
  return {
    phase,
    secondsLeft,
    reason,
    isLeader,
    canExtend,
    connectionLost,
    idle: phase === 'warning' || (phase === 'ended' && reason === 'expired'),
    warning: phase === 'warning',
    ended: phase === 'ended',
  };
}
const text = () => container.querySelector('#probe')?.textContent;
const render = (node: ReactNode) =>
  act(async () => {
    root.render(node);
  });
const advance = (ms: number) => act(() => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => {
  jest.useFakeTimers({ now: START });
  renders = [];
  container = document.createElement('div');
  document.body.replaceChildren(container);
  root = createRoot(container);
});
afterEach(async () => {
  await act(async () => {
    root.unmount();
  });
  jest.useRealTimers();
});

test('useSessionWatch(sw): idle → warning with a countdown → extend → expiry with its reason', async () => {
  const { sw, server, navigations } = setup();
  await render(createElement(Probe, { client: sw }));
  expect(last()).toMatchObject({ phase: 'active', warning: false, idle: false, ended: false, reason: null, client: sw });
  await act(async () => {
    sw.start();
  });
  await advance(10);
  expect(last().isLeader).toBe(true);

  await advance(31_000); // 31 s idle
  expect(last()).toMatchObject({ phase: 'warning', warning: true, idle: true, ended: false });
  const left = last().secondsLeft;
  expect(left).toBeGreaterThan(25);
  expect(left).toBeLessThanOrEqual(30);
  await advance(1_000);
  expect(last().secondsLeft).toBe(left - 1);
  expect(text()).toBe(`warning ${left - 1} -`);

  const pings = server.pings.length;
  await act(async () => {
    last().extend();
  });
  expect(last()).toMatchObject({ phase: 'active', warning: false, idle: false });
  expect(server.pings.length).toBe(pings + 1);

  await advance(61_000);
  expect(last()).toMatchObject({ phase: 'ended', ended: true, idle: true, reason: 'expired', secondsLeft: 0, warning: false });
  expect(text()).toBe('ended 0 expired');
  expect(navigations).toEqual([expect.stringContaining('reason=expired')]);
});

test("every field is the client's state at every moment: server settings, activity, countdown, outage, absolute end, extend, end", async () => {
  const { sw, server } = setup({ activityInterval: 1 });
  await render(createElement(Probe, { client: sw }));
  await act(async () => {
    sw.start();
  });
  // Steps that never line up with whole seconds: the rendered countdown must still be exact.
  const check = async (ms: number, step = 137) => {
    for (let t = 0; t < ms; t += step) {
      await advance(step);
      expect(viewOf(last())).toEqual(expected(sw));
      expect(text()).toBe(`${expected(sw).phase} ${expected(sw).secondsLeft} ${expected(sw).reason ?? '-'}`);
    }
  };
  // What a ping answer brings without an event (the server's settings, its absolute end) shows
  // at the next second's boundary: let it, then every step must match.
  await advance(1_000);
  await check(2_000);
  // The first ping answer brought the server's settings (60 s), not the client's default (1800 s).
  expect(last().secondsLeft).toBeLessThanOrEqual(60);
  expect(last().secondsLeft).toBeGreaterThan(55);
  await check(10_000);
  const before = last().secondsLeft;
  await act(async () => {
    window.dispatchEvent(new Event('keydown'));
  });
  await check(1_000);
  expect(last().secondsLeft).toBeGreaterThan(before); // activity pushed the end back

  server.mode = 'fail';
  await act(async () => {
    sw.extend(); // a ping now, which fails
  });
  await check(3_000);
  expect(last().connectionLost).toBe(true);
  server.mode = 'ok';
  await act(async () => {
    sw.extend();
  });
  await check(1_000);
  expect(last().connectionLost).toBe(false);

  // The absolute end comes before the idle end: it cannot be extended.
  server.maxAgeEndsAt = Date.now() + 20_000;
  await act(async () => {
    sw.extend();
  });
  await advance(1_000);
  await check(2_000);
  expect(last()).toMatchObject({ canExtend: false });
  expect(last().secondsLeft).toBeLessThanOrEqual(20);
  await check(20_000, 251); // warning, countdown, end
  expect(last()).toMatchObject({ phase: 'ended', ended: true, reason: 'expired', secondsLeft: 0 });
});

test("re-login in place: locked after the end, relogin() opens the sign-in window, resume() after the app's own login unlocks", async () => {
  const { sw, server, navigations } = setup({ relogin: 'in-place' });
  await render(createElement(Probe, { client: sw }));
  await act(async () => {
    sw.start();
  });
  await advance(ELECTED_SETTLE_MS + 10);
  server.ended = 'revoked';
  await act(async () => {
    last().extend();
  });
  await advance(10);
  expect(last()).toMatchObject({ phase: 'ended', ended: true, locked: true, reason: 'revoked' });
  const open = jest.spyOn(window, 'open').mockReturnValue(null);
  last().relogin();
  expect(open).toHaveBeenCalledWith('/?reason=revoked', 'sessionwatch-relogin', expect.stringContaining('popup'));
  open.mockRestore();
  server.signIn();
  await act(async () => {
    last().resume();
  });
  await advance(10);
  expect(last()).toMatchObject({ phase: 'active', ended: false, locked: false, reason: null });
  expect(navigations).toEqual([]);
});

test('the countdown re-renders only the components that read secondsLeft', async () => {
  const { sw } = setup();
  const calm: UseSessionWatchResult[] = [];
  function Calm() {
    const { warning, phase } = useSessionWatch(sw);
    calm.push(useSessionWatch(sw));
    return createElement('span', null, `${phase} ${warning}`);
  }
  await render(createElement('div', null, createElement(Calm), createElement(Probe, { client: sw })));
  await act(async () => {
    sw.start();
  });
  await advance(2_000);
  const [calmBefore, probeBefore] = [calm.length, renders.length];
  await advance(20_000);
  expect(calm.length).toBe(calmBefore); // no render a second while active
  expect(renders.length).toBeGreaterThanOrEqual(probeBefore + 19); // the countdown's reader follows it
  // Read later (in a handler, say), secondsLeft is still the client's current value.
  expect(calm[calm.length - 1].secondsLeft).toBe(sw.getState().secondsLeft);
  await advance(10_000); // the warning re-renders both
  expect(calm[calm.length - 1].phase).toBe('warning');
  await act(async () => {
    sw.stop();
  });
});

test('inside a provider given a client: useSessionWatch() without arguments; logout ends the session', async () => {
  const { sw, server } = setup();
  const onEnd = jest.fn();
  const ended = setup({ onEnd });
  await render(createElement(SessionWatchProvider, { client: ended.sw }, createElement(Probe)));
  await advance(10);
  expect(ended.sw.getState().isLeader).toBe(true); // the provider started it
  expect(last().client).toBe(ended.sw);
  await act(() => last().logout());
  await advance(10);
  expect(last()).toMatchObject({ phase: 'ended', ended: true, reason: 'logged-out', idle: false });
  expect(ended.server.logouts).toHaveLength(1);
  expect(onEnd).toHaveBeenCalledWith('logged-out');
  expect(server.logouts).toHaveLength(0);

  // A client passed in is not stopped when the provider goes away.
  await act(async () => {
    sw.start();
  });
  await render(createElement(SessionWatchProvider, { client: sw }, createElement(Probe)));
  await advance(10);
  await render(createElement('div'));
  await advance(10);
  expect(sw.getState().isLeader).toBe(true);
  await act(async () => {
    sw.stop();
  });
});

test('several components share one subscription and re-render together', async () => {
  const { sw } = setup();
  const subscriptions: string[] = [];
  const on = sw.on.bind(sw);
  sw.on = (event, handler) => (subscriptions.push(event), on(event, handler));
  await act(async () => {
    sw.start();
  });
  const two = createElement('div', null, createElement(Probe, { client: sw }), createElement(Probe, { client: sw }));
  await render(two);
  await advance(31_000);
  const [a, b] = renders.slice(-2);
  expect(a.phase).toBe('warning');
  const view = ({ phase, secondsLeft, warning, idle, ended, reason }: UseSessionWatchResult) => ({
    phase,
    secondsLeft,
    warning,
    idle,
    ended,
    reason,
  });
  expect(view(b)).toEqual(view(a));
  expect(subscriptions.filter((event) => event === 'warn')).toHaveLength(1);
  await act(async () => {
    sw.stop();
  });
});

test('the provider owns the client it creates: started on mount, stopped on unmount, StrictMode included', async () => {
  const server = createFakeTransport({ warnAfter: 30, expireAfter: 60 });
  const options: SessionWatchClientOptions = { transport: server, ui: false, channelName: `react-test-${Math.random()}` };
  await render(createElement(StrictMode, null, createElement(SessionWatchProvider, { options }, createElement(Probe))));
  const client = last().client!;
  expect(client).not.toBeNull();
  // broadcast-channel elects this only tab after its response time.
  for (let i = 0; i < 50 && !client.getState().isLeader; i += 1) await advance(100);
  expect(client.getState().isLeader).toBe(true);
  await advance(1_000);
  expect(server.pings.length).toBeGreaterThan(0);
  await render(createElement('div'));
  expect(client.getState().isLeader).toBe(false); // stopped
  const pings = server.pings.length;
  await advance(60_000);
  expect(server.pings.length).toBe(pings);
});

test('without a provider or a client, the hook says what is missing', async () => {
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  function Bare() {
    useSessionWatch();
    return null;
  }
  await expect(async () => render(createElement(Bare))).rejects.toThrow(/needs a <SessionWatchProvider> above it, or a client/);
  errors.mockRestore();
});

test('the provider takes options or a client, never both: a type error, and at run time an error saying why', async () => {
  const { sw } = setup();
  // @ts-expect-error options or a client, not both
  const both: SessionWatchProviderProps = { client: sw, options: { ui: false } };
  // @ts-expect-error the same in createElement (and JSX)
  const element = createElement(SessionWatchProvider, { client: sw, options: { ui: false } }, createElement(Probe));
  // Either one alone (or a client that may be undefined, as before) is fine.
  const maybe = sw as SessionWatchClient | undefined;
  const props: SessionWatchProviderProps[] = [{ client: sw }, { options: { ui: false } }, { client: maybe }, {}];
  expect(props).toHaveLength(4);

  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const message =
    'sessionwatch: <SessionWatchProvider> takes options (it creates the client) or a client (you created it), not both: ' +
    'give the options to the createSessionWatchClient(options) that created the client';
  await expect(async () => render(createElement(SessionWatchProvider, both, createElement(Probe)))).rejects.toThrow(new TypeError(message));
  await expect(async () => render(element)).rejects.toThrow(message);
  errors.mockRestore();
  expect(sw.getState().isLeader).toBe(false); // nothing started
});
