/**
 * @jest-environment jsdom
 *
 * Which tabs a browser gets: the native ones where BroadcastChannel and Web Locks exist (the
 * broadcast-channel library is then never loaded), the library otherwise, loaded on demand. Both
 * speak the library's wire format, so a tab on one hears a tab on the other. Node's own
 * BroadcastChannel stands in for the browser's (jsdom has none).
 */
import { BroadcastChannel as NodeBroadcastChannel } from 'node:worker_threads';
import type { TabMessage, Tabs } from './tabs';

const hello = (at: number): TabMessage => ({ type: 'hello', at });
/** Grants every lock at once: enough for tabs that never compete. */
const grantingLocks = { request: (_name: string, _options: unknown, callback: () => unknown) => Promise.resolve(callback()) };

let opened: Tabs[] = [];
let libraryLoads = 0;

/** The module under test, fresh, with the library module's loads counted. */
function load(): typeof import('./connect-tabs') {
  jest.resetModules();
  jest.doMock('./library-tabs', () => {
    libraryLoads += 1;
    return jest.requireActual<typeof import('./library-tabs')>('./library-tabs');
  });
  return jest.requireActual('./connect-tabs');
}

function setGlobals({ channel, locks }: { channel: boolean; locks: boolean }): void {
  Object.assign(globalThis, { BroadcastChannel: channel ? NodeBroadcastChannel : undefined });
  Object.defineProperty(navigator, 'locks', { value: locks ? grantingLocks : undefined, configurable: true });
}

/** Opens tabs on `name` and collects what each hears. */
function open(connect: () => Tabs): { tabs: Tabs; heard: TabMessage[] } {
  const tabs = connect();
  opened.push(tabs);
  const heard: TabMessage[] = [];
  tabs.subscribe((message) => heard.push(message));
  return { tabs, heard };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
};

beforeEach(() => {
  libraryLoads = 0;
});
afterEach(async () => {
  await Promise.all(opened.map((tabs) => tabs.close()));
  opened = [];
  jest.dontMock('./library-tabs');
});

test('with BroadcastChannel and Web Locks: the native tabs talk, and the library is never loaded', async () => {
  setGlobals({ channel: true, locks: true });
  const { connectTabs } = load();
  const name = `native-${Math.random()}`;
  const a = open(() => connectTabs(name, { responseTime: 100, fallbackInterval: 500 }));
  const b = open(() => connectTabs(name, { responseTime: 100, fallbackInterval: 500 }));
  await a.tabs.post(hello(1));
  await until(() => b.heard.length === 1);
  expect(b.heard).toEqual([hello(1)]);
  expect(a.heard).toEqual([]);
  expect(libraryLoads).toBe(0);
});

test('without Web Locks: the library is loaded on demand, calls made meanwhile wait in order, and it elects a leader', async () => {
  setGlobals({ channel: true, locks: false });
  const { connectTabs } = load();
  const name = `library-${Math.random()}`;
  const tuning = { responseTime: 20, fallbackInterval: 50 };
  const b = open(() => connectTabs(name, tuning));
  await b.tabs.post(hello(0)); // resolved once b's library is loaded and listening
  const a = open(() => connectTabs(name, tuning));
  let leaders = 0;
  a.tabs.elect(
    () => (leaders += 1),
    () => undefined,
  );
  // Asked before a's library is loaded: done once it is, in order.
  const posts = [a.tabs.post(hello(1)), a.tabs.post(hello(2))];
  expect(b.heard).toEqual([]);
  await Promise.all(posts);
  await until(() => b.heard.length === 2);
  expect(b.heard).toEqual([hello(1), hello(2)]);
  expect(libraryLoads).toBe(1);
  await until(() => leaders === 1);
});

test('a native tab and a library tab hear each other (the library’s wire format, e.g. a tab from before a deploy)', async () => {
  setGlobals({ channel: true, locks: true });
  const { createNativeTabs } = jest.requireActual<typeof import('./native-tabs')>('./native-tabs');
  const { createLibraryTabs } = jest.requireActual<typeof import('./library-tabs')>('./library-tabs');
  const { openEnvelope } = jest.requireActual<typeof import('./tabs')>('./tabs');
  const { webLockElection } = jest.requireActual<typeof import('./web-lock-election')>('./web-lock-election');
  const name = `mixed-${Math.random()}`;
  const native = open(() => createNativeTabs(name, grantingLocks as unknown as LockManager));
  const library = open(() => createLibraryTabs(name, { responseTime: 100, fallbackInterval: 500 }, { openEnvelope, webLockElection }));
  await native.tabs.post(hello(1));
  await until(() => library.heard.length === 1);
  await library.tabs.post(hello(2));
  await until(() => native.heard.length === 1);
  expect(library.heard).toEqual([hello(1)]);
  expect(native.heard).toEqual([hello(2)]);
});

test('anything else on the channel is ignored', async () => {
  setGlobals({ channel: true, locks: true });
  const { connectTabs } = load();
  const name = `noise-${Math.random()}`;
  const tab = open(() => connectTabs(name, { responseTime: 100, fallbackInterval: 500 }));
  const other = new NodeBroadcastChannel(name);
  for (const data of [
    null,
    'hello',
    { type: 'message', data: hello(1) },
    { type: 'message', data: { sessionwatch: 1, message: { type: 'x' } } },
  ]) {
    other.postMessage(data);
  }
  other.postMessage({ type: 'message', data: { sessionwatch: 1, message: hello(3) } });
  await until(() => tab.heard.length === 1);
  expect(tab.heard).toEqual([hello(3)]);
  other.close();
});

test('tabs that cannot load are a tab alone: it leads, and posting goes nowhere', async () => {
  const { deferredTabs } = jest.requireActual<typeof import('./connect-tabs')>('./connect-tabs');
  const tabs = deferredTabs(Promise.reject(new Error('chunk failed to load')));
  opened.push(tabs);
  let led = false;
  tabs.elect(
    () => (led = true),
    () => undefined,
  );
  await expect(tabs.post(hello(1))).resolves.toBeUndefined();
  await until(() => led);
});
