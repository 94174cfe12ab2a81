/**
 * Figures 1 and 2 — request overhead and database writes.
 *
 * The same tiny Koa app (koa-session cookie sessions, `GET /me` reads the session's user), with
 * 1,000 logged-in sessions used round-robin, measured bare, with sessionwatch on SQLite and with
 * sessionwatch on Postgres, and both again with sessionwatch's record cache off (`cache: false`:
 * every request reads its record from the database), to show what the cache is worth. Each
 * server runs in its own process; autocannon runs here.
 *
 * The machine is shared and noisy, so servers are interleaved in short slices, round after round
 * (the order rotates), and every figure compares a server with the bare app of the same round
 * (median over rounds) or pools all rounds.
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
 *
 * Under `BENCH_CPU_PROF` every slice is marked (`lib/profile-windows.ts`), for
 * `bench/profile-summary.ts` to give each server's CPU per request, by owner.
 */
import { defaultTouchInterval } from '../backend/inactivity/policy';
import { DEFAULT_EXPIRE_AFTER } from '../shared/protocol';
import { profileName, sharedServer, SHARED_SESSIONS as SESSIONS, type ServerHandle } from './lib/servers';
import { roundRobinCookies, runLoad, type LoadResult } from './lib/load';
import { markWindow, monotonicMicros } from './lib/profile-windows';
import { median, list, percentile, round } from './lib/stats';
import { atLeast, atMost, info, type BenchContext, type Row } from './lib/types';
import type { Variant } from './lib/apps';

/** One server of the figure: an app variant, with sessionwatch's cache on or off. */
interface Setup {
  /** `bare`, `sqlite`, `postgres`, `sqlite-nocache`, `postgres-nocache` (as its profile is named). */
  name: string;
  variant: Variant;
  cache: boolean;
}

const setup = (variant: Variant, cache = true): Setup => ({
  name: profileName({ variant, options: cache ? undefined : { cache: false } }),
  variant,
  cache,
});
const BARE = setup('bare');
const WITH_CACHE = [setup('sqlite'), setup('postgres')];
const WITHOUT_CACHE = [setup('sqlite', false), setup('postgres', false)];
const SETUPS: Setup[] = [BARE, ...WITH_CACHE, ...WITHOUT_CACHE];
/** How each server is named in the table. */
const title = (s: Setup) => (s.cache ? s.variant : `${s.variant}, cache off`);
/** Requests per server CPU-second with sessionwatch ÷ bare: the cost of a (cached) request. */
const CPU_RATIO_TARGET = 0.93;
const CONNECTIONS = 32;
/** One connection: requests never wait for one another (several rate-limited connections send in bursts). */
const LATENCY_CONNECTIONS = 1;

export async function overhead(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 3 : 15;
  const throughputSeconds = ctx.quick ? 1 : 1.5;
  const latencySeconds = ctx.quick ? 0.5 : 1.5;
  const warmupSeconds = ctx.quick ? 1 : 4;

  // Each server in its own process with 1,000 sessions logged in (shared with later figures).
  const started = await Promise.all(SETUPS.map((s) => sharedServer(s.variant, { cache: s.cache })));
  const servers = new Map<Setup, ServerHandle>(SETUPS.map((s, i) => [s, started[i].server]));
  const cookies = new Map<Setup, string[]>(SETUPS.map((s, i) => [s, started[i].cookies]));
  const loadStart = Date.now();
  for (const s of SETUPS) await servers.get(s)!.resetStats();

  const request = (s: Setup, offset = 0) => [
    { method: 'GET' as const, path: '/me', setupRequest: roundRobinCookies(cookies.get(s)!, offset) },
  ];
  const perSetup = <T>(): Map<Setup, T[]> => new Map(SETUPS.map((s) => [s, []]));
  const all = perSetup<LoadResult>();
  /** A load slice on one server, marked for the profile summary when profiling. */
  const slice = async (s: Setup, label: string, options: Omit<Parameters<typeof runLoad>[0], 'url'>) => {
    const start = monotonicMicros();
    const result = await runLoad({ url: servers.get(s)!.url, ...options });
    markWindow({ server: s.name, label, start, end: monotonicMicros(), requests: result.responses });
    all.get(s)!.push(result);
    return result;
  };

  ctx.log(`overhead: warm-up ${warmupSeconds} s per server`);
  // Latency slices run at a fixed 500 req/s on one connection (less if the bare app's capacity is under 2,500/s now).
  let fixedRate = 0;
  for (const s of SETUPS) {
    const warm = await slice(s, 'overhead-warmup', { duration: warmupSeconds, connections: CONNECTIONS, requests: request(s) });
    if (s === BARE) fixedRate = Math.min(500, Math.max(200, Math.round((warm.rps * 0.2) / 100) * 100));
  }
  // Time inside the middleware is recorded in the latency slices only (at saturation it would
  // include other requests' work interleaved at each await).
  for (const s of SETUPS) await servers.get(s)!.middlewareTime({ reset: true, enabled: false });

  const throughput = perSetup<LoadResult>();
  const latencySamples = perSetup<number>();
  const latencyRuns = perSetup<LoadResult>();
  /** Server requests per CPU-second in each throughput slice. */
  const perCpuSecond = perSetup<number>();
  /** The same CPU split into user (JavaScript) and system (kernel) time per request, µs. */
  const userCpuPerRequest = perSetup<number>();
  const systemCpuPerRequest = perSetup<number>();
  for (let r = 0; r < rounds; r++) {
    const order = [...SETUPS.slice(r % SETUPS.length), ...SETUPS.slice(0, r % SETUPS.length)];
    for (const s of order) {
      const server = servers.get(s)!;
      const before = await server.cpuUsage();
      const result = await slice(s, 'overhead', { duration: throughputSeconds, connections: CONNECTIONS, requests: request(s, r * 97) });
      const after = await server.cpuUsage();
      perCpuSecond.get(s)!.push(result.responses / ((after.user + after.system - before.user - before.system) / 1e6));
      userCpuPerRequest.get(s)!.push((after.user - before.user) / result.responses);
      systemCpuPerRequest.get(s)!.push((after.system - before.system) / result.responses);
      throughput.get(s)!.push(result);
    }
    for (const s of order) {
      await servers.get(s)!.middlewareTime({ enabled: true });
      const result = await slice(s, 'overhead-latency', {
        duration: latencySeconds,
        connections: LATENCY_CONNECTIONS,
        overallRate: fixedRate,
        requests: request(s, r * 89),
      });
      await servers.get(s)!.middlewareTime({ enabled: false });
      latencySamples.get(s)!.push(...result.samples);
      latencyRuns.get(s)!.push(result);
    }
    ctx.log(
      `overhead round ${r + 1}/${rounds}: req/s ${order.map((s) => `${s.name} ${Math.round(throughput.get(s)![r].rps)}`).join(', ')}`,
    );
  }
  const loadEnd = Date.now();

  const rps = (s: Setup) => throughput.get(s)!.map((x) => x.rps);
  const cpuRate = (s: Setup) => perCpuSecond.get(s)!;
  const ratios = (s: Setup, of: (s: Setup) => number[], base = BARE) => of(s).map((x, r) => x / of(base)[r]);
  const pooled = (s: Setup, p: number) => percentile(latencySamples.get(s)!, p);
  /** p99 (or p50) of a server minus the bare app's, per round. */
  const addedPerRound = (s: Setup, p: 'p99' | 'p50') => latencyRuns.get(s)!.map((x, r) => x[p] - latencyRuns.get(BARE)![r][p]);
  const totalRequests = (s: Setup) => all.get(s)!.reduce((n, x) => n + x.responses, 0);
  const failures = SETUPS.flatMap((s) => all.get(s)!.map((x) => x.non2xx + x.errors + x.timeouts)).reduce((a, b) => a + b, 0);
  const mw = new Map(await Promise.all(SETUPS.map(async (s) => [s, await servers.get(s)!.middlewareTime()] as const)));
  const cpuPerRequest = (s: Setup) =>
    `${title(s)} ${round(median(userCpuPerRequest.get(s)!), 1)} + ${round(median(systemCpuPerRequest.get(s)!), 1)} µs`;

  const rows: Row[] = [
    info(
      'bare: req/s',
      round(median(rps(BARE)), 0),
      'req/s',
      `median of ${rounds} rounds of ${throughputSeconds} s, ${CONNECTIONS} connections; rounds: ${list(rps(BARE), 0)}`,
    ),
  ];
  for (const s of [...WITH_CACHE, ...WITHOUT_CACHE])
    rows.push(info(`${title(s)}: req/s`, round(median(rps(s)), 0), 'req/s', list(rps(s), 0)));
  const [sqlite, postgres] = WITH_CACHE;
  rows.push(
    atLeast('req/s ratio sqlite / bare', round(median(ratios(sqlite, rps)), 3), 0.9, '', `per round: ${list(ratios(sqlite, rps))}`),
    atLeast('req/s ratio postgres / bare', round(median(ratios(postgres, rps)), 3), 0.85, '', `per round: ${list(ratios(postgres, rps))}`),
    info(
      'bare: requests per server CPU-second',
      round(median(cpuRate(BARE)), 0),
      'req/s',
      'its capacity on a core of its own: steadier than req/s when other processes take the CPU, though a busy sibling core still slows it',
    ),
  );
  for (const s of WITH_CACHE) {
    rows.push(
      atLeast(
        `per-CPU-second ratio ${s.variant} / bare`,
        round(median(ratios(s, cpuRate)), 3),
        CPU_RATIO_TARGET,
        '',
        `${round(median(cpuRate(s)), 0)} req/s; per round: ${list(ratios(s, cpuRate))}`,
      ),
    );
  }
  // Figure 5 of issue 18: what the cache is worth, side by side.
  for (const [on, off] of WITH_CACHE.map((s, i) => [s, WITHOUT_CACHE[i]] as const)) {
    rows.push(
      info(
        `per-CPU-second ratio ${on.variant} cache off / bare`,
        round(median(ratios(off, cpuRate)), 3),
        '',
        `${round(median(cpuRate(off)), 0)} req/s (every request reads its record); per round: ${list(ratios(off, cpuRate))}`,
      ),
      info(
        `${on.variant}: requests per CPU-second, cache on / cache off`,
        round(median(ratios(on, cpuRate, off)), 3),
        '',
        `req/s cache on / off: ${round(median(ratios(on, rps, off)), 3)}; per round (CPU): ${list(ratios(on, cpuRate, off))}`,
      ),
    );
  }
  rows.push(
    info(
      'server CPU per request, user + system: bare',
      round(median(userCpuPerRequest.get(BARE)!), 1),
      'µs',
      `+ ${round(median(systemCpuPerRequest.get(BARE)!), 1)} µs system; ${[...WITH_CACHE, ...WITHOUT_CACHE].map(cpuPerRequest).join('; ')} ` +
        '(user: JavaScript; system: kernel, sockets)',
    ),
    info(
      `bare: p99 latency @ ${fixedRate} req/s`,
      round(pooled(BARE, 99), 2),
      'ms',
      `p50 ${round(pooled(BARE, 50), 2)} ms; ${LATENCY_CONNECTIONS} connection(s), ${latencySamples.get(BARE)!.length} samples pooled over ${rounds} rounds`,
    ),
  );
  for (const s of [...WITH_CACHE, ...WITHOUT_CACHE]) {
    const value = round(median(addedPerRound(s, 'p99')), 2);
    const note = `median of per-round differences (${list(addedPerRound(s, 'p99'))}); pooled: p99 ${round(pooled(s, 99), 2)} ms (+${round(pooled(s, 99) - pooled(BARE, 99), 2)}); p50 added ${round(median(addedPerRound(s, 'p50')), 3)} ms`;
    rows.push(
      s === sqlite
        ? atMost(`p99 latency added, ${title(s)}`, value, 1, 'ms', note)
        : info(`p99 latency added, ${title(s)}`, value, 'ms', note),
    );
  }
  for (const s of [...WITH_CACHE, ...WITHOUT_CACHE]) {
    const t = mw.get(s)!;
    rows.push(
      info(
        `${title(s)}: time inside sessionwatch per request, p99`,
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
      `${SETUPS.map((s) => `${title(s)} ${totalRequests(s)}`).join(', ')} requests`,
    ),
  );

  // Figure 2: writes per session per minute, against the throttle (one per touchInterval).
  const touchInterval = defaultTouchInterval(DEFAULT_EXPIRE_AFTER);
  const minutes = (loadEnd - loadStart) / 60_000;
  for (const s of WITH_CACHE) {
    const stats = await servers.get(s)!.stats(touchInterval * 1000);
    const perMinute = stats.updates / SESSIONS / minutes;
    // One write per touchInterval per session: over a window of W seconds, at most floor(W / T) + 1 each.
    const allowed = Math.floor((minutes * 60) / touchInterval) + 1;
    rows.push(
      {
        name: `${s.variant}: writes / session / minute`,
        value: round(perMinute, 3),
        unit: '',
        target: `≤ 1 per ${touchInterval} s per session`,
        pass: stats.maxInWindow <= 1 && stats.updates <= SESSIONS * allowed,
        note: `${stats.updates} activity writes for ${SESSIONS} sessions over ${round(minutes, 2)} min of load (+ 1 insert per login); at most ${allowed} per session allowed in that time`,
      },
      atMost(
        `${s.variant}: most writes of one session in ${touchInterval} s`,
        stats.maxInWindow,
        1,
        '',
        `shortest gap between two writes of a session: ${stats.minGapMs === null ? 'none had two' : `${round(stats.minGapMs / 1000, 1)} s`}; most per session: ${stats.maxUpdatesPerSession}`,
      ),
      info(
        `${s.variant}: session reads per request`,
        round(stats.selects / totalRequests(s), 4),
        '',
        `${stats.selects} SELECTs for ${totalRequests(s)} requests (the cache serves the rest)`,
      ),
    );
  }
  for (const s of WITHOUT_CACHE) {
    const stats = await servers.get(s)!.stats(touchInterval * 1000);
    rows.push(
      info(
        `${title(s)}: session reads per request`,
        round(stats.selects / totalRequests(s), 4),
        '',
        `${stats.selects} SELECTs for ${totalRequests(s)} requests; ${stats.updates} activity writes (the same throttle)`,
      ),
    );
  }
  return rows;
}
