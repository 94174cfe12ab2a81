/**
 * @jest-environment jsdom
 *
 * One tab with its page: activity from DOM events, the default dialog and lock screen, drafts, the
 * wall-clock re-check on wake-up, and fetch watching.
 */
import { createController } from './controller';
import { createFakeTransport } from '../test/support/fake-transport';
import { createMemoryHub } from '../test/support/memory-tabs';
import { resolveClientOptions } from './options';
import { withDefaults, type SessionWatchClientOptions } from './with-defaults';
import { SYNC_MS } from './machine';
import { LOCKED_CLASS } from './ui/lock';

const START = Date.UTC(2030, 0, 1, 12);

function setup(options: SessionWatchClientOptions = {}) {
  const server = createFakeTransport({ warnAfter: 30, expireAfter: 60 });
  const navigations: string[] = [];
  const hub = createMemoryHub();
  // Leaving at the end (drafts are what carries the work over); in place has tests of its own.
  const c = createController(resolveClientOptions(withDefaults({ transport: server, relogin: 'navigate', ...options })), {
    window,
    tabs: () => hub.connect(),
    navigate: (u) => navigations.push(u),
  });
  return { server, c, navigations };
}

const advance = (ms: number) => jest.advanceTimersByTimeAsync(ms);
const locked = () => document.documentElement.classList.contains(LOCKED_CLASS);
const dialogShown = () => !!document.querySelector('.sessionwatch-warning:not([hidden])');

beforeEach(() => {
  jest.useFakeTimers({ now: START });
  document.body.innerHTML = '<main><form><input id="title" name="title"></form></main>';
  document.documentElement.className = '';
  sessionStorage.clear();
});
afterEach(() => jest.useRealTimers());

test('DOM activity keeps the session going; idle, the dialog shows; Escape extends and pings', async () => {
  const { c, server } = setup();
  c.start();
  await advance(20_000);
  document.body.dispatchEvent(new MouseEvent('mousemove', { bubbles: true }));
  await advance(29_000); // 49 s: 29 s idle
  expect(dialogShown()).toBe(false);
  await advance(2_000); // 51 s: 31 s idle
  expect(dialogShown()).toBe(true);
  expect(c.getState().phase).toBe('warning');
  // Moving over the dialog is not activity; Escape in it is "stay".
  document.querySelector('.sessionwatch-backdrop')!.dispatchEvent(new MouseEvent('mousemove', { bubbles: true }));
  await advance(600);
  expect(c.getState().phase).toBe('warning');
  const pings = server.pings.length;
  document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
  await advance(10);
  expect(dialogShown()).toBe(false);
  expect(c.getState().phase).toBe('active');
  expect(server.pings).toHaveLength(pings + 1);
  c.stop();
});

test('a tab waking up past the deadline hears the other tabs first, then locks and asks the server', async () => {
  const { c, server } = setup();
  c.start();
  await advance(10);
  jest.setSystemTime(START + 3600_000); // an hour of sleep: no timer ran
  window.dispatchEvent(new Event('focus'));
  // Other tabs may have kept the session alive meanwhile: no lock flash before they could answer.
  expect(locked()).toBe(false);
  await advance(SYNC_MS);
  expect(locked()).toBe(true);
  expect((document.querySelector('main') as HTMLElement).inert).toBe(true);
  await advance(100);
  expect(server.ended).toBe('expired');
  expect(c.getState()).toMatchObject({ phase: 'ended', reason: 'expired' });
});

test('at the end the form is saved as a draft, the page is locked, then the tab leaves', async () => {
  const { c, navigations } = setup({ drafts: true });
  c.start();
  (document.getElementById('title') as HTMLInputElement).value = 'Unsaved work';
  await advance(60_100);
  expect(locked()).toBe(true);
  expect(Object.keys(sessionStorage)).toEqual(['sessionwatch:draft:/']);
  expect(document.querySelector('.sessionwatch-lock')!.textContent).toContain('will be back after you log in again');
  expect(navigations).toEqual(['/?reason=expired']);

  // Back on the page after logging in again: the draft is restored.
  document.documentElement.className = '';
  document.body.innerHTML = '<main><form><input id="title" name="title"></form></main>';
  const again = setup({ drafts: true });
  again.c.start();
  expect((document.getElementById('title') as HTMLInputElement).value).toBe('Unsaved work');
  again.c.stop();
});

test('headless mode: events only, no DOM added', async () => {
  const { c } = setup({ ui: false });
  const warned = jest.fn();
  c.emitter.on('warn', warned);
  c.start();
  await advance(60_100);
  expect(warned).toHaveBeenCalledTimes(1);
  expect(document.querySelector('.sessionwatch-root')).toBeNull();
  expect(locked()).toBe(false);
});

test("in place without the lock screen and nobody listening to 'locked': said once in the console, nothing hidden", async () => {
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const { c, server, navigations } = setup({ ui: false, relogin: 'in-place' });
  c.start();
  await advance(300);
  server.ended = 'revoked';
  c.extend();
  await advance(100);
  expect(c.getState()).toMatchObject({ phase: 'ended', locked: true });
  expect(navigations).toEqual([]);
  expect(error).toHaveBeenCalledTimes(1);
  expect(String(error.mock.calls[0][0])).toMatch(/nothing hides this page: listen to the "locked" event/);
  error.mockRestore();
});

test('relogin() opens the sign-in window only once the session ended', async () => {
  const open = jest.spyOn(window, 'open').mockReturnValue(null);
  const { c, server } = setup({ relogin: 'in-place' });
  c.start();
  await advance(300);
  expect(c.relogin()).toBeNull();
  expect(open).not.toHaveBeenCalled();
  server.ended = 'expired';
  c.extend();
  await advance(100);
  c.relogin();
  expect(open).toHaveBeenCalledWith('/?reason=expired', 'sessionwatch-relogin', expect.stringContaining('popup'));
  open.mockRestore();
  c.stop();
});

test('onEnd replaces the navigation', async () => {
  const onEnd = jest.fn();
  const { c, navigations } = setup({ onEnd });
  c.start();
  await c.logout();
  await advance(10);
  expect(onEnd).toHaveBeenCalledWith('logged-out');
  expect(navigations).toEqual([]);
});

test('watchFetch installs the watched fetch while running, and puts the page fetch back', async () => {
  const pageFetch = jest.fn(async () => ({ status: 200 }) as Response);
  window.fetch = pageFetch;
  const { c } = setup({ watchFetch: true });
  c.start();
  // toHaveProperty compares functions by reference (as toBe would) without detaching window.fetch.
  expect(window).toHaveProperty('fetch', c.fetch);
  await window.fetch('/api/x');
  expect(pageFetch).toHaveBeenCalledTimes(1);
  c.stop();
  expect(window).toHaveProperty('fetch', pageFetch);
});
