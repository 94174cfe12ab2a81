/**
 * Many idle push streams (`GET {apiPrefix}/events`) held from one process: a raw TCP socket per
 * stream, its request written by hand, read only until the stream's `open` event. Raw sockets
 * rather than fetch or `http.request`: 10,000 of them must cost the bench process little, and
 * nothing here may look like a browser's EventSource doing more than holding the stream.
 */
import net from 'node:net';
import { PUSH_EVENTS } from '../../shared/protocol';
import { BENCH_USER_AGENT } from './servers';

export interface HeldStreams {
  /** Streams that were opened (status 200 and the `open` event read). */
  readonly count: number;
  /** Heartbeat comments received so far over all streams. */
  readonly heartbeats: number;
  /** Closes every stream from this side (browsers going away). */
  close(): void;
}

/**
 * Opens one stream per cookie header at `url` (`http://host:port`), `concurrency` at a time;
 * resolves once each answered 200 and sent its `open` event. Rejects on the first stream refused.
 */
export async function holdStreams(
  url: string,
  cookies: string[],
  { path = '/session/events', concurrency = 64 } = {},
): Promise<HeldStreams> {
  const { hostname, port } = new URL(url);
  const sockets: net.Socket[] = [];
  let heartbeats = 0;
  const openOne = (cookie: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      sockets.push(socket);
      socket.setEncoding('utf8');
      let head = '';
      let opened = false;
      socket.on('data', (chunk: string) => {
        if (opened) {
          // Heartbeats are `:\n\n` comments; nothing else comes on an idle stream.
          heartbeats += chunk.split(':\n\n').length - 1;
          return;
        }
        head += chunk;
        if (!/^HTTP\/1\.1 200 /.test(head) && head.includes('\r\n')) {
          reject(new Error(`stream refused: ${head.split('\r\n')[0]}`));
          socket.destroy();
        } else if (head.includes(`event: ${PUSH_EVENTS.open}\n`)) {
          opened = true;
          resolve();
        }
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('stream closed before it opened')));
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\nCookie: ${cookie}\r\nUser-Agent: ${BENCH_USER_AGENT}\r\n\r\n`,
      );
    });
  let next = 0;
  const worker = async () => {
    while (next < cookies.length) await openOne(cookies[next++]);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, cookies.length) }, worker));
  } catch (err) {
    for (const socket of sockets) socket.destroy();
    throw err;
  }
  return {
    count: sockets.length,
    get heartbeats() {
      return heartbeats;
    },
    close() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
