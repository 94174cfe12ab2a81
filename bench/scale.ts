/**
 * Figure 11 — scale-out: N app instances (child processes) on one Postgres, each with its cache
 * and its invalidation listener, N = 1, 2, 5, 10, 20 (`--quick`: up to 10).
 *
 * Per N, on the same schema and the same sessions (pairs of one user: an actor and a victim):
 * - Idle (no request): channel messages delivered per second, all instances together, and the
 *   CPU each instance spends meanwhile (its listener: heartbeats, lease renewals; everything else
 *   is asleep). Their growth with N is fitted as messages/s ∝ N^k.
 * - Under load (`GET /me` round-robin over the instances at a fixed RATE from WORKERS clients, every
 *   instance warm), with revocations in the mix: an actor session revokes its victim through one
 *   instance (`DELETE {apiPrefix}/sessions/:id`), timed; the moment the answer arrives, the victim's
 *   cookie is tried on every instance (each had it cached): any 2xx is a revoked session answered
 *   as valid. Requests per CPU-second: all requests over all instances' CPU time in the window.
 */
import { createTestDatabase, type TestDatabase } from '../test/support/databases';
import { BENCH_USER_AGENT, cookieHeaderOf, forkServer, type ServerHandle } from './lib/servers';
import { percentile, round } from './lib/stats';
import { atMost, info, type BenchContext, type Row } from './lib/types';
import { until } from '../test/support/wait';

/**
 * The load: a fixed total rate, far under what 2 cores can serve, from WORKERS clients each at its
 * own pace. At saturation every answer (a revocation's too) would mostly measure the queue in
 * front of it; at a fixed rate it measures what the instances do, as the latency figure does.
 */
const RATE = 400;
const WORKERS = 8;
/** Pooled connections per instance: 20 instances (+ a listener each) stay within Postgres's default 100. */
const POOL_MAX = 3;
/** Time between two revocations during the load. */
const REVOKE_EVERY_MS = 100;

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
  listenerCpuPercent: number;
  revocations: number[];
  revokedAnswered2xx: number;
  requestsPerCpuSecond: number;
  requests: number;
}

export async function scaleOut(ctx: BenchContext): Promise<Row[]> {
  const counts = ctx.quick ? [1, 2, 5, 10] : [1, 2, 5, 10, 20];
  const idleSeconds = ctx.quick ? 2 : 4;
  const loadSeconds = ctx.quick ? 2 : 4;
  const pairsPerN = ctx.quick ? 15 : 30;
  const db: TestDatabase = await createTestDatabase('postgres');
  const instances: ServerHandle[] = [];
  const results: Measured[] = [];
  try {
    for (const n of counts) {
      while (instances.length < n) {
        instances.push(await forkServer({ variant: 'postgres', url: db.url, schema: db.schema, poolMax: POOL_MAX }));
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

      // Idle: what the channel costs with nothing happening.
      const channelBefore = await Promise.all(instances.map((s) => s.channel()));
      const cpuBefore = await Promise.all(instances.map((s) => s.cpu()));
      const idleStart = Date.now();
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      const idleMs = Date.now() - idleStart;
      const channelAfter = await Promise.all(instances.map((s) => s.channel()));
      const cpuAfter = await Promise.all(instances.map((s) => s.cpu()));
      const delivered = channelAfter.reduce((sum, c, i) => sum + c.delivered - channelBefore[i].delivered, 0);
      const idleCpu = cpuAfter.map((c, i) => c - cpuBefore[i]);
      const messagesPerSecond = delivered / (idleMs / 1000);
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
        for (let i = 0; i < pairs.length && Date.now() < deadline; i++) {
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
          await new Promise((resolve) => setTimeout(resolve, REVOKE_EVERY_MS));
        }
      };
      await Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), revoker()]);
      const loadMs = Date.now() - loadStart;
      const cpuLoadAfter = await Promise.all(instances.map((s) => s.cpu()));
      const cpuSeconds = cpuLoadAfter.reduce((sum, c, i) => sum + c - cpuLoadBefore[i], 0) / 1e6;
      if (failed) throw new Error(`${failed} of the load's requests failed at N = ${n}`);
      const measured: Measured = {
        n,
        messagesPerSecond,
        listenerCpuPercent,
        revocations,
        revokedAnswered2xx,
        requestsPerCpuSecond: requests / cpuSeconds,
        requests,
      };
      results.push(measured);
      ctx.log(
        `scale N=${n}: ${round(messagesPerSecond, 1)} msg/s, listener ${round(listenerCpuPercent, 2)} % CPU, ` +
          `revoke p50 ${round(percentile(revocations, 50), 1)} ms p99 ${round(percentile(revocations, 99), 1)} ms, ` +
          `${round(measured.requestsPerCpuSecond, 0)} req/CPU-s over ${round(loadMs / 1000, 1)} s, revoked 2xx ${revokedAnswered2xx}`,
      );
    }
  } finally {
    await Promise.all(instances.map((s) => s.stop()));
    await db.drop();
  }

  const rows: Row[] = [];
  for (const r of results) {
    rows.push(
      info(`N=${r.n}: channel messages delivered / s`, round(r.messagesPerSecond, 1), 'msg/s', 'all instances together, idle'),
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
  const exponent = growthExponent(results.map((r) => ({ x: r.n, y: r.messagesPerSecond })));
  rows.push(
    atMost(
      'channel messages / s: growth exponent in N',
      exponent === null ? null : round(exponent, 2),
      1.2,
      '',
      `least-squares slope of log(messages/s) on log(N), N = ${results.map((r) => r.n).join(', ')}; the previous design (every instance heard every heartbeat) grew as N²`,
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
  return rows;
}
