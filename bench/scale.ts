/**
 * Figure 11 — scale-out: N app instances (child processes) on one Postgres, each with its cache
 * and its invalidation listener, N = 1, 2, 5, 10, 20 (`--quick`: up to 10).
 *
 * Per N, on the same schema and the same sessions (pairs of one user: an actor and a victim):
 * - Idle (no request): the CPU each instance spends (its listener: heartbeats, lease renewals;
 *   everything else is asleep), and the transactions Postgres commits per second for all of them
 *   (`pg_stat_database`: what the instances cost the server while nothing happens).
 * - Under load (`GET /me` round-robin over the instances at a fixed RATE from WORKERS clients, every
 *   instance warm), with revocations in the mix: an actor session revokes its victim through one
 *   instance (`DELETE {apiPrefix}/sessions/:id`), timed; the moment the answer arrives, the victim's
 *   cookie is tried on every instance (each had it cached): any 2xx is a revoked session answered
 *   as valid. Requests per CPU-second: all requests over all instances' CPU time in the window.
 *   Channel messages delivered per second: notifications received by all instances in the window
 *   (invalidations, acknowledgements). Their growth with N is fitted as messages/s ∝ N^k.
 */
import { PG_TEST_URL, type TestDatabase } from '../test/support/databases';
import { BENCH_USER_AGENT, cookieHeaderOf, forkServer, type ServerHandle } from './lib/servers';
import { transportRows } from './channel-transports';
import { percentile, round } from './lib/stats';
import { atMost, info, type BenchContext, type Row } from './lib/types';
import { until } from '../test/support/wait';
import { connect } from '../backend/store/connect';

/**
 * The load: a fixed total rate, far under what 2 cores can serve, from WORKERS clients each at its
 * own pace. At saturation every answer (a revocation's too) would mostly measure the queue in
 * front of it; at a fixed rate it measures what the instances do, as the latency figure does.
 */
const RATE = 400;
const WORKERS = 8;
/** Pooled connections per instance: 20 instances (+ a listener each) stay within Postgres's default 100. */
const POOL_MAX = 3;
/**
 * Revocations per second during the load, the same at every N: channel traffic is then comparable
 * across N (each costs N − 1 deliveries of the invalidation, the publisher's own echo and N − 1
 * acknowledgements).
 */
const REVOKE_RATE = 4;

interface Pair {
  user: string;
  actor: string;
  victim: string;
  victimId: string;
}

async function login(url: string, user: string): Promise<{ cookie: string; id: string }> {
  const res = await fetch(`${url}/login?user=${encodeURIComponent(user)}`, { method: 'POST', headers: { 'user-agent': BENCH_USER_AGENT } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { id: string };
  return { cookie: cookieHeaderOf(res), id: body.id };
}

async function get(url: string, cookie: string): Promise<number> {
  const res = await fetch(`${url}/me`, { headers: { cookie, 'user-agent': BENCH_USER_AGENT } });
  await res.arrayBuffer();
  return res.status;
}

/** A fresh Postgres database on the test server (dropped at the end), rather than a schema of the shared one. */
async function scratchDatabase(): Promise<TestDatabase> {
  const name = `sw_scale_${process.pid}_${Date.now()}`;
  const admin = connect(PG_TEST_URL, { poolMax: 1 });
  try {
    await admin.raw('CREATE DATABASE ??', [name]);
  } finally {
    await admin.destroy();
  }
  const url = new URL(PG_TEST_URL);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    url: url.toString(),
    async drop() {
      const dropper = connect(PG_TEST_URL, { poolMax: 1 });
      try {
        await dropper.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      } finally {
        await dropper.destroy();
      }
    },
  };
}

/** Least-squares slope of log(y) against log(x): the growth exponent of y in x. */
export function growthExponent(points: { x: number; y: number }[]): number | null {
  const usable = points.filter((p) => p.x > 0 && p.y > 0);
  if (usable.length < 2) return null;
  const xs = usable.map((p) => Math.log(p.x));
  const ys = usable.map((p) => Math.log(p.y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxy = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i] - my), 0);
  const sxx = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return sxx === 0 ? null : sxy / sxx;
}

interface Measured {
  n: number;
  messagesPerSecond: number;
  transactionsPerSecond: number;
  listenerCpuPercent: number;
  revocations: number[];
  revokedAnswered2xx: number;
  requestsPerCpuSecond: number;
  requests: number;
}

export async function scaleOut(ctx: BenchContext): Promise<Row[]> {
  const counts = ctx.quick ? [1, 2, 5, 10] : [1, 2, 5, 10, 20];
  const idleSeconds = ctx.quick ? 2 : 4;
  // Revocations at REVOKE_RATE for the whole load: 60 a round in a full run, for a p99 worth the name.
  const loadSeconds = ctx.quick ? 2 : 15;
  const pairsPerN = ctx.quick ? 15 : 64;
  // A database of its own: Postgres counts transactions per database, and other work must not show.
  const db = await scratchDatabase();
  const stats = connect(db.url, { poolMax: 1 });
  const transactions = async () => {
    const result = await stats.raw<{ rows: { n: string }[] }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(result.rows[0].n);
  };
  const instances: ServerHandle[] = [];
  const results: Measured[] = [];
  let transport: Row[] = [];
  try {
    for (const n of counts) {
      while (instances.length < n) {
        instances.push(await forkServer({ variant: 'postgres', url: db.url, poolMax: POOL_MAX }));
      }
      ctx.log(`scale: ${n} instance(s) started; waiting until each knows the others`);
      await until(
        async () => {
          const states = await Promise.all(instances.map((s) => s.channel()));
          return states.every((c) => c.connected && c.peers === n - 1);
        },
        { timeout: 30_000, every: 200, what: `${n} instances to hold leases and hear their own loop` },
      );
      const urls = instances.map((s) => s.url);

      // Idle: what the instances cost with nothing happening (Postgres's statistics lag up to a second: a long window).
      const xactBefore = await transactions();
      const cpuBefore = await Promise.all(instances.map((s) => s.cpu()));
      const idleStart = Date.now();
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      const idleMs = Date.now() - idleStart;
      const cpuAfter = await Promise.all(instances.map((s) => s.cpu()));
      // Our own two statistics queries are in the count too: negligible against 5·N per second.
      const transactionsPerSecond = ((await transactions()) - xactBefore) / (idleMs / 1000);
      const idleCpu = cpuAfter.map((c, i) => c - cpuBefore[i]);
      // µs of CPU per µs of wall time, per instance (median), as a percentage of one core.
      const listenerCpuPercent = (percentile(idleCpu, 50) / (idleMs * 1000)) * 100;

      // Sessions for this round: pairs of one user, each victim cached on every instance.
      const pairs: Pair[] = [];
      for (let i = 0; i < pairsPerN; i++) {
        const user = `n${n}-u${i}`;
        const actor = await login(urls[i % n], user);
        const victim = await login(urls[(i + 1) % n], user);
        pairs.push({ user, actor: actor.cookie, victim: victim.cookie, victimId: victim.id });
      }
      const readers = Array.from({ length: 200 }, (_, i) => i);
      const readerCookies = await Promise.all(readers.map(async (i) => (await login(urls[i % n], `n${n}-r${i}`)).cookie));
      for (const pair of pairs) await Promise.all(urls.map((url) => get(url, pair.victim)));

      // Load with revocations in the mix.
      const channelBefore = await Promise.all(instances.map((s) => s.channel()));
      const cpuLoadBefore = await Promise.all(instances.map((s) => s.cpu()));
      const loadStart = Date.now();
      const deadline = loadStart + loadSeconds * 1000;
      let requests = 0;
      let failed = 0;
      let next = 0;
      const pace = (WORKERS / RATE) * 1000;
      const worker = async (w: number) => {
        // Each client at its own pace, offset from the others: RATE in all, spread evenly.
        let slot = loadStart + (w * pace) / WORKERS;
        while (slot < deadline) {
          const wait = slot - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          slot += pace;
          const i = next++;
          const status = await get(urls[i % n], readerCookies[i % readerCookies.length]);
          requests++;
          if (status !== 200) failed++;
        }
      };
      const revocations: number[] = [];
      let revokedAnswered2xx = 0;
      const revoker = async () => {
        let slot = loadStart;
        for (let i = 0; i < pairs.length && slot < deadline; i++) {
          const wait = slot - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          slot += 1000 / REVOKE_RATE;
          const pair = pairs[i];
          const start = performance.now();
          const res = await fetch(`${urls[i % n]}/session/sessions/${pair.victimId}`, {
            method: 'DELETE',
            headers: { cookie: pair.actor, 'user-agent': BENCH_USER_AGENT },
          });
          await res.arrayBuffer();
          revocations.push(performance.now() - start);
          if (res.status !== 204) throw new Error(`revocation answered ${res.status}`);
          requests++;
          // The answer has left: no instance may still take the victim's cookie.
          const statuses = await Promise.all(urls.map((url) => get(url, pair.victim)));
          requests += statuses.length;
          revokedAnswered2xx += statuses.filter((s) => s >= 200 && s < 300).length;
        }
      };
      await Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), revoker()]);
      const loadMs = Date.now() - loadStart;
      const cpuLoadAfter = await Promise.all(instances.map((s) => s.cpu()));
      const channelAfter = await Promise.all(instances.map((s) => s.channel()));
      const delivered = channelAfter.reduce((sum, c, i) => sum + c.delivered - channelBefore[i].delivered, 0);
      // At the nominal revocation rate: on a saturated machine the revoker falls behind its pace, and
      // fewer revocations would look like less traffic per instance.
      const messagesPerRevocation = revocations.length ? delivered / revocations.length : 0;
      const messagesPerSecond = messagesPerRevocation * REVOKE_RATE;
      const cpuSeconds = cpuLoadAfter.reduce((sum, c, i) => sum + c - cpuLoadBefore[i], 0) / 1e6;
      if (failed) throw new Error(`${failed} of the load's requests failed at N = ${n}`);
      const measured: Measured = {
        n,
        messagesPerSecond,
        transactionsPerSecond,
        listenerCpuPercent,
        revocations,
        revokedAnswered2xx,
        requestsPerCpuSecond: requests / cpuSeconds,
        requests,
      };
      results.push(measured);
      ctx.log(
        `scale N=${n}: ${round(messagesPerSecond, 1)} msg/s, idle ${round(transactionsPerSecond, 1)} xact/s, listener ${round(listenerCpuPercent, 2)} % CPU, ` +
          `revoke p50 ${round(percentile(revocations, 50), 1)} ms p99 ${round(percentile(revocations, 99), 1)} ms, ` +
          `${round(measured.requestsPerCpuSecond, 0)} req/CPU-s over ${round(loadMs / 1000, 1)} s, revoked 2xx ${revokedAnswered2xx}`,
      );
    }
    // The transports side by side, on this database with no instance left listening to it.
    await Promise.all(instances.splice(0).map((s) => s.stop()));
    const listeners = counts[counts.length - 1];
    ctx.log(`scale: Postgres NOTIFY and Redis pub/sub round trips to ${listeners} listeners`);
    transport = await transportRows(db.url, listeners, ctx.quick ? 50 : 200);
  } finally {
    await Promise.all(instances.map((s) => s.stop()));
    await stats.destroy();
    await db.drop();
  }

  const rows: Row[] = [];
  for (const r of results) {
    rows.push(
      info(
        `N=${r.n}: channel messages delivered / s`,
        round(r.messagesPerSecond, 1),
        'msg/s',
        `all instances together, at ${REVOKE_RATE} revocations/s (measured per revocation; idle: none, heartbeats are round trips, not notifications)`,
      ),
      info(
        `N=${r.n}: Postgres transactions / s, idle`,
        round(r.transactionsPerSecond, 1),
        'xact/s',
        'heartbeats (4 per instance) and lease renewals (1)',
      ),
      info(`N=${r.n}: listener CPU per instance`, round(r.listenerCpuPercent, 3), '% of a core', 'median instance, idle'),
      info(
        `N=${r.n}: revocation response time p50 / p99`,
        round(percentile(r.revocations, 99), 1),
        'ms (p99)',
        `p50 ${round(percentile(r.revocations, 50), 1)} ms over ${r.revocations.length} revocations, under ${RATE} req/s`,
      ),
      info(
        `N=${r.n}: requests per CPU-second`,
        round(r.requestsPerCpuSecond, 0),
        'req/s',
        `${r.requests} requests at ${RATE} req/s over all instances' CPU time (their listeners included)`,
      ),
      atMost(
        `N=${r.n}: revoked sessions answered 2xx`,
        r.revokedAnswered2xx,
        0,
        '',
        `victims tried on all ${r.n} instance(s) right after each answer`,
      ),
    );
  }
  // From N = 2: a lone instance notifies nobody but itself (1 message per revocation, against 2N − 1).
  const exponent = growthExponent(results.filter((r) => r.n >= 2).map((r) => ({ x: r.n, y: r.messagesPerSecond })));
  const xactExponent = growthExponent(results.map((r) => ({ x: r.n, y: r.transactionsPerSecond })));
  rows.push(
    atMost(
      'channel messages / s: growth exponent in N',
      exponent === null ? null : round(exponent, 2),
      1.2,
      '',
      `least-squares slope of log(messages/s) on log(N), N = ${results
        .filter((r) => r.n >= 2)
        .map((r) => r.n)
        .join(
          ', ',
        )}, at ${REVOKE_RATE} revocations/s; the previous design (every instance heard every instance's heartbeat, 4·N² a second idle) grew as N²`,
    ),
    info(
      'idle Postgres transactions / s: growth exponent in N',
      xactExponent === null ? null : round(xactExponent, 2),
      '',
      'a NOTIFY wakes every listening backend of the database, so heartbeats by NOTIFY would cost the server N² transactions a second',
    ),
  );
  const largest = results[results.length - 1];
  if (largest) {
    rows.push(
      atMost(
        `revocation p99 at N = ${largest.n}`,
        round(percentile(largest.revocations, 99), 1),
        50,
        'ms',
        ctx.quick ? 'quick run: the target is for N = 20' : undefined,
      ),
    );
  }
  rows.push(...transport);
  return rows;
}
