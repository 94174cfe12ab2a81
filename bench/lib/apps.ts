/**
 * The tiny Koa app of the request-overhead figures: koa-session cookie sessions and one route that
 * reads the session's user, bare or with sessionwatch in front. `POST /login?user=<id>` logs in.
 */
import Koa from 'koa';
import session from 'koa-session';
import type { Knex } from 'knex';
import { connect, createSessionWatch, type SessionWatch, type SessionWatchOptions } from '../../backend';

export type Variant = 'bare' | 'sqlite' | 'postgres';

export interface TinyAppSpec {
  variant: Variant;
  /** Database URL (sqlite:… or postgres://…); not for `bare`. */
  url?: string;
  schema?: string;
  /** Most pooled Postgres connections (default 10): many instances on one server share its max_connections. */
  poolMax?: number;
  /** Extra sessionwatch options (defaults otherwise, with the sweep off). */
  options?: Partial<SessionWatchOptions>;
}

export interface WriteStats {
  /** HTTP requests the server received. */
  requests: number;
  /** INSERTs into the sessions table (logins). */
  inserts: number;
  /** UPDATEs of the sessions table (activity writes, pings). */
  updates: number;
  /** SELECTs of the sessions table (cache misses, lists). */
  selects: number;
  /** Sessions that had at least one UPDATE. */
  sessionsUpdated: number;
  /** Most UPDATEs of one session. */
  maxUpdatesPerSession: number;
  /** Shortest time between two UPDATEs of one session (ms); null when none had two. */
  minGapMs: number | null;
  /** Most UPDATEs of one session within any window of `windowMs`. */
  maxInWindow: number;
  windowMs: number;
}

/** Counts writes to the sessions table from Knex `query` events, per session id. */
export class WriteCounter {
  requests = 0;
  inserts = 0;
  updates = 0;
  selects = 0;
  private readonly times = new Map<string, number[]>();

  constructor(private readonly table = 'sessionwatch_sessions') {}

  attach(knex: Knex): void {
    knex.on('query', (query: { sql: string; bindings?: unknown[] }) => {
      const sql = query.sql.trimStart().toLowerCase();
      if (!sql.includes(this.table)) return;
      if (sql.startsWith('select')) this.selects++;
      else if (sql.startsWith('insert')) this.inserts++;
      else if (sql.startsWith('update')) {
        this.updates++;
        // Public ids are 22 URL-safe characters; the activity write names exactly one. Its time
        // is the one it writes (`MAX(last_activity, ?)`): the request's clock, which the throttle
        // reads, rather than when a pooled connection happened to send it.
        const id = query.bindings?.find((b): b is string => typeof b === 'string' && /^[A-Za-z0-9_-]{22}$/.test(b));
        if (id) {
          const at = query.bindings?.find((b): b is number => typeof b === 'number' && b > 1e12);
          const list = this.times.get(id) ?? [];
          list.push(at ?? Date.now());
          this.times.set(id, list);
        }
      }
    });
  }

  reset(): void {
    this.requests = 0;
    this.inserts = 0;
    this.updates = 0;
    this.selects = 0;
    this.times.clear();
  }

  snapshot(windowMs: number): WriteStats {
    let minGapMs: number | null = null;
    let maxUpdatesPerSession = 0;
    let maxInWindow = 0;
    for (const times of this.times.values()) {
      maxUpdatesPerSession = Math.max(maxUpdatesPerSession, times.length);
      let start = 0;
      for (let i = 0; i < times.length; i++) {
        if (i > 0) minGapMs = Math.min(minGapMs ?? Infinity, times[i] - times[i - 1]);
        while (times[i] - times[start] >= windowMs) start++;
        maxInWindow = Math.max(maxInWindow, i - start + 1);
      }
    }
    return {
      requests: this.requests,
      inserts: this.inserts,
      updates: this.updates,
      selects: this.selects,
      sessionsUpdated: this.times.size,
      maxUpdatesPerSession,
      minGapMs,
      maxInWindow,
      windowMs,
    };
  }
}

/**
 * Time spent inside one middleware per request, excluding what runs downstream of it: for
 * sessionwatch, exactly the latency it adds to a request.
 */
export class MiddlewareTimer {
  private samples = new Float64Array(1 << 16);
  private count = 0;
  /** Off: requests are timed but not recorded (e.g. outside the latency slices). */
  enabled = true;

  wrap(middleware: Koa.Middleware): Koa.Middleware {
    return async (ctx, next) => {
      const start = process.hrtime.bigint();
      let downstream = 0n;
      await middleware(ctx, async () => {
        const t = process.hrtime.bigint();
        try {
          await next();
        } finally {
          downstream += process.hrtime.bigint() - t;
        }
      });
      this.record(Number(process.hrtime.bigint() - start - downstream) / 1e6);
    };
  }

  private record(ms: number): void {
    if (!this.enabled) return;
    if (this.count === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.count++] = ms;
  }

  reset(): void {
    this.count = 0;
  }

  /** Percentiles (ms) of the samples since the last reset. */
  summary(): { count: number; p50: number; p99: number; p999: number; max: number } {
    const sorted = this.samples.slice(0, this.count).sort();
    const at = (p: number) => (this.count ? sorted[Math.min(this.count - 1, Math.ceil(p * this.count) - 1)] : NaN);
    return { count: this.count, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: this.count ? sorted[this.count - 1] : NaN };
  }
}

export interface TinyApp {
  app: Koa;
  sw?: SessionWatch;
  knex?: Knex;
  writes: WriteCounter;
  /** Time spent in sessionwatch's middleware (bare: in an empty pass-through, as a baseline). */
  timer: MiddlewareTimer;
  close(): Promise<void>;
}

export async function createTinyApp(spec: TinyAppSpec): Promise<TinyApp> {
  const app = new Koa();
  app.keys = ['bench-secret-key'];
  const writes = new WriteCounter();
  app.use((_ctx, next) => {
    writes.requests++;
    return next();
  });
  app.use(session({ sameSite: 'lax' }, app));
  const timer = new MiddlewareTimer();
  let sw: SessionWatch | undefined;
  let knex: Knex | undefined;
  if (spec.variant !== 'bare') {
    if (!spec.url) throw new Error(`variant ${spec.variant} needs a database URL`);
    knex = connect(spec.url, { schema: spec.schema, poolMax: spec.poolMax });
    writes.attach(knex);
    // The user `admin` may use the admin API (the list-at-scale figure measures it).
    const isAdmin = (ctx: Koa.Context) => (ctx.session as { user?: string } | null)?.user === 'admin';
    sw = createSessionWatch({ database: knex, schema: spec.schema, sweepInterval: 0, isAdmin, ...spec.options });
    await sw.migrate();
    app.use(timer.wrap(sw.middleware()));
  } else {
    // The same timing wrapper around nothing: both variants pay for the measurement alike.
    app.use(timer.wrap((_ctx, next) => next()));
  }
  app.use(async (ctx) => {
    if (ctx.path === '/login' && ctx.method === 'POST') {
      const user = String(ctx.query.user ?? 'u0');
      const tracked = sw ? await sw.login(ctx, user) : undefined;
      (ctx.session as { user?: string }).user = user;
      ctx.body = { user, id: tracked?.id };
    } else if (ctx.path === '/me' && ctx.method === 'GET') {
      const user = (ctx.session as { user?: string } | null)?.user;
      ctx.status = user ? 200 : 401;
      ctx.body = user ? { user } : { error: 'unauthenticated' };
    } else {
      ctx.status = 404;
    }
  });
  return {
    app,
    sw,
    knex,
    writes,
    timer,
    async close() {
      await sw?.close();
    },
  };
}
