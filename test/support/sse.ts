/**
 * A reader of sessionwatch's push stream (`GET {apiPrefix}/events`) over real HTTP, as a browser's
 * EventSource would read it: the events as they arrive, with their time, and the stream's close.
 */
import type { TestClient } from './http-client';
import { until } from './wait';

export interface StreamEvent {
  event: string;
  data: unknown;
  at: number;
}

export interface OpenStream {
  status: number;
  headers: Headers;
  events: StreamEvent[];
  /** Heartbeat comments received. */
  comments: number;
  /** Resolves when the server closed the stream. */
  closed: Promise<void>;
  /** Waits for an event named `event`, returns it. */
  next(event: string, timeoutMs?: number): Promise<StreamEvent>;
  /** Closes it from this side (a browser going away). */
  abort(): void;
}

/** Opens `path` (default `/session/events`) with the browser's cookies. */
export async function openStream(browser: TestClient, path = '/session/events'): Promise<OpenStream> {
  const controller = new AbortController();
  const res = await fetch(browser.baseUrl + path, {
    headers: { cookie: browser.cookieHeader(), accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const stream: OpenStream = {
    status: res.status,
    headers: res.headers,
    events: [],
    comments: 0,
    closed: Promise.resolve(),
    next: (event, timeoutMs = 5000) =>
      until(() => stream.events.find((e) => e.event === event), { timeout: timeoutMs, what: `the "${event}" event`, every: 5 }),
    abort: () => controller.abort(),
  };
  if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.text().catch(() => '');
    return stream;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  stream.closed = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (event !== undefined) stream.events.push({ event, data: data === undefined ? undefined : JSON.parse(data), at: Date.now() });
          else if (lines.every((l) => l.startsWith(':') || l.startsWith('retry:')))
            stream.comments += lines.filter((l) => l.startsWith(':')).length;
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return stream;
}
