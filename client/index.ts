/**
 * sessionwatch browser client: inactivity logout that never loses work. One tab (the leader)
 * talks to the server for all tabs of the origin; every tab warns, extends, locks and ends together.
 * This entry comes with the default UI and draft keeping; `sessionwatch/client/core` is the same
 * client without them, for apps that draw their own.
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
import type { SessionWatchClient } from './client';
import { createSessionWatchClient as createHeadless } from './core';
import { withDefaults, type SessionWatchClientOptions } from './with-defaults';

/**
 * Creates the inactivity watch of this tab, with the default UI unless `ui: false`. Options are
 * validated at once (TypeError / RangeError naming the option); nothing runs before `start()`.
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
  return createHeadless(withDefaults(options));
}

export type { SessionWatchClient } from './client';
export type { SessionWatchState } from './state';
export type { SessionWatchEventMap, SessionWatchEvent, Handler } from './events';
export type { SessionWatchClientOptions } from './with-defaults';
export type { DraftOptions } from './drafts';
export type { SessionWatchTexts } from './ui/texts';
export type { Transport, PingResult, LogoutResult } from './transport';
export type { Phase } from './state';
export { RELOGIN_WINDOW } from './relogin';
export { DEFAULT_TEXTS } from './ui/texts';
export { createFetchTransport } from './transport';
export type { EndReason } from '../shared/protocol';
