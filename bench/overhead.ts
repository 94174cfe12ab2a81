/**
 * Figures 1 and 2 — request overhead and database writes.
 *
 * The same tiny Koa app (koa-session cookie sessions, `GET /me` reads the session's user), with
 * 1,000 logged-in sessions used round-robin, measured bare, with sessionwatch on SQLite and with
 * sessionwatch on Postgres. Each variant runs in its own server process; autocannon runs here.
 *
 * The machine is shared and noisy, so variants are interleaved in short slices, round after round
 * (bare, sqlite, pg, then sqlite, pg, bare…: the order rotates), and every figure compares a
 * variant with the bare app of the same round (median over rounds) or pools all rounds.
 *
 * - Throughput: unlimited rate, 32 connections; req/s of each slice. Beside it, the server's
 *   requests per CPU-second (its capacity on a core of its own), steadier than req/s when other
 *   processes take the CPU (though not immune: a busy sibling core slows every instruction).
 * - Latency: a fixed 500 req/s on one connection, far under saturation, so the p99 shows the
 *   per-request cost rather than queueing; "added" is p99(variant) − p99(bare) of the same round,
 *   median over rounds (pooled percentiles in the details). Beside it, the time spent inside
 *   sessionwatch's middleware itself.
 * - Writes: UPDATEs of the sessions table seen by the server's Knex, per session, over the whole
 *   wall-clock time of the load (the throttle is per wall-clock `touchInterval`). The sessions'
 *   activity is spread over the minute before the load, as a real population's would be (see
 *   `staggerActivity`): ~17 of the 1,000 sessions come due for their write each second.
 */
import { defaultTouchInterval } from '../backend/inactivity/policy';
import { DEFAULT_EXPIRE_AFTER } from '../shared/protocol';
import { sharedServer, SHARED_SESSIONS as SESSIONS, type ServerHandle } from './lib/servers';
import { roundRobinCookies, runLoad, type LoadResult } from './lib/load';
import { median, list, percentile, round } from './lib/stats';
import { atLeast, atMost, info, type BenchContext, type Row } from './lib/types';
import type { Variant } from './lib/apps';

const VARIANTS: Variant[] = ['bare', 'sqlite', 'postgres'];
const CONNECTIONS = 32;
/** One connection: requests never wait for one another (several rate-limited connections send in bursts). */
const LATENCY_CONNECTIONS = 1;

export async function overhead(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 3 : 15;
  const throughputSeconds = ctx.quick ? 1 : 1.5;
  const latencySeconds = ctx.quick ? 0.5 : 1.5;
  const warmupSeconds = ctx.quick ? 1 : 4;

  // Each server in its own process with 1,000 sessions logged in (shared with later figures).
  const started = await Promise.all(VARIANTS.map((v) => sharedServer(v)));
  const servers = new Map<Variant, ServerHandle>(VARIANTS.map((v, i) => [v, started[i].server]));
  const cookies = new Map<Variant, string[]>(VARIANTS.map((v, i) => [v, started[i].cookies]));
  const loadStart = Date.now();
  for (const variant of VARIANTS) await servers.get(variant)!.resetStats();

  const request = (variant: Variant, offset = 0) => [
    { method: 'GET' as const, path: '/me', setupRequest: roundRobinCookies(cookies.get(variant)!, offset) },
  ];
  const all = new Map<Variant, LoadResult[]>(VARIANTS.map((v) => [v, []]));

  ctx.log(`overhead: warm-up ${warmupSeconds} s per variant`);
  // Latency slices run at a fixed 500 req/s on one connection (less if the bare app's capacity is under 2,500/s now).
  let fixedRate = 0;
  for (const variant of VARIANTS) {
    const warm = await runLoad({
      url: servers.get(variant)!.url,
      duration: warmupSeconds,
      connections: CONNECTIONS,
      requests: request(variant),
    });
    all.get(variant)!.push(warm);
    if (variant === 'bare') fixedRate = Math.min(500, Math.max(200, Math.round((warm.rps * 0.2) / 100) * 100));
  }
  // Time inside the middleware is recorded in the latency slices only (at saturation it would
  // include other requests' work interleaved at each await).
  for (const variant of VARIANTS) await servers.get(variant)!.middlewareTime({ reset: true, enabled: false });

  const throughput = new Map<Variant, LoadResult[]>(VARIANTS.map((v) => [v, []]));
  const latencySamples = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  const latencyRuns = new Map<Variant, LoadResult[]>(VARIANTS.map((v) => [v, []]));
  /** Server requests per CPU-second in each throughput slice. */
  const perCpuSecond = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  /** The same CPU split into user (JavaScript) and system (kernel) time per request, µs. */
  const userCpuPerRequest = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  const systemCpuPerRequest = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    const order = [...VARIANTS.slice(r % 3), ...VARIANTS.slice(0, r % 3)];
    for (const variant of order) {
      const server = servers.get(variant)!;
      const before = await server.cpuUsage();
      const result = await runLoad({
        url: server.url,
        duration: throughputSeconds,
        connections: CONNECTIONS,
        requests: request(variant, r * 97),
      });
      const after = await server.cpuUsage();
      perCpuSecond.get(variant)!.push(result.responses / ((after.user + after.system - before.user - before.system) / 1e6));
      userCpuPerRequest.get(variant)!.push((after.user - before.user) / result.responses);
      systemCpuPerRequest.get(variant)!.push((after.system - before.system) / result.responses);
      throughput.get(variant)!.push(result);
      all.get(variant)!.push(result);
    }
    for (const variant of order) {
      await servers.get(variant)!.middlewareTime({ enabled: true });
      const result = await runLoad({
        url: servers.get(variant)!.url,
        duration: latencySeconds,
        connections: LATENCY_CONNECTIONS,
        overallRate: fixedRate,
        requests: request(variant, r * 89),
      });
      await servers.get(variant)!.middlewareTime({ enabled: false });
      latencySamples.get(variant)!.push(...result.samples);
      latencyRuns.get(variant)!.push(result);
      all.get(variant)!.push(result);
    }
    ctx.log(`overhead round ${r + 1}/${rounds}: req/s ${order.map((v) => `${v} ${Math.round(throughput.get(v)![r].rps)}`).join(', ')}`);
  }
  const loadEnd = Date.now();

  const rps = (v: Variant) => throughput.get(v)!.map((x) => x.rps);
  const ratios = (v: Variant, of: (v: Variant) => number[]) => of(v).map((x, r) => x / of('bare')[r]);
  const cpuRate = (v: Variant) => perCpuSecond.get(v)!;
  const pooled = (v: Variant, p: number) => percentile(latencySamples.get(v)!, p);
  /** p99 (or p50) of a variant minus the bare app's, per round. */
  const addedPerRound = (v: Variant, p: 'p99' | 'p50') => latencyRuns.get(v)!.map((x, r) => x[p] - latencyRuns.get('bare')![r][p]);
  const totalRequests = (v: Variant) => all.get(v)!.reduce((n, x) => n + x.responses, 0);
  const failures = VARIANTS.flatMap((v) => all.get(v)!.map((x) => x.non2xx + x.errors + x.timeouts)).reduce((a, b) => a + b, 0);
  const mw = new Map(await Promise.all(VARIANTS.map(async (v) => [v, await servers.get(v)!.middlewareTime()] as const)));

  const rows: Row[] = [
    info(
      'bare: req/s',
      round(median(rps('bare')), 0),
      'req/s',
      `median of ${rounds} rounds of ${throughputSeconds} s, ${CONNECTIONS} connections; rounds: ${list(rps('bare'), 0)}`,
    ),
    info('sqlite: req/s', round(median(rps('sqlite')), 0), 'req/s', list(rps('sqlite'), 0)),
    info('postgres: req/s', round(median(rps('postgres')), 0), 'req/s', list(rps('postgres'), 0)),
    atLeast('req/s ratio sqlite / bare', round(median(ratios('sqlite', rps)), 3), 0.9, '', `per round: ${list(ratios('sqlite', rps))}`),
    atLeast(
      'req/s ratio postgres / bare',
      round(median(ratios('postgres', rps)), 3),
      0.85,
      '',
      `per round: ${list(ratios('postgres', rps))}`,
    ),
    info(
      'bare: requests per server CPU-second',
      round(median(cpuRate('bare')), 0),
      'req/s',
      'its capacity on a core of its own: steadier than req/s when other processes take the CPU, though a busy sibling core still slows it',
    ),
    atLeast(
      'per-CPU-second ratio sqlite / bare',
      round(median(ratios('sqlite', cpuRate)), 3),
      0.9,
      '',
      `${round(median(cpuRate('sqlite')), 0)} req/s; per round: ${list(ratios('sqlite', cpuRate))}`,
    ),
    atLeast(
      'per-CPU-second ratio postgres / bare',
      round(median(ratios('postgres', cpuRate)), 3),
      0.85,
      '',
      `${round(median(cpuRate('postgres')), 0)} req/s; per round: ${list(ratios('postgres', cpuRate))}`,
    ),
    info(
      'server CPU per request, user + system: bare',
      round(median(userCpuPerRequest.get('bare')!), 1),
      'µs',
      `+ ${round(median(systemCpuPerRequest.get('bare')!), 1)} µs system; sqlite ${round(median(userCpuPerRequest.get('sqlite')!), 1)} + ${round(median(systemCpuPerRequest.get('sqlite')!), 1)} µs; ` +
        `postgres ${round(median(userCpuPerRequest.get('postgres')!), 1)} + ${round(median(systemCpuPerRequest.get('postgres')!), 1)} µs (user: JavaScript; system: kernel, sockets)`,
    ),
    info(
      `bare: p99 latency @ ${fixedRate} req/s`,
      round(pooled('bare', 99), 2),
      'ms',
      `p50 ${round(pooled('bare', 50), 2)} ms; ${LATENCY_CONNECTIONS} connection(s), ${latencySamples.get('bare')!.length} samples pooled over ${rounds} rounds`,
    ),
    atMost(
      'p99 latency added, sqlite',
      round(median(addedPerRound('sqlite', 'p99')), 2),
      1,
      'ms',
      `median of per-round differences (${list(addedPerRound('sqlite', 'p99'))}); pooled: p99 ${round(pooled('sqlite', 99), 2)} ms (+${round(pooled('sqlite', 99) - pooled('bare', 99), 2)}); p50 added ${round(median(addedPerRound('sqlite', 'p50')), 3)} ms`,
    ),
    info(
      'p99 latency added, postgres',
      round(median(addedPerRound('postgres', 'p99')), 2),
      'ms',
      `median of per-round differences (${list(addedPerRound('postgres', 'p99'))}); pooled: p99 ${round(pooled('postgres', 99), 2)} ms (+${round(pooled('postgres', 99) - pooled('bare', 99), 2)}); p50 added ${round(median(addedPerRound('postgres', 'p50')), 3)} ms`,
    ),
  ];
  for (const variant of ['sqlite', 'postgres'] as const) {
    const t = mw.get(variant)!;
    rows.push(
      info(
        `${variant}: time inside sessionwatch per request, p99`,
        round(t.p99, 3),
        'ms',
        `p50 ${round(t.p50 * 1000, 1)} µs, p99.9 ${round(t.p999, 3)} ms, max ${round(t.max, 2)} ms over ${t.count} requests at ${fixedRate} req/s; ` +
          `includes koa-session's cookie parse, which sessionwatch triggers first (the bare app pays it in its route), and the throttled activity write when due`,
      ),
    );
  }
  rows.push(
    atMost(
      'non-2xx, failed or timed-out requests',
      failures,
      0,
      '',
      `${VARIANTS.map((v) => `${v} ${totalRequests(v)}`).join(', ')} requests`,
    ),
  );

  // Figure 2: writes per session per minute, against the throttle (one per touchInterval).
  const touchInterval = defaultTouchInterval(DEFAULT_EXPIRE_AFTER);
  const minutes = (loadEnd - loadStart) / 60_000;
  for (const variant of ['sqlite', 'postgres'] as const) {
    const stats = await servers.get(variant)!.stats(touchInterval * 1000);
    const perMinute = stats.updates / SESSIONS / minutes;
    // One write per touchInterval per session: over a window of W seconds, at most floor(W / T) + 1 each.
    const allowed = Math.floor((minutes * 60) / touchInterval) + 1;
    rows.push(
      {
        name: `${variant}: writes / session / minute`,
        value: round(perMinute, 3),
        unit: '',
        target: `≤ 1 per ${touchInterval} s per session`,
        pass: stats.maxInWindow <= 1 && stats.updates <= SESSIONS * allowed,
        note: `${stats.updates} activity writes for ${SESSIONS} sessions over ${round(minutes, 2)} min of load (+ 1 insert per login); at most ${allowed} per session allowed in that time`,
      },
      atMost(
        `${variant}: most writes of one session in ${touchInterval} s`,
        stats.maxInWindow,
        1,
        '',
        `shortest gap between two writes of a session: ${stats.minGapMs === null ? 'none had two' : `${round(stats.minGapMs / 1000, 1)} s`}; most per session: ${stats.maxUpdatesPerSession}`,
      ),
      info(
        `${variant}: session reads per request`,
        round(stats.selects / totalRequests(variant), 4),
        '',
        `${stats.selects} SELECTs for ${totalRequests(variant)} requests (the cache serves the rest)`,
      ),
    );
  }
  return rows;
}
