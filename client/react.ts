/**
 * React bindings of the browser client (`sessionwatch/react`): {@link SessionWatchProvider} runs
 * one client for the app and {@link useSessionWatch} gives any component the session's state and
 * actions. React (18 or later) is an optional peer dependency: only this entry imports it.
 *
 * @example
 * ```tsx
 * import { SessionWatchProvider, useSessionWatch } from 'sessionwatch/react';
 *
 * function SessionBanner() {
 *   const { warning, secondsLeft, ended, reason, extend, logout } = useSessionWatch();
 *   if (ended) return <p>Session ended ({reason}).</p>;
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
import { createContext, createElement, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { createSessionWatch, type SessionWatch, type SessionWatchClientOptions, type SessionWatchEvent } from './index';
import type { Phase, SessionWatchState } from './state';
import type { EndReason } from '../shared/protocol';

/** The session as a component sees it. */
export interface SessionWatchView {
  /** `active`, `warning` (the user has been idle for `warnAfter`) or `ended`. */
  phase: Phase;
  /** The user has been inactive long enough to be warned: the warning shows, or the session expired. */
  idle: boolean;
  /** The warning is due: show it (the default UI does) and offer `extend` and `logout`. */
  warning: boolean;
  /**
   * Whole seconds before the session ends. Counts down (one render a second) while the warning
   * shows; while the session is active it is only refreshed along with the other fields.
   */
  secondsLeft: number;
  /** The session ended, in every tab. */
  ended: boolean;
  /** Why it ended (`expired`, `revoked`, `logged-out`), or null. */
  reason: EndReason | null;
  /** This tab is the one talking to the server for all tabs. */
  isLeader: boolean;
}

/** What {@link useSessionWatch} returns. */
export interface UseSessionWatchResult extends SessionWatchView {
  /** "Stay signed in": records activity in every tab, dismisses the warning, pings the server. */
  extend(): void;
  /** Logs out on the server and in every tab. */
  logout(): Promise<void>;
  /** The client itself (null while rendering on the server). */
  client: SessionWatch | null;
}

/** Before any client runs (server rendering). */
const INITIAL_VIEW: SessionWatchView = Object.freeze({
  phase: 'active', idle: false, warning: false, secondsLeft: 0, ended: false, reason: null, isLeader: false,
});

const EVENTS: readonly SessionWatchEvent[] = ['warn', 'extend', 'expire', 'end', 'leader', 'activity'];

function toView(state: SessionWatchState): SessionWatchView {
  const { phase, reason, secondsLeft, isLeader } = state;
  return {
    phase,
    idle: phase === 'warning' || (phase === 'ended' && reason === 'expired'),
    warning: phase === 'warning',
    secondsLeft,
    ended: phase === 'ended',
    reason,
    isLeader,
  };
}

/** Equal for rendering: the countdown only matters while the warning shows. */
function sameView(a: SessionWatchView, b: SessionWatchView): boolean {
  return a.phase === b.phase && a.reason === b.reason && a.isLeader === b.isLeader && (a.phase !== 'warning' || a.secondsLeft === b.secondsLeft);
}

interface Store {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): SessionWatchView;
}

/** One store per client, whatever the number of components using it: one set of listeners, one timer. */
const stores = new WeakMap<SessionWatch, Store>();

function storeOf(client: SessionWatch): Store {
  let store = stores.get(client);
  if (store) return store;
  let view = toView(client.getState());
  const listeners = new Set<() => void>();
  let detach: (() => void) | null = null;
  const update = () => {
    const next = toView(client.getState());
    if (sameView(view, next)) return;
    view = next;
    for (const listener of [...listeners]) listener();
  };
  store = {
    getSnapshot: () => view,
    subscribe(onChange) {
      listeners.add(onChange);
      if (!detach) {
        const offs = EVENTS.map((event) => client.on(event, update));
        const timer = setInterval(update, 1000);
        detach = () => {
          offs.forEach((off) => off());
          clearInterval(timer);
        };
      }
      update();
      return () => {
        listeners.delete(onChange);
        if (listeners.size === 0 && detach) {
          detach();
          detach = null;
        }
      };
    },
  };
  stores.set(client, store);
  return store;
}

const serverStore: Store = { subscribe: () => () => undefined, getSnapshot: () => INITIAL_VIEW };

/** The provider's client: undefined outside any provider, null while rendering on the server. */
const SessionWatchContext = createContext<SessionWatch | null | undefined>(undefined);
SessionWatchContext.displayName = 'SessionWatch';

export interface SessionWatchProviderProps {
  /**
   * Options of the client the provider creates, read once when it mounts. It starts when the
   * provider mounts and stops when it unmounts.
   */
  options?: SessionWatchClientOptions;
  /** Or a client you created: the provider starts it if needed, and never stops it. */
  client?: SessionWatch;
  children?: ReactNode;
}

/**
 * Runs the app's sessionwatch client (in the browser only; nothing runs during server rendering)
 * and makes it available to {@link useSessionWatch}. Mount it once, near the root.
 */
export function SessionWatchProvider({ options, client, children }: SessionWatchProviderProps) {
  // Creating a client has no side effect: only start() does, in the effect below.
  const [own] = useState(() => (client || typeof window === 'undefined' ? null : createSessionWatch(options)));
  const active = client ?? own;
  useEffect(() => {
    if (!active) return undefined;
    active.start();
    return active === own ? () => active.stop() : undefined;
  }, [active, own]);
  return createElement(SessionWatchContext.Provider, { value: active }, children);
}

/**
 * The session state and actions, re-rendering when they change. Inside a
 * {@link SessionWatchProvider}, call it without arguments; otherwise pass the client you created
 * and started yourself (`useSessionWatch(sw)`).
 */
export function useSessionWatch(client?: SessionWatch | null): UseSessionWatchResult {
  const provided = useContext(SessionWatchContext);
  if (client === undefined && provided === undefined) {
    throw new Error('sessionwatch: useSessionWatch() needs a <SessionWatchProvider> above it, or a client: useSessionWatch(sw).');
  }
  const sw = client === undefined ? provided! : client;
  const store = sw ? storeOf(sw) : serverStore;
  const view = useSyncExternalStore(store.subscribe, store.getSnapshot, () => INITIAL_VIEW);
  const actions = useMemo(
    () => ({
      extend: () => sw?.extend(),
      logout: () => (sw ? sw.logout() : Promise.resolve()),
    }),
    [sw],
  );
  return useMemo(() => ({ ...view, ...actions, client: sw }), [view, actions, sw]);
}

export type { SessionWatch, SessionWatchClientOptions } from './index';
