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
import { clientOf, type SessionWatchClient } from './client';
import { Controller } from './controller';
import { resolveClientOptions, type SessionWatchClientOptions } from './options';

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
  return clientOf(new Controller(resolveClientOptions(options), { window: typeof window === 'undefined' ? null : window }));
}

export type { SessionWatchClient } from './client';
export type { SessionWatchState } from './state';
export type { SessionWatchEventMap, SessionWatchEvent, Handler } from './events';
export type { SessionWatchClientOptions, DraftOptions } from './options';
export type { SessionWatchTexts } from './ui/texts';
export type { Transport, PingResult, LogoutResult } from './transport';
export type { Phase } from './state';
export { RELOGIN_WINDOW } from './relogin';
export { DEFAULT_TEXTS } from './ui/texts';
export { createFetchTransport } from './transport';
export type { EndReason } from '../shared/protocol';
