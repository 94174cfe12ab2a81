/**
 * The demo's browser entry: bundled by `npm run build:client` (see client-bundle.ts) and loaded
 * on the logged-in pages by `<script type="module" src="/assets/sessionwatch.js" data-sessionwatch>`.
 *
 * Configuration, deliberately small:
 * - on the script tag: `data-drafts="<selector>"` keeps form drafts across a logout,
 *   `data-user="<name>"` is the drafts' owner, `data-relogin="navigate"` leaves for the login page
 *   at the end (default: sign in again in place);
 * - in the page URL, for tests and demos: `?pingInterval=<seconds>` and `?pingTimeout=<seconds>`,
 *   `?activityOnVisible` (a tab coming into view counts as activity).
 * Test hooks: `window.__sessionwatch` is the instance; `window.__sessionwatchEvents` lists its
 * events (`{ type, t, ...payload }`) except `activity`, only counted in `window.__sessionwatchActivity`.
 */
import { createSessionWatchClient, type SessionWatchClient, type SessionWatchClientOptions, type SessionWatchEvent } from '../client';
import { SESSIONWATCH_EVENTS } from '../client/events';

declare global {
  interface Window {
    __sessionwatch?: SessionWatchClient;
    __sessionwatchEvents?: ({ type: SessionWatchEvent; t: number } & Record<string, unknown>)[];
    __sessionwatchActivity?: number;
  }
}

const script = document.querySelector<HTMLScriptElement>('script[data-sessionwatch]');
const params = new URLSearchParams(location.search);
const seconds = (name: string) => {
  const value = Number(params.get(name));
  return params.has(name) && Number.isFinite(value) && value > 0 ? value : undefined;
};

const options: SessionWatchClientOptions = {
  pingInterval: seconds('pingInterval'),
  pingTimeout: seconds('pingTimeout'),
  checkInterval: seconds('checkInterval'),
  watchFetch: true,
  relogin: script?.dataset.relogin === 'navigate' ? 'navigate' : 'in-place',
  // The page's CSP nonce, for the warning dialog's <style> (the property: browsers hide the attribute).
  nonce: script?.nonce || undefined,
};
if (params.has('activityOnVisible')) options.activityOnVisible = true;
if (script?.dataset.drafts !== undefined) {
  options.drafts = { selector: script.dataset.drafts || 'form', owner: script.dataset.user };
}

const sw = createSessionWatchClient(options);
const events: NonNullable<Window['__sessionwatchEvents']> = [];
window.__sessionwatch = sw;
window.__sessionwatchEvents = events;
window.__sessionwatchActivity = 0;
for (const type of SESSIONWATCH_EVENTS) {
  if (type !== 'activity') sw.on(type, (payload) => events.push({ type, t: Date.now(), ...payload }));
}
sw.on('activity', () => (window.__sessionwatchActivity! += 1));

// The nav's "Log out" form works without JavaScript; with it, every tab logs out together.
document.querySelector<HTMLFormElement>('form[action="/logout"]')?.addEventListener('submit', (event) => {
  event.preventDefault();
  void sw.logout();
});

sw.start();
