/**
 * Marks of the load windows of a profiled run (`BENCH_CPU_PROF=<dir>`), so that
 * `bench/profile-summary.ts` can divide a server's CPU profile by the requests it served in them:
 * a per-request µs breakdown rather than shares of a whole run (start-up, logins, warm-up).
 *
 * V8 stamps profile samples with the monotonic clock in µs, the clock of `process.hrtime` in
 * every process of the machine: a window measured here lines up with the server's samples.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One load window: a server, the figure and slice it belongs to, and what it served. */
export interface ProfileWindow {
  /** The server's profile name prefix (`sqlite`, `postgres-nocache`…; see `profileName` in servers.ts). */
  server: string;
  /** What was measured (`overhead`, `overhead-latency`, `ping`…): summaries group by it. */
  label: string;
  /** Monotonic µs (the clock of V8 profiles). */
  start: number;
  end: number;
  /** Requests the server answered in the window. */
  requests: number;
}

/** The file, beside the profiles, that holds one JSON window per line. */
export const WINDOWS_FILE = 'windows.jsonl';

/** Monotonic µs now, as V8 stamps profile samples. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** True when the servers are profiled (windows are then worth recording). */
export function profiling(): boolean {
  return Boolean(process.env.BENCH_CPU_PROF);
}

/** Appends a window to the profile directory; nothing when not profiling. */
export function markWindow(window: ProfileWindow): void {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, WINDOWS_FILE), `${JSON.stringify(window)}\n`);
}

/** The windows recorded in `dir` (none when the file is missing). */
export function readWindows(dir: string): ProfileWindow[] {
  const file = path.join(dir, WINDOWS_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ProfileWindow);
}
