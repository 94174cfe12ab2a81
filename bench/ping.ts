/**
 * Figure 3 — the ping. 1,000 logged-in sessions ping concurrently (`POST /session/ping` with
 * `{"idleFor": n}`, random n), one connection each, on SQLite and on Postgres: req/s and p50/p99.
 * No target: the ping always writes (an atomic `last_activity = MAX(…)` merge), so this is the
 * database's write rate, and the browser client sends at most one ping per ping interval per
 * browser, whatever its number of tabs.
 */
import { sharedServer, SHARED_SESSIONS as SESSIONS, type ServerHandle } from './lib/servers';
import { runLoad, type LoadResult } from './lib/load';
import { median, list, percentile, round } from './lib/stats';
import { sleep } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';
import type autocannon from 'autocannon';

const KINDS = ['sqlite', 'postgres'] as const;

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

export async function ping(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 2 : 5;
  const seconds = ctx.quick ? 1 : 4;
  const connections = SESSIONS;
  const started = await Promise.all(KINDS.map((k) => sharedServer(k)));
  const servers = new Map<(typeof KINDS)[number], ServerHandle>(KINDS.map((k, i) => [k, started[i].server]));
  const cookies = new Map<(typeof KINDS)[number], string[]>(KINDS.map((k, i) => [k, started[i].cookies]));
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
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 ? [...KINDS].reverse() : KINDS) {
      const server = servers.get(kind)!;
      const [cpuBefore, before] = [await server.cpu(), (await server.stats(60_000)).requests];
      const result = await runLoad({
        url: server.url,
        duration: seconds,
        connections,
        requests: pingRequests(cookies.get(kind)!, r * 131),
      });
      // Pings still in flight when the run stops reach the server too: wait for them.
      await sleep(300);
      const received = (await server.stats(60_000)).requests - before;
      cpu.get(kind)!.push(((await server.cpu()) - cpuBefore) / received);
      results.get(kind)!.push(result);
    }
    ctx.log(`ping round ${r + 1}/${rounds}: ${KINDS.map((k) => `${k} ${Math.round(results.get(k)![r].rps)} req/s`).join(', ')}`);
  }
  const rows: Row[] = [];
  for (const kind of KINDS) {
    const runs = results.get(kind)!;
    const samples = runs.flatMap((x) => x.samples);
    const failed = runs.reduce((n, x) => n + x.non2xx + x.errors + x.timeouts, 0);
    const stats = await servers.get(kind)!.stats(60_000);
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
      info(
        `${kind}: server CPU per ping`,
        round(median(cpu.get(kind)!), 0),
        'µs',
        `≈ ${round(1e6 / median(cpu.get(kind)!), 0)} pings per CPU-second of the server; rounds: ${list(cpu.get(kind)!, 0)}`,
      ),
      info(
        `${kind}: writes per ping`,
        round(stats.updates / stats.requests, 3),
        '',
        `${stats.updates} UPDATEs for ${stats.requests} pings received`,
      ),
      atMost(`${kind}: failed pings`, failed, 0),
    );
  }
  return rows;
}
