/**
 * The leader tab's push stream (`GET {apiPrefix}/events`, server-sent events): a session's end, and
 * a change of its limits, reach the browser as they happen, rather than at the next ping or idle check. Only the leader
 * holds one, so a browser holds one stream, whatever its number of tabs; it moves with the
 * leadership. What it says is a cue, not a verdict: the controller asks the server (a ping), whose
 * answer decides, as for an app's bare 401 (`watchFetch`). Where no stream can be held (no
 * EventSource, a proxy that refuses or strips it), the idle checks at `checkInterval` remain.
 */
import { END_REASONS, PUSH_EVENTS, type EndReason, type PushEnded } from '../shared/protocol';

export interface PushStreamOptions {
  url: string;
  /** The page's EventSource (none: no stream, the checks remain). */
  EventSource: typeof globalThis.EventSource | undefined;
  /** The server says the session ended. */
  onEnded: (reason: EndReason) => void;
  /**
   * The server says the session's limits changed (`sw.setPolicy`): a cue to ask it (a ping, whose
   * answer holds them), the stream staying open. What the event carries is not trusted.
   */
  onPolicy?: () => void;
  /**
   * The stream is open (again: the browser reconnects a dropped stream on its own): the server
   * answers, which a tab that lost the connection would otherwise learn at its next retry.
   */
  onOpen?: () => void;
  /**
   * The stream was refused (an HTTP error: the session may have ended, or a proxy is in the way);
   * `opened`: it had been open before.
   */
  onRefused: (opened: boolean) => void;
  now?: () => number;
}

export interface PushStream {
  /** Holds the stream while `wanted` (the leader of a live session), closes it otherwise. */
  sync(wanted: boolean): void;
  /** The server just said the session is live: a stream may be opened again at once. */
  allow(): void;
}

/**
 * How long after a refused stream the next one is tried (while wanted): doubled at each refusal in
 * a row, up to {@link PUSH_RETRY_MAX_MS}, so a proxy that refuses it costs a request now and then.
 */
export const PUSH_RETRY_AFTER_MS = 30_000;
export const PUSH_RETRY_MAX_MS = 10 * 60_000;

export function createPushStream({
  url,
  EventSource: Source,
  onEnded,
  onPolicy,
  onOpen,
  onRefused,
  now = Date.now,
}: PushStreamOptions): PushStream {
  let source: EventSource | null = null;
  /** No stream before this time (a refusal's backoff). */
  let retryAt = -Infinity;
  /** Refusals in a row (reset once a stream opens). */
  let refusals = 0;
  /** An `ended` was passed on: no stream until the server has answered (see `allow`). */
  let asking = false;

  const close = () => {
    source?.close();
    source = null;
  };

  const open = () => {
    const es = new Source!(url);
    source = es;
    let opened = false;
    es.addEventListener(PUSH_EVENTS.open, () => {
      opened = true;
      refusals = 0;
      if (source === es) onOpen?.();
    });
    es.addEventListener(PUSH_EVENTS.ended, (event) => {
      if (source !== es) return;
      let reason: unknown;
      try {
        reason = (JSON.parse((event as MessageEvent<string>).data) as PushEnded).reason;
      } catch {
        return;
      }
      close();
      // No new stream until the server has answered the question this raises (see `allow`).
      asking = true;
      if ((END_REASONS as readonly unknown[]).includes(reason)) onEnded(reason as EndReason);
    });
    es.addEventListener(PUSH_EVENTS.policy, () => {
      if (source === es) onPolicy?.();
    });
    es.addEventListener('error', () => {
      // CONNECTING: the browser reconnects on its own (a dropped connection, a restarted server).
      if (source !== es || es.readyState !== es.CLOSED) return;
      close();
      refusals++;
      retryAt = now() + Math.min(PUSH_RETRY_AFTER_MS * 2 ** (refusals - 1), PUSH_RETRY_MAX_MS);
      onRefused(opened);
    });
  };

  return {
    sync(wanted) {
      if (!Source) return;
      if (!wanted) return close();
      if (source || asking || now() < retryAt) return;
      open();
    },
    allow() {
      asking = false;
    },
  };
}
