/**
 * The headless sessionwatch client (`sessionwatch/client/core`): the same cross-tab inactivity
 * watch as `sessionwatch/client`, without a UI or draft keeping of its own. The app follows the
 * events (or `getState()`) and draws what it wants; the default UI and draft keeping plug in
 * through the `ui` and `drafts` options, and only an app that imports them ships them.
 *
 * @example
 * ```ts
 * import { createSessionWatchClient } from 'sessionwatch/client/core';
 *
 * const sw = createSessionWatchClient({ onEnd: (reason) => router.push(`/login?reason=${reason}`) });
 * sw.on('warn', ({ secondsLeft }) => showMyWarning(secondsLeft, () => sw.extend()));
 * sw.on('extend', () => hideMyWarning());
 * sw.start();
 * ```
 * @packageDocumentation
 */
import { clientOf, type SessionWatchClient } from './client';
import { createController } from './controller';
import { resolveClientOptions, type SessionWatchCoreOptions } from './options';

/**
 * Creates the inactivity watch of this tab, headless unless given a `ui`. Options are validated
 * at once (TypeError / RangeError naming the option); nothing runs before `start()`.
 *
 * @example
 * ```ts
 * import { defaultUi } from 'sessionwatch/client/ui';
 * import { keepDrafts } from 'sessionwatch/client/drafts';
 *
 * createSessionWatchClient({ ui: defaultUi(), drafts: keepDrafts('#editor form') }).start();
 * ```
 */
export function createSessionWatchClient(options: SessionWatchCoreOptions = {}): SessionWatchClient {
  return clientOf(createController(resolveClientOptions(options), { window: typeof window === 'undefined' ? null : window }));
}

export type { SessionWatchClient } from './client';
export type { SessionWatchState, Phase } from './state';
export type { SessionWatchEventMap, SessionWatchEvent, Handler } from './events';
export type { SessionWatchCoreOptions } from './options';
export type { SessionWatchUi, SessionWatchDrafts, UiViews, UiHost, WarningView, NoticeView, LockView, DraftKeeper } from './plugins';
export type { Transport, PingResult, LogoutResult } from './transport';
export { RELOGIN_WINDOW } from './relogin';
export { createFetchTransport } from './transport';
export type { EndReason } from '../shared/protocol';
