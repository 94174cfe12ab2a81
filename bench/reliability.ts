/**
 * Figure 9 — reliability under mixed traffic (issue 7). 500 sessions of 50 users on the example
 * app make mixed requests for 30 s (10 s in --quick), on SQLite and on Postgres: pages, pings with
 * a random `idleFor`, session lists, and revocations of their own other sessions. Checked:
 *
 * - no 5xx and no failed request;
 * - nothing is resurrected: once a `DELETE /session/sessions/:id` answered 204, no request made
 *   afterwards with that session's cookie gets an authenticated answer (2xx on the API or /me, the
 *   logged-in page rather than the login page). Revoked cookies are kept and replayed on purpose;
 * - `last_activity` never decreases: the table is sampled every 200 ms.
 *
 * A session that finds itself revoked logs in again (a fresh session), so 500 stay in play. The
 * example app is started in this process with one bench-only route, `POST /bench/login?user=`,
 * which calls the same `sw.login()` as `/login` without its scrypt password check (500 scrypt
 * hashes would take half a minute on two cores).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExampleApp, type ExampleApp } from '../example/app';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../test/support/databases';
import { cookieHeaderOf } from './lib/servers';
import { round } from './lib/stats';
import { sleep } from '../test/support/wait';
import { atMost, info, type BenchContext, type Row } from './lib/types';

const SESSIONS = 500;
const USERS = 50;
const WORKERS = 50;
const TABLE = 'sessionwatch_sessions';

interface Client {
  user: string;
  cookie: string;
  id: string;
  others: string[];
}

interface Counters {
  requests: number;
  status5xx: number;
  failed: number;
  resurrected: number;
  revoked: number;
  relogins: number;
  /** Logged out without a 204 for it seen yet (a revocation racing with the request). */
  unexplained: number;
  replays: number;
  decreases: number;
  samples: number;
  byKind: Record<string, number>;
}

async function startBenchExample(kind: DatabaseKind): Promise<{ example: ExampleApp; server: Server; url: string; db: TestDatabase }> {
  const db = await createTestDatabase(kind);
  const example = await createExampleApp({
    databaseUrl: db.url,
    schema: db.schema,
    keys: ['bench-secret-key'],
    sweepInterval: 0,
    log: () => {},
  });
  example.app.use(async (ctx, next) => {
    if (ctx.path !== '/bench/login' || ctx.method !== 'POST') {
      await next();
      return;
    }
    const user = String(ctx.query.user);
    const tracked = await example.sw.login(ctx, user);
    (ctx.session as { username?: string }).username = user;
    ctx.body = { id: tracked.id };
  });
  const server = await new Promise<Server>((resolve) => {
    const s = example.app.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => resolve(s));
  });
  return { example, server, db, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function runOne(kind: DatabaseKind, seconds: number, ctx: BenchContext): Promise<Counters> {
  const { example, server, url, db } = await startBenchExample(kind);
  const c: Counters = {
    requests: 0,
    status5xx: 0,
    failed: 0,
    resurrected: 0,
    revoked: 0,
    relogins: 0,
    unexplained: 0,
    replays: 0,
    decreases: 0,
    samples: 0,
    byKind: {},
  };
  /** Session id → when a DELETE of it answered 204. */
  const revokedAt = new Map<string, number>();
  const dead: { cookie: string; id: string }[] = [];
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();
  try {
    const login = async (user: string): Promise<Client> => {
      const res = await fetch(`${url}/bench/login?user=${user}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`bench login: ${res.status}`);
      const { id } = (await res.json()) as { id: string };
      return { user, cookie: cookieHeaderOf(res), id, others: [] };
    };
    const clients: Client[] = [];
    for (let i = 0; i < SESSIONS; i += 50) {
      clients.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => login(`user${(i + j) % USERS}`)))));
    }

    // lastActivity must never go backwards.
    const last = new Map<string, number>();
    sampler = (async () => {
      while (sampling) {
        const rows: { id: string; last_activity: number | string }[] = await example.knex(TABLE).select('id', 'last_activity');
        for (const row of rows) {
          const value = Number(row.last_activity);
          const before = last.get(row.id);
          if (before !== undefined && value < before) c.decreases++;
          last.set(row.id, value);
        }
        c.samples++;
        await sleep(200);
      }
    })();

    /** One request; true when it was answered as an authenticated session. */
    const send = async (
      kindOf: string,
      cookie: string,
      id: string,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; authed: boolean; json?: unknown }> => {
      const startedAt = Date.now();
      c.requests++;
      c.byKind[kindOf] = (c.byKind[kindOf] ?? 0) + 1;
      let res: Response;
      try {
        res = await fetch(url + path, {
          method,
          headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          redirect: 'manual',
        });
      } catch {
        c.failed++;
        return { status: 0, authed: false };
      }
      const text = await res.text();
      if (res.status >= 500) c.status5xx++;
      let authed: boolean;
      if (path === '/') authed = res.status === 200 && !text.includes('action="/login"');
      else authed = res.status >= 200 && res.status < 300;
      const revoked = revokedAt.get(id);
      if (authed && revoked !== undefined && startedAt > revoked) c.resurrected++;
      let json: unknown;
      if ((res.headers.get('content-type') ?? '').includes('json') && text) json = JSON.parse(text);
      return { status: res.status, authed, json };
    };

    const deadline = Date.now() + seconds * 1000;
    const step = async (client: Client): Promise<void> => {
      const roll = Math.random();
      let result: { authed: boolean; status: number; json?: unknown };
      if (roll < 0.1 && dead.length) {
        const victim = dead[Math.floor(Math.random() * dead.length)];
        c.replays++;
        await send('replay', victim.cookie, victim.id, 'GET', Math.random() < 0.5 ? '/me' : '/session/sessions');
        return;
      } else if (roll < 0.45) {
        const path = ['/', '/sessions', '/form', '/me'][Math.floor(Math.random() * 4)];
        result = await send('page', client.cookie, client.id, 'GET', path);
      } else if (roll < 0.7) {
        result = await send('ping', client.cookie, client.id, 'POST', '/session/ping', {
          idleFor: Math.floor(Math.random() * 1800 * 1000) / 1000,
        });
      } else if (roll < 0.9 || client.others.length === 0) {
        result = await send('list', client.cookie, client.id, 'GET', '/session/sessions');
        const sessions = (result.json as { sessions?: { id: string; current: boolean }[] } | undefined)?.sessions;
        if (result.authed && sessions) client.others = sessions.filter((s) => !s.current).map((s) => s.id);
      } else {
        const target = client.others.splice(Math.floor(Math.random() * client.others.length), 1)[0];
        result = await send('revoke', client.cookie, client.id, 'DELETE', `/session/sessions/${target}`);
        if (result.status === 204) {
          c.revoked++;
          if (!revokedAt.has(target)) revokedAt.set(target, Date.now());
        }
      }
      if (!result.authed && result.status !== 404) {
        // This session was logged out: it must have been revoked. Keep its cookie to replay, log in again.
        if (!revokedAt.has(client.id)) c.unexplained++;
        dead.push({ cookie: client.cookie, id: client.id });
        Object.assign(client, await login(client.user));
        c.relogins++;
      }
    };
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const mine = clients.filter((_, i) => i % WORKERS === w);
        for (let i = 0; Date.now() < deadline; i++) await step(mine[i % mine.length]);
      }),
    );
    // The last word: every revoked cookie, once more.
    for (let i = 0; i < dead.length; i += 25) {
      await Promise.all(
        dead.slice(i, i + 25).map((victim) => {
          c.replays++;
          return send('replay', victim.cookie, victim.id, 'GET', '/me');
        }),
      );
    }
    ctx.log(
      `reliability ${kind}: ${c.requests} requests, ${c.revoked} revocations, ${c.status5xx} 5xx, ${c.resurrected} resurrected, ${c.decreases} decreases`,
    );
    return c;
  } finally {
    sampling = false;
    await sampler.catch(() => undefined);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await example.close();
    await db.drop();
  }
}

export async function reliability(ctx: BenchContext): Promise<Row[]> {
  const seconds = ctx.quick ? 10 : 30;
  const rows: Row[] = [];
  const kinds = ['sqlite', 'postgres'] as const;
  // --quick runs both databases at once (correctness only needs load); the full run one after the other.
  const counters = ctx.quick
    ? await Promise.all(kinds.map((kind) => runOne(kind, seconds, ctx)))
    : [await runOne('sqlite', seconds, ctx), await runOne('postgres', seconds, ctx)];
  for (const [k, kind] of kinds.entries()) {
    const c = counters[k];
    rows.push(
      info(
        `${kind}: requests in ${seconds} s`,
        c.requests,
        '',
        `${round(c.requests / seconds, 0)}/s from ${SESSIONS} sessions of ${USERS} users: ${Object.entries(c.byKind)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
      ),
      atMost(`${kind}: 5xx or failed requests`, c.status5xx + c.failed, 0, '', `${c.status5xx} 5xx, ${c.failed} failed`),
      atMost(
        `${kind}: revoked sessions answered as logged in`,
        c.resurrected,
        0,
        '',
        `${c.revoked} revocations (204), ${c.replays} replays of revoked cookies, ${c.relogins} re-logins, ${c.unexplained} logged out before their 204 arrived`,
      ),
      atMost(`${kind}: lastActivity decreases`, c.decreases, 0, '', `${c.samples} samples of the whole table, every 200 ms`),
    );
  }
  return rows;
}
