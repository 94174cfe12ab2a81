/**
 * A benchmark server in its own process (forked by `servers.ts`), so the load generator and the
 * server do not share one event loop. argv[2] is a JSON {@link TinyAppSpec}. It tells the parent
 * its port, answers `stats` / `reset` about database writes, `cpu` (its user and system CPU time in µs),
 * `timer` (time spent in sessionwatch's middleware), `channel` (the Postgres invalidation
 * channel's traffic and state) and `memory` (heap used after a full GC when started with
 * `--expose-gc`, RSS, open push streams), and exits on `stop`.
 */
import type { AddressInfo } from 'node:net';
import { createTinyApp, type TinyAppSpec } from './apps';
import { CachedStore } from '../../backend/store/cached-store';
import { PgInvalidationChannel } from '../../backend/store/pg-invalidation';

type Message =
  | { type: 'stats'; id: number; windowMs: number }
  | { type: 'reset'; id: number }
  | { type: 'cpu'; id: number }
  | { type: 'timer'; id: number; reset?: boolean; enabled?: boolean }
  | { type: 'channel'; id: number }
  | { type: 'memory'; id: number }
  | { type: 'stop' };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as TinyAppSpec;
  const tiny = await createTinyApp(spec);
  const server = tiny.app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.send!({ type: 'ready', port: (server.address() as AddressInfo).port });
  });
  server.keepAliveTimeout = 60_000;
  process.on('message', (message: Message) => {
    if (message.type === 'stats') process.send!({ type: 'stats', id: message.id, stats: tiny.writes.snapshot(message.windowMs) });
    else if (message.type === 'channel') {
      // The Postgres invalidation channel: its traffic, whether the cache may serve, whom it knows.
      const channel = tiny.sw?.store instanceof CachedStore ? tiny.sw.store.channel : undefined;
      const stats =
        channel instanceof PgInvalidationChannel
          ? { ...channel.stats, connected: channel.connected, peers: channel.peers.length }
          : { delivered: 0, sent: 0, connected: false, peers: 0 };
      process.send!({ type: 'channel', id: message.id, stats });
    } else if (message.type === 'memory') {
      // Twice: a first full GC can leave what finalizers (e.g. of closed sockets) free for the next.
      global.gc?.();
      global.gc?.();
      const { heapUsed, rss } = process.memoryUsage();
      const stats = { heapUsed, rss, gc: typeof global.gc === 'function', streams: tiny.sw?.pushStreams ?? 0 };
      process.send!({ type: 'memory', id: message.id, stats });
    } else if (message.type === 'cpu') {
      process.send!({ type: 'cpu', id: message.id, stats: process.cpuUsage() });
    } else if (message.type === 'timer') {
      process.send!({ type: 'timer', id: message.id, stats: tiny.timer.summary() });
      if (message.reset) tiny.timer.reset();
      if (message.enabled !== undefined) tiny.timer.enabled = message.enabled;
    } else if (message.type === 'reset') {
      tiny.writes.reset();
      process.send!({ type: 'reset', id: message.id });
    } else if (message.type === 'stop') {
      server.closeAllConnections();
      server.close();
      // process.exit() would skip writing a --cpu-prof profile: let the loop drain instead.
      void tiny.close().finally(() => process.disconnect());
    }
  });
}

main().catch((err) => {
  console.error('bench server failed:', err);
  process.exit(1);
});
