/**
 * The push figure's server part: what an idle push stream costs one instance. A tiny app on
 * Postgres in its own process (started with `--expose-gc`), N sessions logged in, then one stream
 * per session (`GET /session/events` with its cookie, held by raw sockets in the bench process).
 *
 * - Heap: `heapUsed` after a full GC with the N sessions logged in and no stream, then with the N
 *   streams open; the difference ÷ N. The sessions' records are in the instance's cache (up to its
 *   10,000 entries) before the first reading, so what is counted is the streams' own: socket,
 *   request, response, Koa context, body stream, the hub's entry.
 * - CPU: the server's user + system time (getrusage) over an idle window of WINDOW_S, which spans
 *   at least two heartbeats (every PUSH_HEARTBEAT_S to every stream), against an instance with the
 *   same sessions and no stream over the same window (its listener's heartbeats and lease renewals
 *   cost CPU too); the difference is what the streams cost.
 * - RSS: the same difference as the heap's, for information (it includes the kernel-facing buffers
 *   and whatever the allocator keeps).
 */
import { createTestDatabase, type TestDatabase } from '../test/support/databases';
import { PUSH_HEARTBEAT_S } from '../shared/protocol';
import { BENCH_USER_AGENT, forkServer, loginSessions, type ServerHandle } from './lib/servers';
import { holdStreams } from './lib/sse-sockets';
import { round } from './lib/stats';
import { until } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';

/** The idle window: at least two heartbeats of every stream, whatever the phase of the shared timer. */
const WINDOW_S = 2 * PUSH_HEARTBEAT_S + 10;
/** The heap target per idle stream (issue 28). */
const HEAP_PER_STREAM_KB = 20;
/** "No measurable CPU": 10,000 idle streams take at most this share of a core. */
const CPU_PERCENT_OF_A_CORE = 1;

interface Instance {
  server: ServerHandle;
  db: TestDatabase;
  cookies: string[];
}

async function instanceWith(sessions: number): Promise<Instance> {
  const db = await createTestDatabase('postgres');
  // 10,000 logins on a machine shared with browsers: a slow insert is not what this figure is about.
  const options = { queryTimeout: 60 };
  const server = await forkServer({ variant: 'postgres', url: db.url, schema: db.schema, poolMax: 4, options }, { gc: true });
  try {
    const { cookies } = await loginSessions(server.url, sessions, { userOf: (i) => `s${i}`, concurrency: 8 });
    // Each session read once more (it is in the cache either way), so that nothing but the streams differs later.
    let next = 0;
    const reader = async () => {
      while (next < cookies.length) {
        const res = await fetch(`${server.url}/me`, { headers: { cookie: cookies[next++], 'user-agent': BENCH_USER_AGENT } });
        if (res.status !== 200) throw new Error(`GET /me answered ${res.status}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 8 }, reader));
    return { server, db, cookies };
  } catch (err) {
    // A failed login must not leave a server behind: the bench process would never exit.
    await server.stop();
    await db.drop();
    throw err;
  }
}

interface Measured {
  streams: number;
  heapPerStreamKB: number;
  rssPerStreamKB: number;
  heapAfterCloseKB: number;
  cpuUs: number;
  windowMs: number;
  heartbeats: number;
}

/** Opens a stream per session of `instance`, reads the heap, waits the idle window (CPU), closes them. */
async function measure(instance: Instance, idle: () => Promise<number>): Promise<Measured> {
  const { server, cookies } = instance;
  const before = await server.memory();
  if (!before.gc) throw new Error('the server child runs without --expose-gc: its heap would be read before a collection');
  const held = await holdStreams(server.url, cookies);
  try {
    await until(async () => (await server.memory()).streams === cookies.length, {
      timeout: 30_000,
      what: `${cookies.length} streams on the server`,
    });
    const open = await server.memory();
    const cpuBefore = await server.cpu();
    const windowMs = await idle();
    const cpuUs = (await server.cpu()) - cpuBefore;
    return {
      streams: cookies.length,
      heapPerStreamKB: (open.heapUsed - before.heapUsed) / cookies.length / 1024,
      rssPerStreamKB: (open.rss - before.rss) / cookies.length / 1024,
      heapAfterCloseKB: await closedHeap(server, () => held.close(), before.heapUsed),
      cpuUs,
      windowMs,
      heartbeats: held.heartbeats,
    };
  } finally {
    held.close();
  }
}

/** Closes the streams; the heap above the first reading once the server has forgotten them all (KB). */
async function closedHeap(server: ServerHandle, close: () => void, baseline: number): Promise<number> {
  close();
  await until(async () => (await server.memory()).streams === 0, { timeout: 30_000, what: 'every stream closed on the server' });
  return ((await server.memory()).heapUsed - baseline) / 1024;
}

/** The rows: 1,000 and 10,000 streams (`--quick`: 1,000, and the heap only). */
export function streamCost(ctx: BenchContext): Promise<Row[]> {
  return measureStreamCost(ctx, ctx.quick ? [1000] : [1000, 10_000], ctx.quick ? 0 : WINDOW_S * 1000);
}

/** The rows for `counts` streams; `windowMs` 0: no CPU window. */
export async function measureStreamCost(ctx: BenchContext, counts: number[], windowMs: number): Promise<Row[]> {
  const instances: Instance[] = [];
  try {
    // All instances side by side: the idle windows overlap, and each reads its own CPU time.
    ctx.log(`push cost: logging in ${counts.join(' and ')} sessions (and an instance with none of their streams)`);
    // One after the other: their logins would only compete for the same Postgres.
    for (const n of [10, ...counts]) instances.push(await instanceWith(n));
    const [reference, ...loaded] = instances;
    const sleep = () =>
      new Promise<number>((resolve) => {
        const start = Date.now();
        setTimeout(() => resolve(Date.now() - start), windowMs);
      });
    const referenceCpu = (async () => {
      const cpuBefore = await reference.server.cpu();
      // Starts with the others' windows, give or take their stream opening: idle is idle.
      const ms = await sleep();
      return { us: (await reference.server.cpu()) - cpuBefore, ms };
    })();
    const results = await Promise.all(loaded.map((instance) => measure(instance, sleep)));
    const ref = await referenceCpu;
    const rows: Row[] = [];
    for (const r of results) {
      const n = r.streams.toLocaleString('en');
      ctx.log(
        `push cost ${n} streams: heap ${round(r.heapPerStreamKB, 2)} KB/stream, RSS ${round(r.rssPerStreamKB, 2)} KB/stream, ` +
          `CPU ${r.cpuUs} µs over ${r.windowMs} ms (no streams: ${ref.us} µs over ${ref.ms} ms), ${r.heartbeats} heartbeats`,
      );
      rows.push(
        atMost(
          `${n} idle push streams: server heap per stream`,
          round(r.heapPerStreamKB, 2),
          HEAP_PER_STREAM_KB,
          'KB',
          `heapUsed after a full GC, ${n} streams open − none open (the sessions logged in and cached either way); ${round(r.heapAfterCloseKB, 0)} KB above the first reading once all were closed`,
        ),
        info(
          `${n} idle push streams: server RSS per stream`,
          round(r.rssPerStreamKB, 2),
          'KB',
          'RSS with the streams open − without, ÷ streams',
        ),
      );
      if (!windowMs) continue;
      // Per minute and as a share of one core, above the instance without streams.
      const extraUs = r.cpuUs / r.windowMs - ref.us / ref.ms; // µs of CPU per ms of wall time
      const percent = (extraUs / 1000) * 100;
      const note =
        `server user + system CPU over ${round(r.windowMs / 1000, 1)} s idle (${r.heartbeats} heartbeats received, ${round(r.heartbeats / r.streams, 1)} per stream): ` +
        `${round((r.cpuUs / r.windowMs) * 60_000, 0)} µs/min with the streams, ${round((ref.us / ref.ms) * 60_000, 0)} µs/min for an instance without (its listener)`;
      rows.push(
        info(`${n} idle push streams: server CPU per stream per minute`, round((extraUs * 60_000) / r.streams, 2), 'µs', note),
        r.streams >= 10_000
          ? atMost(`${n} idle push streams: server CPU above none`, round(percent, 3), CPU_PERCENT_OF_A_CORE, '% of a core', note)
          : info(`${n} idle push streams: server CPU above none`, round(percent, 3), '% of a core', note),
      );
    }
    return rows;
  } finally {
    await Promise.all(
      instances.map(async ({ server, db }) => {
        await server.stop();
        await db.drop();
      }),
    );
  }
}
