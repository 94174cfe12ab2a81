/**
 * @jest-environment jsdom
 *
 * The headless React entry (`sessionwatch/react/core`): its provider takes a client only (never
 * options: a type error and a clear runtime error), starts it and never stops it; its hook is
 * `sessionwatch/react`'s, so either entry's hook works under either entry's provider.
 */
import { act, createElement, StrictMode, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { createFakeTransport } from '../test/support/fake-transport';
import { createMemoryHub } from '../test/support/memory-tabs';
import { clientOf } from './client';
import { createController } from './controller';
import { resolveClientOptions, type SessionWatchCoreOptions } from './options';
import { SessionWatchProvider as FullProvider, useSessionWatch as useFull } from './react';
import { SessionWatchProvider, useSessionWatch, type SessionWatchProviderProps, type UseSessionWatchResult } from './react-core';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

/** A headless client, as `sessionwatch/client/core` creates it, on in-memory tabs and a fake server. */
function headless(options: SessionWatchCoreOptions = {}) {
  const server = createFakeTransport({ warnAfter: 30, expireAfter: 60 });
  const hub = createMemoryHub();
  const sw = clientOf(createController(resolveClientOptions({ transport: server, ...options }), { window, tabs: () => hub.connect() }));
  return { sw, server };
}

let container: HTMLDivElement;
let root: Root;
let renders: UseSessionWatchResult[];

function Probe({ use = useSessionWatch }: { use?: () => UseSessionWatchResult }) {
  const result = use();
  renders.push(result);
  return createElement('p', { id: 'probe' }, `${result.phase} ${result.warning}`);
}
const last = () => renders[renders.length - 1];
const render = (node: ReactNode) =>
  act(async () => {
    root.render(node);
  });
const advance = (ms: number) => act(() => jest.advanceTimersByTimeAsync(ms));

/** Renders `node`, expecting the render to throw; returns the error's message. */
async function renderError(node: ReactNode): Promise<string> {
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await render(node);
  } catch (err) {
    return (err as Error).message;
  } finally {
    errors.mockRestore();
  }
  throw new Error('the render did not throw');
}

beforeEach(() => {
  jest.useFakeTimers({ now: Date.UTC(2030, 0, 1, 12) });
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

test('the provider starts the client it is given (StrictMode included), the hook follows it, and unmounting never stops it', async () => {
  const { sw, server } = headless();
  await render(createElement(StrictMode, null, createElement(SessionWatchProvider, { client: sw }, createElement(Probe))));
  await advance(10);
  expect(sw.getState().isLeader).toBe(true);
  expect(last().client).toBe(sw);
  await advance(31_000);
  expect(last()).toMatchObject({ phase: 'warning', warning: true });
  await act(async () => {
    last().extend();
  });
  expect(last()).toMatchObject({ phase: 'active', warning: false });
  expect(server.pings.length).toBeGreaterThan(0);

  await render(createElement('div'));
  await advance(10);
  expect(sw.getState().isLeader).toBe(true); // still running: the app owns it
  await act(async () => {
    sw.stop();
  });
});

test("one hook, one context: sessionwatch/react's hook works under this provider, and this hook under sessionwatch/react's", async () => {
  const { sw } = headless();
  await render(createElement(SessionWatchProvider, { client: sw }, createElement(Probe, { use: useFull })));
  expect(last().client).toBe(sw);
  expect(useFull).toBe(useSessionWatch);
  const other = headless().sw;
  await render(createElement(FullProvider, { client: other }, createElement(Probe)));
  expect(last().client).toBe(other);
  await act(async () => {
    sw.stop();
    other.stop();
  });
});

test('client={null} (no client yet, e.g. server rendering): the initial state, nothing runs', async () => {
  await render(createElement(SessionWatchProvider, { client: null }, createElement(Probe)));
  expect(last()).toMatchObject({ phase: 'active', warning: false, ended: false, client: null });
});

test('options are refused: a type error, and at run time an error saying what to do', async () => {
  // @ts-expect-error the headless provider takes a client, never options
  const withOptions: SessionWatchProviderProps = { client: null, options: { ui: false } };
  expect(await renderError(createElement(SessionWatchProvider, withOptions))).toBe(
    'sessionwatch: the <SessionWatchProvider> of sessionwatch/react/core takes a client, not options: ' +
      'create it with createSessionWatchClient(options) from sessionwatch/client/core and pass it as client={sw} ' +
      '(or use sessionwatch/react, whose provider creates the full client from options)',
  );
  // @ts-expect-error a client is required
  const without: SessionWatchProviderProps = {};
  expect(await renderError(createElement(SessionWatchProvider, without))).toMatch(
    /^sessionwatch: the <SessionWatchProvider> of sessionwatch\/react\/core needs a client: client=\{createSessionWatchClient\(…\)\}/,
  );
});
