/**
 * Figure 4 — the session list at scale. 1,000,000 tracked rows (100,000 users × 10; 100,000 rows
 * in --quick) are seeded straight into `sessionwatch_sessions` of the shared benchmark servers'
 * databases (batched INSERT … SELECT over a generated series, in transactions), then a real login adds an 11th
 * session to one user, and `GET /session/sessions` is measured with autocannon (one connection:
 * the latency of the request itself). The admin list (`GET /session/admin/sessions`: every user's
 * sessions, newest activity first, 50 a page) is measured the same way, on its first page and on a
 * page deep in the table (a cursor). SQLite and Postgres, interleaved. The query plans are printed
 * too: both lists must use an index, never a scan and sort of the table.
 */
import knexFactory, { type Knex } from 'knex';
import type { TestDatabase } from '../test/support/databases';
import { connect } from '../backend';
import { ADMIN_SESSION_LIST_LIMIT } from '../shared/protocol';
import { encodeActivityCursor } from '../backend/tracking/paging';
import { loginSessions, sharedServer, type ServerHandle } from './lib/servers';
import { roundRobinCookies, runLoad } from './lib/load';
import { list, median, percentile, round } from './lib/stats';
import { atMost, info, type BenchContext, type Row } from './lib/types';

const KINDS = ['sqlite', 'postgres'] as const;
type Kind = (typeof KINDS)[number];
const TABLE = 'sessionwatch_sessions';
const PER_USER = 10;
const BATCH = 100_000;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0';
const COLUMNS =
  'id, token_hash, store_key, user_id, ip, user_agent, browser_name, browser_version, os_name, os_version, device_type, created_at, last_activity, ended_at, end_reason';

/**
 * Inserts rows `from`..`to`-1 in one INSERT … SELECT over a generated series (recursive CTE on
 * SQLite, generate_series on Postgres), inside a transaction. Ids and token hashes are unique
 * (derived from n); user n/10 gets rows n..n+9.
 */
async function seedBatch(knex: Knex, kind: Kind, from: number, to: number, now: number): Promise<void> {
  await knex.transaction(async (trx) => {
    if (kind === 'sqlite') {
      await trx.raw(
        `INSERT INTO ${TABLE} (${COLUMNS})
         WITH RECURSIVE seq(n) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT n + 1 FROM seq WHERE n < CAST(? AS INTEGER))
         SELECT printf('seed%018d', n), printf('%064d', n), NULL, 's' || (n / ${PER_USER}), '10.0.' || (n % 250) || '.' || (n % 199), ?,
                'Firefox', '120.0', 'Windows', '10', 'desktop', ? - (n % 86400) * 1000, ? - (n % 1200) * 1000, NULL, NULL
         FROM seq`,
        [from, to - 1, UA, now, now],
      );
    } else {
      await trx.raw('SET LOCAL synchronous_commit = off');
      await trx.raw(
        `INSERT INTO ${TABLE} (${COLUMNS})
         SELECT 'seed' || lpad(n::text, 18, '0'), lpad(n::text, 64, '0'), NULL, 's' || (n / ${PER_USER}), '10.0.' || (n % 250) || '.' || (n % 199), ?,
                'Firefox', '120.0', 'Windows', '10', 'desktop', ?::bigint - (n % 86400) * 1000, ?::bigint - (n % 1200) * 1000, NULL, NULL
         FROM generate_series(?::bigint, ?::bigint) AS n`,
        [UA, now, now, from, to - 1],
      );
    }
  });
}

/** The plan of a query, as one line. */
async function planOf(knex: Knex, kind: Kind, builder: Knex.QueryBuilder): Promise<string> {
  const query = builder.toSQL().toNative();
  if (kind === 'sqlite') {
    const rows: { detail: string }[] = await knex.raw(`EXPLAIN QUERY PLAN ${query.sql}`, query.bindings as never);
    return rows.map((r) => r.detail).join('; ');
  }
  const result: { rows: unknown } = await knex.raw(`EXPLAIN ${query.sql.replace(/\$\d+/g, '?')}`, query.bindings as never);
  return (result.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN'].trim()).join('; ');
}

export async function listAtScale(ctx: BenchContext): Promise<Row[]> {
  const rowsTotal = ctx.quick ? 100_000 : 1_000_000;
  const rounds = ctx.quick ? 2 : 6;
  const seconds = ctx.quick ? 0.75 : 3;
  const user = `s${Math.floor(rowsTotal / PER_USER / 2) + 7}`;
  const rows: Row[] = [];
  // The shared servers of the overhead figure (their 1,000 sessions stay; the seeded users are s0, s1…).
  const started = await Promise.all(KINDS.map((k) => sharedServer(k)));
  const dbs = new Map<Kind, TestDatabase>(KINDS.map((k, i) => [k, started[i].db!]));
  const servers = new Map<Kind, ServerHandle>(KINDS.map((k, i) => [k, started[i].server]));
  const cookies = new Map<Kind, string[]>();
  const adminCookies = new Map<Kind, string[]>();
  const seededAt = Date.now();
  // A page deep in the table: the position of a seeded row in the middle of the activity range.
  const deepCursor = encodeActivityCursor({ lastActivity: seededAt - 600_000, id: `seed${String(rowsTotal / 2).padStart(18, '0')}` });
  for (const kind of KINDS) {
    const db = dbs.get(kind)!;
    const knex = connect(db.url, { schema: db.schema });
    try {
      const started = Date.now();
      const now = seededAt;
      for (let from = 0; from < rowsTotal; from += BATCH) await seedBatch(knex, kind, from, Math.min(rowsTotal, from + BATCH), now);
      if (kind === 'postgres') await knex.raw(`ANALYZE ${TABLE}`);
      else await knex.raw('ANALYZE');
      const [{ n }] = await knex(TABLE).count({ n: '*' });
      const seconds = round((Date.now() - started) / 1000, 1);
      ctx.log(`list: seeded ${rowsTotal} rows on ${kind} in ${seconds} s`);
      rows.push(
        info(
          `${kind}: rows in the table`,
          Number(n),
          'rows',
          `${rowsTotal / PER_USER} users × ${PER_USER} seeded in ${seconds} s, besides the overhead figure's sessions`,
        ),
      );
    } finally {
      await knex.destroy();
    }
    const server = servers.get(kind)!;
    // A real login for one of the seeded users: it now has 10 + 1 sessions.
    cookies.set(kind, (await loginSessions(server.url, 1, { userOf: () => user })).cookies);
    const res = await fetch(`${server.url}/session/sessions`, { headers: { cookie: cookies.get(kind)![0] } });
    const body = (await res.json()) as { sessions: { current: boolean }[] };
    if (res.status !== 200 || body.sessions.length !== PER_USER + 1 || !body.sessions[0].current) {
      throw new Error(
        `list on ${kind}: expected ${PER_USER + 1} sessions, current first; got ${res.status} with ${body.sessions?.length} sessions`,
      );
    }
    adminCookies.set(kind, (await loginSessions(server.url, 1, { userOf: () => 'admin' })).cookies);
    for (const path of ['/session/admin/sessions', `/session/admin/sessions?cursor=${deepCursor}`]) {
      const admin = await fetch(`${server.url}${path}`, { headers: { cookie: adminCookies.get(kind)![0] } });
      const page = (await admin.json()) as { sessions: unknown[]; nextCursor: string | null };
      if (admin.status !== 200 || page.sessions.length !== ADMIN_SESSION_LIST_LIMIT.default || !page.nextCursor) {
        throw new Error(
          `admin list on ${kind} (${path}): expected a full page; got ${admin.status} with ${page.sessions?.length} sessions`,
        );
      }
    }
  }
  const request = (kind: Kind, path = '/session/sessions', jar = cookies) => [
    { method: 'GET' as const, path, setupRequest: roundRobinCookies(jar.get(kind)!) },
  ];
  const ADMIN_PATHS = { first: '/session/admin/sessions', deep: `/session/admin/sessions?cursor=${deepCursor}` } as const;
  const adminP99s = new Map<string, number[]>();
  for (const kind of KINDS) await runLoad({ url: servers.get(kind)!.url, duration: 1, connections: 1, requests: request(kind) });
  const samples = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
  const p99s = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
  /** Baseline of the same rounds: `GET /me` (a cached session check and nothing else) on the same server. */
  const baseP99s = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
  let failed = 0;
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 ? [...KINDS].reverse() : KINDS) {
      const result = await runLoad({ url: servers.get(kind)!.url, duration: seconds, connections: 1, requests: request(kind) });
      samples.get(kind)!.push(...result.samples);
      p99s.get(kind)!.push(result.p99);
      const base = await runLoad({ url: servers.get(kind)!.url, duration: seconds / 2, connections: 1, requests: request(kind, '/me') });
      baseP99s.get(kind)!.push(base.p99);
      failed += result.non2xx + result.errors + result.timeouts + base.non2xx + base.errors;
      for (const [which, path] of Object.entries(ADMIN_PATHS)) {
        const admin = await runLoad({
          url: servers.get(kind)!.url,
          duration: seconds / 2,
          connections: 1,
          requests: request(kind, path, adminCookies),
        });
        const key = `${kind} ${which}`;
        adminP99s.set(key, [...(adminP99s.get(key) ?? []), admin.p99]);
        failed += admin.non2xx + admin.errors + admin.timeouts;
      }
    }
    ctx.log(
      `list round ${r + 1}/${rounds}: p99 ${KINDS.map((k) => `${k} ${round(p99s.get(k)![r], 2)} ms (GET /me ${round(baseP99s.get(k)![r], 2)} ms)`).join(', ')}`,
    );
  }
  for (const kind of KINDS) {
    const all = samples.get(kind)!;
    rows.push(
      atMost(
        `${kind}: GET /session/sessions p99`,
        round(median(p99s.get(kind)!), 2),
        5,
        'ms',
        `median of ${rounds} rounds (${list(p99s.get(kind)!)}); pooled p99 ${round(percentile(all, 99), 2)} ms, p50 ${round(percentile(all, 50), 2)} ms over ${all.length} requests, 1 connection; ` +
          `GET /me on the same server p99 ${round(median(baseP99s.get(kind)!), 2)} ms`,
      ),
    );
  }
  for (const kind of KINDS) {
    const first = adminP99s.get(`${kind} first`)!;
    const deep = adminP99s.get(`${kind} deep`)!;
    rows.push(
      atMost(
        `${kind}: GET /session/admin/sessions p99`,
        round(Math.max(median(first), median(deep)), 2),
        5,
        'ms',
        `every user's sessions, ${ADMIN_SESSION_LIST_LIMIT.default} a page, over ${rowsTotal.toLocaleString('en')} rows: first page p99 ${round(median(first), 2)} ms (${list(first)}), a page mid-table (cursor) ${round(median(deep), 2)} ms (${list(deep)}); median of ${rounds} rounds, 1 connection`,
      ),
    );
  }
  rows.push(atMost('list requests failed', failed, 0));
  // The plans, read after the load (same data, fresh connection).
  for (const kind of KINDS) {
    const db = dbs.get(kind)!;
    const knex =
      kind === 'sqlite'
        ? connect(db.url)
        : knexFactory({ client: 'pg', connection: db.url, searchPath: [db.schema!], pool: { min: 0, max: 1 } });
    try {
      const queries = [
        ['list', knex(TABLE).where('user_id', user).whereNull('ended_at').orderBy('last_activity', 'desc')],
        [
          'admin list',
          knex(TABLE)
            .whereNull('ended_at')
            .orderBy([
              { column: 'last_activity', order: 'desc' },
              { column: 'id', order: 'desc' },
            ])
            .limit(ADMIN_SESSION_LIST_LIMIT.default + 1),
        ],
      ] as const;
      for (const [name, builder] of queries) {
        const plan = await planOf(knex, kind, builder);
        const scan =
          kind === 'sqlite'
            ? /\bSCAN\b(?! USING INDEX| USING COVERING INDEX)/.test(plan) && !/USING INDEX/.test(plan)
            : /Seq Scan/.test(plan);
        rows.push({
          name: `${kind}: ${name} query plan uses an index`,
          value: scan ? 0 : 1,
          unit: '',
          target: 'index, no scan',
          pass: !scan,
          note: plan.slice(0, 200),
        });
      }
    } finally {
      await knex.destroy();
    }
  }
  return rows;
}
