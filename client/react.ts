/**
 * React bindings of the browser client (`sessionwatch/react`): {@link SessionWatchProvider} runs
 * one client for the app and {@link useSessionWatch} gives any component the session's state and
 * actions. React (18 or later) is an optional peer dependency: only the React entries import it.
 * This provider can create the full client (`sessionwatch/client`) from `options`, so this entry
 * always ships it, default UI and drafts included; with a headless client
 * (`sessionwatch/client/core`), use `sessionwatch/react/core`.
 *
 * @example
 * ```tsx
 * import { SessionWatchProvider, useSessionWatch } from 'sessionwatch/react';
 *
 * function SessionBanner() {
 *   const { warning, secondsLeft, locked, reason, extend, logout, relogin } = useSessionWatch();
 *   if (locked && reason) return <p>Session ended ({reason}). <button onClick={relogin}>Sign in again</button></p>;
 *   if (!warning) return null;
 *   return (
 *     <div role="alert">
 *       Logging out in {secondsLeft} s <button onClick={extend}>Stay</button> <button onClick={logout}>Log out</button>
 *     </div>
 *   );
 * }
 *
 * createRoot(el).render(
 *   <SessionWatchProvider options={{ ui: false, onEnd: (reason) => navigate(`/login?reason=${reason}`) }}>
 *     <App />
 *     <SessionBanner />
 *   </SessionWatchProvider>,
 * );
 * ```
 * @packageDocumentation
 */
import { useState, type ReactNode } from 'react';
import { createSessionWatchClient, type SessionWatchClient, type SessionWatchClientOptions } from './index';
import { useProvidedClient } from './react-hook';

/**
 * Props of {@link SessionWatchProvider}: the `options` of the client it creates, or a `client`
 * you created, never both.
 */
export type SessionWatchProviderProps = { children?: ReactNode } & (
  | {
      /**
       * Options of the client the provider creates, read once when it mounts. It starts when the
       * provider mounts and stops when it unmounts.
       */
      options?: SessionWatchClientOptions;
      client?: never;
    }
  | {
      /** Or a client you created: the provider starts it if needed, and never stops it. */
      client?: SessionWatchClient;
      /** The options of a client you pass go to its `createSessionWatchClient(options)`. */
      options?: never;
    }
);

/**
 * Runs the app's sessionwatch client (in the browser only; nothing runs during server rendering)
 * and makes it available to {@link useSessionWatch}. Mount it once, near the root.
 */
export function SessionWatchProvider({ options, client, children }: SessionWatchProviderProps) {
  if (client && options !== undefined) {
    throw new TypeError(
      'sessionwatch: <SessionWatchProvider> takes options (it creates the client) or a client (you created it), not both: ' +
        'give the options to the createSessionWatchClient(options) that created the client',
    );
  }
  // Creating a client has no side effect: only start() does, in the provider's effect.
  const [own] = useState(() => (client || typeof window === 'undefined' ? null : createSessionWatchClient(options)));
  const active = client ?? own;
  return useProvidedClient(active, active === own, children);
}

export { useSessionWatch } from './react-hook';
export type { SessionWatchView, UseSessionWatchResult } from './react-hook';
export type { SessionWatchClient, SessionWatchClientOptions } from './index';
