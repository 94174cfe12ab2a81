/**
 * Parent side of the benchmark servers: forks `server-child.ts` per variant, logs sessions in, and
 * reads the server's write counters.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TinyAppSpec, WriteStats } from './apps';

export interface ServerHandle {
  url: string;
  child: ChildProcess;
  stats(windowMs: number): Promise<WriteStats>;
  resetStats(): Promise<void>;
  /** CPU time (user + system) the server process has used so far, µs. */
  cpu(): Promise<number>;
  /** Time spent in sessionwatch's middleware per request since the last reset (ms percentiles). */
  middlewareTime(options?: { reset?: boolean; enabled?: boolean }): Promise<{ count: number; p50: number; p99: number; p999: number; max: number }>;
  stop(): Promise<void>;
}

let nextId = 1;

/**
 * Starts a tiny app in a child process. `BENCH_CPU_PROF=<dir>` profiles the servers
 * (`node --cpu-prof`), to see where request time goes.
 */
export async function forkServer(spec: TinyAppSpec): Promise<ServerHandle> {
  const execArgv = ['-r', 'ts-node/register'];
  if (process.env.BENCH_CPU_PROF) execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${spec.variant}-${Date.now()}.cpuprofile`);
  const child = fork(path.join(__dirname, 'server-child.ts'), [JSON.stringify(spec)], {
    execArgv,
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
    cpu: () => ask<number>({ type: 'cpu' }, 'cpu'),
    middlewareTime: (options = {}) => ask({ type: 'timer', ...options }, 'timer'),
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
  const cookies: string[] = new Array(count);
  const ids: (string | undefined)[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${url}/login?user=${encodeURIComponent(userOf(i))}`, { method: 'POST', headers: { 'user-agent': BENCH_USER_AGENT } });
      if (res.status !== 200) throw new Error(`login ${i} failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { id?: string };
      cookies[i] = cookieHeaderOf(res);
      ids[i] = body.id;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { cookies, ids };
}
