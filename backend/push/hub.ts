/**
 * The push streams of one instance (`GET {apiPrefix}/events`, server-sent events): which session
 * each open stream is of, one heartbeat timer shared by all of them, a session's end written to
 * its streams, which then close, and a change of its limits, which they stay open after. Idle
 * streams cost their socket and an entry here: no timer, no promise of their own.
 */
import { PUSH_EVENTS, PUSH_HEARTBEAT_S, type PushEnded, type PushPolicy } from '../../shared/protocol';

/** Where a stream's text goes (the response body). */
export interface PushSink {
  write(text: string): void;
  end(): void;
}

/** One SSE message: its event name and JSON data. */
export function sseMessage(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by every SSE parser, it keeps proxies from closing an idle stream. */
const HEARTBEAT = ':\n\n';

/** @internal */
export class PushHub {
  private readonly bySession = new Map<string, Set<PushSink>>();
  /**
   * The limits each streamed session's browser was last told of (or had when its stream opened),
   * as the `policy` event's JSON: a record re-read after another instance's invalidation is
   * pushed only when they differ.
   */
  private readonly told = new Map<string, string>();
  private open = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly heartbeatMs = PUSH_HEARTBEAT_S * 1000) {}

  /** Open streams on this instance. */
  get size(): number {
    return this.open;
  }

  /** True when this instance holds a stream of `sessionId`. */
  has(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  /** The sessions with a stream on this instance. */
  sessionIds(): string[] {
    return [...this.bySession.keys()];
  }

  /**
   * Adds a stream of `sessionId`, whose browser is about to learn the session's `policy` from its
   * own ping; returns what forgets it (the browser went away). Streams of the session opened
   * earlier with other limits (a change this instance has not heard of yet) are told at once.
   */
  add(sessionId: string, sink: PushSink, policy: PushPolicy): () => void {
    let sinks = this.bySession.get(sessionId);
    if (!sinks) this.bySession.set(sessionId, (sinks = new Set()));
    this.policy(sessionId, policy);
    sinks.add(sink);
    this.open++;
    this.timer ??= setInterval(() => this.beat(), this.heartbeatMs).unref();
    return () => this.remove(sessionId, sink);
  }

  /** The session ended: every stream of it says why, then closes. */
  end(sessionId: string, ended: PushEnded): void {
    const sinks = this.bySession.get(sessionId);
    if (!sinks) return;
    const message = sseMessage(PUSH_EVENTS.ended, ended);
    for (const sink of [...sinks]) this.finish(sessionId, sink, message);
  }

  /**
   * The session's limits are `policy` now: its streams are told, unless they were told so already
   * (another instance's invalidation of a change this instance pushed, any other change of the
   * record). True when they were told.
   */
  policy(sessionId: string, policy: PushPolicy): boolean {
    const sinks = this.bySession.get(sessionId);
    if (!sinks) return false;
    const data = JSON.stringify(policy);
    if (this.told.get(sessionId) === data) return false;
    this.told.set(sessionId, data);
    const message = sseMessage(PUSH_EVENTS.policy, policy);
    for (const sink of sinks) write(sink, message);
    return sinks.size > 0;
  }

  /** Closes every stream (`sw.close()`): the browsers fall back to their own checks or reconnect elsewhere. */
  close(): void {
    for (const [sessionId, sinks] of [...this.bySession]) for (const sink of [...sinks]) this.finish(sessionId, sink);
  }

  /** Forgets a stream and closes it, after its last `message` if any. */
  private finish(sessionId: string, sink: PushSink, message?: string): void {
    this.remove(sessionId, sink);
    try {
      if (message !== undefined) sink.write(message);
      sink.end();
    } catch {
      /* the socket went away meanwhile */
    }
  }

  private remove(sessionId: string, sink: PushSink): void {
    const sinks = this.bySession.get(sessionId);
    if (!sinks?.delete(sink)) return;
    this.open--;
    if (sinks.size === 0) {
      this.bySession.delete(sessionId);
      this.told.delete(sessionId);
    }
    if (this.open === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private beat(): void {
    for (const sinks of this.bySession.values()) for (const sink of sinks) write(sink, HEARTBEAT);
  }
}

/** Writes to a stream that stays open; a socket closing meanwhile is removed by its close event. */
function write(sink: PushSink, text: string): void {
  try {
    sink.write(text);
  } catch {
    /* see above */
  }
}
