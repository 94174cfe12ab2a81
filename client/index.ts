/**
 * sessionwatch browser client: inactivity logout that never loses work. One tab (the leader)
 * talks to the server for all tabs of the origin; every tab warns, extends, locks and ends together.
 *
 * @example
 * ```ts
 * import { createSessionWatchClient } from 'sessionwatch/client';
 *
 * const sw = createSessionWatchClient({ drafts: true, watchFetch: true });
 * sw.on('warn', ({ secondsLeft }) => console.log(`logging out in ${secondsLeft}s`));
 * sw.on('end', ({ reason }) => console.log('session ended:', reason));
 * sw.start();
 * ```
 * @packageDocumentation
 */
import { Controller } from './controller';
import type { SessionWatchState } from './state';
import type { Handler, SessionWatchEvent } from './events';
import { resolveClientOptions, type SessionWatchClientOptions } from './options';

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
   * `fetch` that ends the session in every tab as soon as a response says `401 session_revoked`
   * or `session_expired` (the `watchFetch` option installs it as the page's `fetch`).
   */
  readonly fetch: typeof fetch;
}

/**
 * Creates the inactivity watch of this tab. Options are validated at once (TypeError / RangeError
 * naming the option); nothing runs before `start()`.
 *
 * @example
 * ```ts
 * const sw = createSessionWatchClient({
 *   apiPrefix: '/session',          // the server's apiPrefix
 *   drafts: '#editor form',         // keep what the user typed across a logout
 *   texts: { stay: 'Keep working' },
 *   onEnd: (reason) => router.push(`/login?reason=${reason}`),
 * });
 * sw.start();
 * ```
 */
export function createSessionWatchClient(options: SessionWatchClientOptions = {}): SessionWatchClient {
  const controller = new Controller(resolveClientOptions(options), { window: typeof window === 'undefined' ? null : window });
  return {
    start: () => controller.start(),
    stop: () => controller.stop(),
    extend: () => controller.extend(),
    logout: () => controller.logout(),
    getState: () => controller.getState(),
    on: (event, handler) => controller.emitter.on(event, handler),
    fetch: controller.fetch,
  };
}

export type { SessionWatchState } from './state';
export type { SessionWatchEventMap, SessionWatchEvent, Handler } from './events';
export type { SessionWatchClientOptions, DraftOptions } from './options';
export type { SessionWatchTexts } from './ui/texts';
export type { Transport, PingResult, LogoutResult } from './transport';
export type { Phase } from './state';
export { DEFAULT_TEXTS } from './ui/texts';
export { createFetchTransport } from './transport';
export type { EndReason } from '../shared/protocol';
