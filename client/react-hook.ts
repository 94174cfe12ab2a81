/**
 * The React bindings' shared part (internal: the entries are `react-core.ts`,
 * `sessionwatch/react/core`, and `react.ts`, `sessionwatch/react`): the context, the hook
 * {@link useSessionWatch}, and what a provider does with its client. It imports no client
 * entry, only types, so the headless React entry ships no more than the client given to it.
 */
import { createContext, createElement, useContext, useEffect, useMemo, useRef, useSyncExternalStore, type ReactNode } from 'react';
import type { SessionWatchClient } from './client';
import { SESSIONWATCH_EVENTS } from './events';
import type { Phase, SessionWatchState } from './state';
import type { EndReason } from '../shared/protocol';

/** The session as a component sees it: always what the client's `getState()` says. */
export interface SessionWatchView {
  /** `active`, `warning` (the warning shows) or `ended`. */
  phase: Phase;
  /** The user has been inactive long enough to be warned: the warning shows, or the session expired. */
  idle: boolean;
  /** The warning is due: show it (the default UI does) and offer `extend` and `logout`. */
  warning: boolean;
  /**
   * Whole seconds before the session ends (0 once ended), as `getState().secondsLeft`: from the
   * server's settings once the first ping answered, pushed back by activity in any tab, counting
   * down. A component that reads it re-renders when it changes (once a second); one that does not
   * read it is not re-rendered by the countdown.
   */
  secondsLeft: number;
  /**
   * The session ended, in every tab. With re-login in place it may start again: the same user
   * signs in, and the tabs carry on (`ended` and `locked` go back to false).
   */
  ended: boolean;
  /**
   * The page is hidden behind the lock: the session ended (in place: until the same user signs in
   * again, see `relogin`), or its end is being confirmed with the server.
   */
  locked: boolean;
  /** Why it ended (`expired`, `revoked`, `logged-out`, …), or null. */
  reason: EndReason | null;
  /** This tab is the one talking to the server for all tabs. */
  isLeader: boolean;
  /** False when the coming end is the session's absolute end (`maxAge`): `extend` cannot push it back. */
  canExtend: boolean;
  /** The server cannot be reached (network down, timeouts, 5xx answers); the client retries. */
  connectionLost: boolean;
}

/** What {@link useSessionWatch} returns. */
export interface UseSessionWatchResult extends SessionWatchView {
  /** "Stay signed in": records activity in every tab, dismisses the warning, pings the server. */
  extend(): void;
  /** Logs out on the server and in every tab. */
  logout(): Promise<void>;
  /**
   * Re-login in place: opens the login page in the sign-in window (call it from a click). Every
   * locked tab unlocks once the same user signed in there. Returns the window; null when the
   * session has not ended, or when the browser blocked the window (say so, and offer a link).
   */
  relogin(): Window | null;
  /** Re-login in place with the app's own login UI: call it once that login succeeded; the tabs unlock. */
  resume(): void;
  /** The client itself (null while rendering on the server). */
  client: SessionWatchClient | null;
}

/** Before any client runs (server rendering). */
const INITIAL_VIEW: SessionWatchView = Object.freeze({
  phase: 'active',
  idle: false,
  warning: false,
  secondsLeft: 0,
  ended: false,
  locked: false,
  reason: null,
  isLeader: false,
  canExtend: true,
  connectionLost: false,
});

function toView(state: SessionWatchState): SessionWatchView {
  const { phase, reason, secondsLeft, isLeader, canExtend, connectionLost, locked } = state;
  return {
    phase,
    idle: phase === 'warning' || (phase === 'ended' && reason === 'expired'),
    warning: phase === 'warning',
    secondsLeft,
    ended: phase === 'ended',
    locked,
    reason,
    isLeader,
    canExtend,
    connectionLost,
  };
}

/** Equal apart from the countdown (`idle`, `warning` and `ended` follow from `phase` and `reason`). */
function sameApartFromSeconds(a: SessionWatchView, b: SessionWatchView): boolean {
  return (
    a.phase === b.phase &&
    a.reason === b.reason &&
    a.locked === b.locked &&
    a.isLeader === b.isLeader &&
    a.canExtend === b.canExtend &&
    a.connectionLost === b.connectionLost
  );
}

/**
 * When `secondsLeft` next changes (ms from now). Waking just past that second's boundary keeps
 * the countdown exact instead of up to a second late; never more than a second, so a state change
 * no event announces (the server's settings adopted) shows within a second.
 */
function msToNextSecond(state: SessionWatchState, now: number): number {
  if (state.endsAt === null) return 1000;
  const rest = (state.endsAt - now) % 1000;
  return rest > 0 ? rest + 1 : 1000;
}

interface ViewSource {
  subscribe: (onChange: () => void) => () => void;
  /** The current view, countdown included. */
  getSnapshot: () => SessionWatchView;
  /** The same view, but only replaced when something other than the countdown changes. */
  getCoarseSnapshot: () => SessionWatchView;
}

/** One view source per client, whatever the number of components using it: one set of listeners, one timer. */
const sources = new WeakMap<SessionWatchClient, ViewSource>();

function sourceOf(client: SessionWatchClient): ViewSource {
  let source = sources.get(client);
  if (source) return source;
  let view = toView(client.getState());
  let coarse = view;
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let offs: (() => void)[] | null = null;
  /** Re-reads the client's state; tells the components if anything changed; wakes at the next second. */
  const update = () => {
    const now = Date.now();
    const state = client.getState();
    const next = toView(state);
    clearTimeout(timer);
    timer = setTimeout(update, msToNextSecond(state, now));
    const changed = !sameApartFromSeconds(coarse, next);
    if (!changed && next.secondsLeft === view.secondsLeft) return;
    view = next;
    if (changed) coarse = next;
    for (const listener of [...listeners]) listener();
  };
  source = {
    getSnapshot: () => view,
    getCoarseSnapshot: () => coarse,
    subscribe(onChange) {
      listeners.add(onChange);
      // Any event may change the state: the view is refreshed on each.
      if (!offs) offs = SESSIONWATCH_EVENTS.map((event) => client.on(event, update));
      update();
      return () => {
        listeners.delete(onChange);
        if (listeners.size === 0 && offs) {
          offs.forEach((off) => off());
          offs = null;
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
  };
  sources.set(client, source);
  return source;
}

const serverSource: ViewSource = {
  subscribe: () => () => undefined,
  getSnapshot: () => INITIAL_VIEW,
  getCoarseSnapshot: () => INITIAL_VIEW,
};

/** The provider's client: undefined outside any provider, null while rendering on the server. */
const SessionWatchContext = createContext<SessionWatchClient | null | undefined>(undefined);
SessionWatchContext.displayName = 'SessionWatchClient';

/**
 * What a provider does with its client: starts it once mounted (nothing runs during server
 * rendering), stops it on unmount when `owned` (a client the app passed in is never stopped), and
 * gives it to the {@link useSessionWatch} calls below.
 */
export function useProvidedClient(active: SessionWatchClient | null, owned: boolean, children: ReactNode) {
  useEffect(() => {
    if (!active) return undefined;
    active.start();
    return owned ? () => active.stop() : undefined;
  }, [active, owned]);
  return createElement(SessionWatchContext.Provider, { value: active }, children);
}

/**
 * The session state and actions, re-rendering when they change. Inside a `<SessionWatchProvider>`
 * (of `sessionwatch/react` or `sessionwatch/react/core`: either one), call it without arguments;
 * otherwise pass the client you created and started yourself (`useSessionWatch(sw)`).
 */
export function useSessionWatch(client?: SessionWatchClient | null): UseSessionWatchResult {
  const provided = useContext(SessionWatchContext);
  if (client === undefined && provided === undefined) {
    throw new Error('sessionwatch: useSessionWatch() needs a <SessionWatchProvider> above it, or a client: useSessionWatch(sw).');
  }
  const sw = client === undefined ? provided! : client;
  const source = sw ? sourceOf(sw) : serverSource;
  // Whether this component reads `secondsLeft` (found when it first does, then kept): only then
  // does the countdown re-render it.
  const readsSeconds = useRef(false);
  const view = useSyncExternalStore(
    source.subscribe,
    () => (readsSeconds.current ? source.getSnapshot() : source.getCoarseSnapshot()),
    () => INITIAL_VIEW,
  );
  const actions = useMemo(
    () => ({
      extend: () => sw?.extend(),
      logout: () => (sw ? sw.logout() : Promise.resolve()),
      relogin: () => sw?.relogin() ?? null,
      resume: () => sw?.resume(),
    }),
    [sw],
  );
  return useMemo(() => {
    const result = { ...view, ...actions, client: sw };
    Object.defineProperty(result, 'secondsLeft', {
      enumerable: true,
      get() {
        readsSeconds.current = true;
        // The source's current value: the one this render's snapshot has when the component
        // follows the countdown, and still the right one the first time it reads it.
        return source.getSnapshot().secondsLeft;
      },
    });
    return result;
  }, [view, actions, sw, source]);
}
