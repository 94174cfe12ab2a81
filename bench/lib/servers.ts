/**
 * Parent side of the benchmark servers: forks `server-child.ts` per variant, logs sessions in, and
 * reads the server's write counters.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import type { TinyAppSpec, Variant, WriteStats } from './apps';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases';
import { connect } from '../../backend/store/connect';
import { defaultTouchInterval } from '../../backend/inactivity/policy';
import { DEFAULT_EXPIRE_AFTER } from '../../shared/protocol';

export interface ServerHandle {
  url: string;
  child: ChildProcess;
  stats(windowMs: number): Promise<WriteStats>;
  resetStats(): Promise<void>;
  /** CPU time (user + system) the server process has used so far, µs. */
  cpu(): Promise<number>;
  /** The same, split: user (JavaScript, V8) and system (kernel: sockets, scheduling), µs. */
  cpuUsage(): Promise<{ user: number; system: number }>;
  /** The Postgres invalidation channel: notifications received and sent so far, whether its cache serves, how many peers it knows. */
  channel(): Promise<{ delivered: number; sent: number; connected: boolean; peers: number }>;
  /**
   * Heap used (after a full GC when forked with `gc: true`; `gc` says whether it was), RSS, bytes,
   * and the push streams open on the server.
   */
  memory(): Promise<{ heapUsed: number; rss: number; gc: boolean; streams: number }>;
  /** Time spent in sessionwatch's middleware per request since the last reset (ms percentiles). */
  middlewareTime(options?: {
    reset?: boolean;
    enabled?: boolean;
  }): Promise<{ count: number; p50: number; p99: number; p999: number; max: number }>;
  stop(): Promise<void>;
}

let nextId = 1;
let bundled: string | undefined;

/**
 * The child script, bundled once with esbuild (packages stay external): a plain `node` process
 * starts in a fraction of the time ts-node takes. Under `BENCH_CPU_PROF` the sources run through
 * ts-node instead, so profiles name the original files.
 */
function childScript(): { file: string; execArgv: string[] } {
  const source = path.join(__dirname, 'server-child.ts');
  if (process.env.BENCH_CPU_PROF) return { file: source, execArgv: ['-r', 'ts-node/register'] };
  if (!bundled) {
    // Inside node_modules/.cache so that the external packages resolve from the project.
    bundled = path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'sessionwatch-bench', `server-${process.pid}.js`);
    buildSync({
      entryPoints: [source],
      outfile: bundled,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      logLevel: 'silent',
    });
    process.once('exit', () => fs.rmSync(bundled!, { force: true }));
  }
  return { file: bundled, execArgv: [] };
}

/**
 * The name a server's profile starts with: its variant, `-nocache` when sessionwatch's cache is
 * off (`bench/lib/profile-windows.ts` marks load windows under the same name).
 */
export function profileName(spec: Pick<TinyAppSpec, 'variant' | 'options'>): string {
  return `${spec.variant}${spec.options?.cache === false ? '-nocache' : ''}`;
}

/**
 * Starts a tiny app in a child process. `BENCH_CPU_PROF=<dir>` profiles the servers
 * (`node --cpu-prof`), to see where request time goes. `gc`: started with `--expose-gc`, so that
 * {@link ServerHandle.memory} reads the heap after a full collection.
 */
export async function forkServer(spec: TinyAppSpec, { gc = false }: { gc?: boolean } = {}): Promise<ServerHandle> {
  const { file, execArgv } = childScript();
  if (gc) execArgv.push('--expose-gc');
  if (process.env.BENCH_CPU_PROF)
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`,
      `--cpu-prof-name=${profileName(spec)}-${Date.now()}.cpuprofile`,
    );
  const child = fork(file, [JSON.stringify(spec)], {
    execArgv,
    cwd: path.resolve(__dirname, '..', '..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench server (${spec.variant}) exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.on('message', function ready(message: { type: string; port?: number }) {
      if (message.type !== 'ready') return;
      child.off('message', ready);
      child.off('exit', onExit);
      resolve(message.port!);
    });
  });
  const ask = <T>(message: Record<string, unknown>, type: string): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve) => {
      const listener = (reply: { type: string; id: number; stats?: T }) => {
        if (reply.type !== type || reply.id !== id) return;
        child.off('message', listener);
        resolve(reply.stats as T);
      };
      child.on('message', listener);
      child.send({ ...message, id });
    });
  };
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stats: (windowMs) => ask<WriteStats>({ type: 'stats', windowMs }, 'stats'),
    resetStats: () => ask<void>({ type: 'reset' }, 'reset'),
    cpu: async () => {
      const { user, system } = await ask<{ user: number; system: number }>({ type: 'cpu' }, 'cpu');
      return user + system;
    },
    cpuUsage: () => ask<{ user: number; system: number }>({ type: 'cpu' }, 'cpu'),
    middlewareTime: (options = {}) => ask({ type: 'timer', ...options }, 'timer'),
    channel: () => ask({ type: 'channel' }, 'channel'),
    memory: () => ask({ type: 'memory' }, 'memory'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `name=value; name2=value2` from a response's Set-Cookie headers. */
export function cookieHeaderOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0].trim())
    .filter((pair) => pair.indexOf('=') < pair.length - 1) // an empty value clears a cookie
    .join('; ');
}

export const BENCH_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

/**
 * Logs `count` sessions in on a tiny app (`POST /login?user=…`), `concurrency` at a time; returns
 * their cookie headers (and tracked ids when sessionwatch is on).
 */
export async function loginSessions(
  url: string,
  count: number,
  { userOf = (i: number) => `u${i}`, concurrency = 16 } = {},
): Promise<{ cookies: string[]; ids: (string | undefined)[] }> {
  const cookies = new Array<string>(count);
  const ids = new Array<string | undefined>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${url}/login?user=${encodeURIComponent(userOf(i))}`, {
        method: 'POST',
        headers: { 'user-agent': BENCH_USER_AGENT },
      });
      if (res.status !== 200) throw new Error(`login ${i} failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { id?: string };
      cookies[i] = cookieHeaderOf(res);
      ids[i] = body.id;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { cookies, ids };
}

export interface SharedServer {
  server: ServerHandle;
  /** Cookie headers of SESSIONS logged-in sessions (users u0…u999). */
  cookies: string[];
  /** The server's database (none for `bare`). */
  db?: TestDatabase;
}

/** Sessions logged in on every shared server. */
export const SHARED_SESSIONS = 1000;
const shared = new Map<string, Promise<SharedServer>>();

/**
 * Spreads the sessions' `last_activity` over the past `touchIntervalMs`, as if their users had
 * logged in at different times: 1,000 logins in the same second would otherwise all come due for
 * their throttled activity write in the same second of every minute (a burst no real population
 * makes). Done before any request, so the server's cache reads the spread values.
 */
async function staggerActivity(db: TestDatabase, touchIntervalMs: number): Promise<void> {
  const knex = connect(db.url, { schema: db.schema });
  try {
    const offset = db.kind === 'sqlite' ? `(abs(random()) % ${touchIntervalMs})` : `floor(random() * ${touchIntervalMs})::bigint`;
    await knex.raw(`UPDATE sessionwatch_sessions SET last_activity = last_activity - ${offset}`);
  } finally {
    await knex.destroy();
  }
}

/**
 * The tiny app of a variant in its own process, with 1,000 sessions logged in (their activity
 * spread over the last minute, see {@link staggerActivity}), started once and shared by the
 * figures that need it (overhead, ping, list); {@link closeSharedServers} ends them.
 * `cache: false`: sessionwatch without its record cache (every request reads the database), a
 * server of its own.
 */
export function sharedServer(variant: Variant, { cache = true }: { cache?: boolean } = {}): Promise<SharedServer> {
  const key = cache ? variant : `${variant}-nocache`;
  let entry = shared.get(key);
  if (!entry) {
    entry = (async () => {
      const db = variant === 'bare' ? undefined : await createTestDatabase(variant);
      const options = cache ? undefined : { cache: false };
      const server = await forkServer({ variant, url: db?.url, schema: db?.schema, options });
      const { cookies } = await loginSessions(server.url, SHARED_SESSIONS);
      if (db) await staggerActivity(db, defaultTouchInterval(DEFAULT_EXPIRE_AFTER) * 1000);
      return { server, cookies, db };
    })();
    shared.set(key, entry);
  }
  return entry;
}

export async function closeSharedServers(): Promise<void> {
  const entries = [...shared.values()];
  shared.clear();
  await Promise.all(
    entries.map(async (entry) => {
      const { server, db } = await entry.catch(() => ({ server: undefined, db: undefined }));
      await server?.stop();
      await db?.drop();
    }),
  );
}
