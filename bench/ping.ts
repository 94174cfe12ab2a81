/**
 * Figure 3 — the ping. 1,000 logged-in sessions ping concurrently (`POST /session/ping` with
 * `{"idleFor": n}`, random n), one connection each, on SQLite and on Postgres: req/s and p50/p99,
 * and the server's CPU per ping (target: at most 100 µs). The ping always writes (an atomic
 * `last_activity = MAX(…)` merge); the browser client sends at most one ping per ping interval
 * per browser, whatever its number of tabs.
 *
 * The floor of that CPU is a request through Koa and koa-session that does nothing else: the
 * bare app's `GET /me` under the same load (1,000 connections), measured in the same rounds.
 * Under `BENCH_CPU_PROF` every slice is marked for `bench/profile-summary.ts`.
 */
import { sharedServer, SHARED_SESSIONS as SESSIONS, type ServerHandle } from './lib/servers';
import { roundRobinCookies, runLoad, type LoadResult } from './lib/load';
import { markWindow, monotonicMicros } from './lib/profile-windows';
import { median, list, percentile, round } from './lib/stats';
import { sleep } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';
import type autocannon from 'autocannon';

const KINDS = ['sqlite', 'postgres'] as const;
/** Server CPU per ping, user + system. */
const CPU_PER_PING_TARGET_US = 100;

function pingRequests(cookies: string[], offset: number): autocannon.Request[] {
  let i = offset;
  return [
    {
      method: 'POST',
      path: '/session/ping',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({
        ...req,
        headers: { ...req.headers, cookie: cookies[i++ % cookies.length] },
        body: JSON.stringify({ idleFor: Math.floor(Math.random() * 600) }),
      }),
    },
  ];
}

/** A server's CPU time (µs) and requests received over `run`. */
async function measured<T>(server: ServerHandle, run: () => Promise<T>): Promise<{ result: T; cpu: number; received: number }> {
  const [cpuBefore, before] = [await server.cpu(), (await server.stats(60_000)).requests];
  const result = await run();
  // Requests still in flight when the run stops reach the server too: wait for them.
  await sleep(300);
  const received = (await server.stats(60_000)).requests - before;
  return { result, cpu: (await server.cpu()) - cpuBefore, received };
}

export async function ping(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 2 : 5;
  const seconds = ctx.quick ? 1 : 4;
  const connections = SESSIONS;
  const started = await Promise.all(KINDS.map((k) => sharedServer(k)));
  const servers = new Map<(typeof KINDS)[number], ServerHandle>(KINDS.map((k, i) => [k, started[i].server]));
  const cookies = new Map<(typeof KINDS)[number], string[]>(KINDS.map((k, i) => [k, started[i].cookies]));
  const bare = await sharedServer('bare');
  for (const kind of KINDS) {
    await runLoad({
      url: servers.get(kind)!.url,
      duration: ctx.quick ? 0.5 : 2,
      connections,
      requests: pingRequests(cookies.get(kind)!, 0),
    });
    await sleep(500); // the warm-up's last pings land before the counters start
    await servers.get(kind)!.resetStats();
  }
  const results = new Map<(typeof KINDS)[number], LoadResult[]>(KINDS.map((k) => [k, []]));
  const cpu = new Map<(typeof KINDS)[number], number[]>(KINDS.map((k) => [k, []]));
  const floor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 ? [...KINDS].reverse() : KINDS) {
      const server = servers.get(kind)!;
      const start = monotonicMicros();
      const {
        result,
        cpu: used,
        received,
      } = await measured(server, () =>
        runLoad({ url: server.url, duration: seconds, connections, requests: pingRequests(cookies.get(kind)!, r * 131) }),
      );
      markWindow({ server: kind, label: 'ping', start, end: monotonicMicros(), requests: received });
      cpu.get(kind)!.push(used / received);
      results.get(kind)!.push(result);
    }
    // The floor: a bare Koa + koa-session request under the same load.
    const start = monotonicMicros();
    const base = await measured(bare.server, () =>
      runLoad({
        url: bare.server.url,
        duration: seconds,
        connections,
        requests: [{ method: 'GET', path: '/me', setupRequest: roundRobinCookies(bare.cookies, r * 131) }],
      }),
    );
    markWindow({ server: 'bare', label: 'ping-floor', start, end: monotonicMicros(), requests: base.received });
    floor.push(base.cpu / base.received);
    ctx.log(`ping round ${r + 1}/${rounds}: ${KINDS.map((k) => `${k} ${Math.round(results.get(k)![r].rps)} req/s`).join(', ')}`);
  }
  const rows: Row[] = [
    info(
      'bare: server CPU per request, 1,000 connections',
      round(median(floor), 0),
      'µs',
      `the floor of a ping: GET /me through Koa + koa-session alone, under the ping's load, in the same rounds; rounds: ${list(floor, 0)}`,
    ),
  ];
  for (const kind of KINDS) {
    const runs = results.get(kind)!;
    const samples = runs.flatMap((x) => x.samples);
    const failed = runs.reduce((n, x) => n + x.non2xx + x.errors + x.timeouts, 0);
    const stats = await servers.get(kind)!.stats(60_000);
    const perPing = cpu.get(kind)!;
    rows.push(
      info(
        `${kind}: pings / s`,
        round(median(runs.map((x) => x.rps)), 0),
        'req/s',
        `${connections} sessions, one connection each; median of ${rounds} rounds of ${seconds} s: ${list(
          runs.map((x) => x.rps),
          0,
        )}`,
      ),
      info(`${kind}: ping latency p50`, round(percentile(samples, 50), 2), 'ms', `${samples.length} pings pooled`),
      info(`${kind}: ping latency p99`, round(percentile(samples, 99), 2), 'ms', 'with 1,000 pings in flight at all times'),
      atMost(
        `${kind}: server CPU per ping`,
        round(median(perPing), 0),
        CPU_PER_PING_TARGET_US,
        'µs',
        `user + system; ≈ ${round(1e6 / median(perPing), 0)} pings per CPU-second of the server; rounds: ${list(perPing, 0)}; ` +
          `${round(median(perPing.map((x, r) => x - floor[r])), 0)} µs above the bare request of the same round`,
      ),
      info(
        `${kind}: UPDATE statements per ping`,
        round(stats.updates / stats.requests, 3),
        '',
        `${stats.updates} UPDATEs for ${stats.requests} pings received: each ping's activity is written, the pings that arrive ` +
          'while earlier ones are being written share a statement (≈ ' +
          `${round(stats.requests / Math.max(1, stats.updates), 0)} a statement here)`,
      ),
      atMost(`${kind}: failed pings`, failed, 0),
    );
  }
  return rows;
}
