/** A tiny typed event emitter: `on()` returns its own unsubscribe function; a throwing handler never breaks the client. */
import type { EndReason } from '../shared/protocol';

/** Events of a {@link SessionWatchClient} and their payloads. */
export interface SessionWatchEventMap {
  /**
   * The warning shows (in every tab at once). `canExtend` false: the session reaches its absolute
   * lifetime (the server's `maxAge`) — activity cannot push that end back; the user can only save
   * their work.
   */
  warn: { secondsLeft: number; canExtend: boolean };
  /** Newer activity was seen, in this tab or another one (at most every `activityInterval`). */
  activity: { at: number; local: boolean };
  /** The warning was dismissed: the session goes on. */
  extend: { at: number };
  /** The session ended for inactivity (followed by `end`). */
  expire: { at: number };
  /**
   * The session ended, in every tab, for this reason: emitted as soon as a tab decides it (before
   * the server confirms; `onEnd` and the navigation wait for the confirmation).
   */
  end: { reason: EndReason };
  /**
   * The page is locked: `reason` null while the end is checked with the server (at the deadline,
   * during a logout), else the session ended. An app without the default UI (`ui: false`,
   * `lock: false`) hides its content here; with `relogin: 'in-place'` it offers to sign in again
   * (`client.relogin()` from a click, or its own login UI and then `client.resume()`).
   */
  locked: { reason: EndReason | null };
  /**
   * The page is shown again: a lock pending the server's answer is lifted, or (in place) the same
   * user signed in again — the tab carries on with the new session, its page as it was.
   */
  unlocked: Record<string, never>;
  /**
   * The server can no longer be reached (`lost`: network down, timeouts, 5xx answers), or can
   * again. Work is kept; the client retries with backoff. `since`: epoch ms of the first failure.
   */
  connection: { lost: boolean; since: number | null };
  /** This tab became (true) or stopped being (false) the one that talks to the server. */
  leader: { isLeader: boolean };
}

export type SessionWatchEvent = keyof SessionWatchEventMap;

/**
 * Every event name, checked against {@link SessionWatchEventMap} by the compiler (a missing or
 * unknown name does not build): for code that follows them all.
 */
export const SESSIONWATCH_EVENTS = Object.keys({
  warn: 1,
  activity: 1,
  extend: 1,
  expire: 1,
  end: 1,
  locked: 1,
  unlocked: 1,
  connection: 1,
  leader: 1,
} satisfies Record<SessionWatchEvent, 1>) as readonly SessionWatchEvent[];
export type Handler<E extends SessionWatchEvent> = (payload: SessionWatchEventMap[E]) => void;

/** The client's event emitter (one per tab). */
export interface Emitter {
  /** Subscribes; returns the unsubscribe function. */
  on<E extends SessionWatchEvent>(event: E, handler: Handler<E>): () => void;
  /** True when someone listens to `event`. */
  has(event: SessionWatchEvent): boolean;
  /** Calls every handler of `event`; one that throws is reported, never in the caller's way. */
  emit<E extends SessionWatchEvent>(event: E, payload: SessionWatchEventMap[E]): void;
  clear(): void;
}

/** A new emitter (a closure, not a class: nothing of it needs a name in the minified client). */
export function createEmitter(): Emitter {
  const handlers = new Map<SessionWatchEvent, Set<(payload: never) => void>>();
  return {
    on(event, handler) {
      if (typeof handler !== 'function') throw new TypeError(`sessionwatch: the handler of "${event}" must be a function`);
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler);
      return () => {
        set.delete(handler);
      };
    },
    has: (event) => (handlers.get(event)?.size ?? 0) > 0,
    emit(event, payload) {
      for (const handler of [...(handlers.get(event) ?? [])]) {
        try {
          (handler as Handler<typeof event>)(payload);
        } catch (err) {
          // An app handler must not break the session logic; report it without throwing.
          setTimeout(() => {
            throw err;
          }, 0);
        }
      }
    },
    clear: () => handlers.clear(),
  };
}
