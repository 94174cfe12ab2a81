/**
 * React bindings of the headless client (`sessionwatch/react/core`): the same
 * {@link useSessionWatch} as `sessionwatch/react`, and a {@link SessionWatchProvider} that takes a
 * client you created, never options. It imports no client entry, so an app that creates its client
 * with `sessionwatch/client/core` ships neither the default UI nor drafts (unless it plugs them
 * in); `sessionwatch/react`, whose provider can create the full client from options, always ships
 * both. React (18 or later) is an optional peer dependency.
 *
 * @example
 * ```tsx
 * import { createSessionWatchClient } from 'sessionwatch/client/core';
 * import { SessionWatchProvider, useSessionWatch } from 'sessionwatch/react/core';
 *
 * const sw = createSessionWatchClient({ onEnd: (reason) => navigate(`/login?reason=${reason}`) });
 *
 * function SessionBanner() {
 *   const { warning, secondsLeft, extend, logout } = useSessionWatch();
 *   if (!warning) return null;
 *   return (
 *     <div role="alert">
 *       Logging out in {secondsLeft} s <button onClick={extend}>Stay</button> <button onClick={logout}>Log out</button>
 *     </div>
 *   );
 * }
 *
 * createRoot(el).render(
 *   <SessionWatchProvider client={sw}>
 *     <App />
 *     <SessionBanner />
 *   </SessionWatchProvider>,
 * );
 * ```
 * @packageDocumentation
 */
import type { ReactNode } from 'react';
import type { SessionWatchClient } from './client';
import { useProvidedClient } from './react-hook';

/** Props of the headless {@link SessionWatchProvider}: a client, never options. */
export interface SessionWatchProviderProps {
  /**
   * The client you created (`createSessionWatchClient()` of `sessionwatch/client/core`, or of
   * `sessionwatch/client`): the provider starts it once mounted, and never stops it. `null` while
   * there is none (e.g. during server rendering): the hook then gives the initial state.
   */
  client: SessionWatchClient | null;
  children?: ReactNode;
}

/**
 * Runs the client you created (in the browser only; nothing runs during server rendering) and
 * makes it available to {@link useSessionWatch}. Mount it once, near the root.
 */
export function SessionWatchProvider(props: SessionWatchProviderProps) {
  const { client, children } = props;
  if ((props as { options?: unknown }).options !== undefined) {
    throw new TypeError(
      'sessionwatch: the <SessionWatchProvider> of sessionwatch/react/core takes a client, not options: ' +
        'create it with createSessionWatchClient(options) from sessionwatch/client/core and pass it as client={sw} ' +
        '(or use sessionwatch/react, whose provider creates the full client from options)',
    );
  }
  if (client === undefined) {
    throw new TypeError(
      'sessionwatch: the <SessionWatchProvider> of sessionwatch/react/core needs a client: ' +
        'client={createSessionWatchClient(…)} from sessionwatch/client/core (null while there is none, e.g. during server rendering)',
    );
  }
  return useProvidedClient(client, false, children);
}

export { useSessionWatch } from './react-hook';
export type { SessionWatchView, UseSessionWatchResult } from './react-hook';
export type { SessionWatchClient } from './client';
