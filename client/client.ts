/**
 * The public face of one tab's {@link Controller}: what `createSessionWatchClient` returns.
 */
import type { Controller } from './controller';
import type { Handler, SessionWatchEvent } from './events';
import type { SessionWatchState } from './state';

/** A running inactivity watch for this tab, coordinated with the other tabs of the origin. */
export interface SessionWatchClient {
  /** Starts watching: activity listeners, the cross-tab channel and, in the leader, the first ping. */
  start(): void;
  /** Stops watching in this tab and removes its UI; another tab takes over the server talk. */
  stop(): void;
  /** Records activity now in every tab, dismisses the warning, and pings the server at once. */
  extend(): void;
  /** Logs out on the server and ends the session in every tab (reason `logged-out`). */
  logout(): Promise<void>;
  /** The session as this tab sees it. */
  getState(): SessionWatchState;
  /**
   * Re-login in place: opens the login page (`endUrl`) in the sign-in window, as the lock's
   * "Sign in again" does. Call it from a click (browsers block popups otherwise); null when
   * blocked, without a window, or while the session has not ended. Once the user signed in there,
   * every locked tab unlocks.
   *
   * @example
   * ```ts
   * sw.on('locked', ({ reason }) => reason && showMyLock(() => sw.relogin()));
   * sw.on('unlocked', () => hideMyLock());
   * ```
   */
  relogin(): Window | null;
  /**
   * Re-login in place with the app's own login UI (no page change): call it once that login
   * succeeded. A locked tab asks the server at once; if the same user signed in, every tab
   * unlocks (`unlocked`); another user's session reloads the locked tabs.
   *
   * @example
   * ```ts
   * await fetch('/login', { method: 'POST', body: form });
   * sw.resume();
   * ```
   */
  resume(): void;
  /**
   * Subscribes to an event; returns the unsubscribe function.
   *
   * @example
   * ```ts
   * const off = sw.on('end', ({ reason }) => analytics.track('session-end', reason));
   * off();
   * ```
   */
  on<E extends SessionWatchEvent>(event: E, handler: Handler<E>): () => void;
  /**
   * `fetch` that ends the session in every tab as soon as a response carries the `Session-Ended`
   * header, or says `401 session_revoked` / `session_expired` and the server confirms it (the
   * `watchFetch` option installs it as the page's `fetch`).
   */
  readonly fetch: typeof fetch;
}

/** The client API over a controller (the one place that maps it). */
export function clientOf(controller: Controller): SessionWatchClient {
  return {
    start: () => controller.start(),
    stop: () => controller.stop(),
    extend: () => controller.extend(),
    logout: () => controller.logout(),
    getState: () => controller.getState(),
    relogin: () => controller.relogin(),
    resume: () => controller.resume(),
    on: (event, handler) => controller.emitter.on(event, handler),
    fetch: controller.fetch,
  };
}
