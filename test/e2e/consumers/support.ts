/**
 * Consumer tests: sessionwatch as users meet it, `npm install sessionwatch`. The package is packed
 * once (`npm pack`, which builds dist/ through `prepack`) into a cache keyed on a hash of
 * everything that goes into it, then installed into fresh apps made from `fixtures/<name>/`.
 *
 * Speed: installs prefer the npm cache (`--prefer-offline`) and run in parallel; better-sqlite3's
 * native module is not compiled again for every app: its install script (prebuild-install) finds
 * a "local prebuild" made from this checkout's own build (same version, pinned with `overrides`).
 * Without one (e.g. on musl) it builds as usual, only slower.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sleep } from '../../support/wait';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURES = path.join(__dirname, 'fixtures');
/** Everything the consumer tests keep between runs: packed tarballs, the local prebuild. */
export const WORK = path.join(os.tmpdir(), 'sessionwatch-consumers');
/** Set to keep the temporary apps after the tests (to look into a failure). */
export const KEEP = !!process.env.SESSIONWATCH_KEEP_CONSUMERS;

/** What goes into the tarball: a change in any of these makes a new pack. */
const PACKED_PATHS = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'README.md',
  'LICENSE',
  'scripts',
  'backend',
  'client',
  'shared',
];

/** The environment for npm and the apps: no npm lifecycle variables of a surrounding `npm test`, no jest NODE_ENV. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig|globalconfig)$/i.test(key)) continue;
    if (key === 'INIT_CWD' || key === 'NODE_ENV' || key === 'NODE_OPTIONS' || key.startsWith('JEST_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion; rejects with its output when it fails or times out. */
export function run(
  command: string,
  args: string[],
  { cwd, env = cleanEnv(), timeout = 300_000 }: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr, ms: Date.now() - started });
      else reject(new Error(`${command} ${args.join(' ')} in ${cwd} failed (${signal ?? `exit ${code}`}):\n${stdout}\n${stderr}`));
    });
  });
}

export const npm = (args: string[], cwd: string) => run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd });

function hashSources(): string {
  const hash = createHash('sha256');
  const add = (rel: string) => {
    const file = path.join(ROOT, rel);
    if (!fs.existsSync(file)) return;
    if (fs.statSync(file).isDirectory()) {
      for (const name of fs.readdirSync(file).sort()) add(path.join(rel, name));
    } else {
      hash.update(rel).update('\0').update(fs.readFileSync(file)).update('\0');
    }
  };
  PACKED_PATHS.forEach(add);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The packed tarball of this checkout, built at most once per source state: cached in
 * `WORK/pack-<hash>/`; parallel test files wait for the one packing (lock directory).
 */
export async function packedTarball(): Promise<string> {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const key = hashSources();
  const dir = path.join(WORK, `pack-${key}`);
  const tarball = path.join(dir, `sessionwatch-${version}.tgz`);
  const lock = `${dir}.lock`;
  fs.mkdirSync(WORK, { recursive: true });
  const deadline = Date.now() + 300_000;
  while (!fs.existsSync(tarball)) {
    try {
      fs.mkdirSync(lock);
    } catch {
      // Someone else packs: wait, unless their lock is stale (a killed run).
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await sleep(250);
      continue;
    }
    try {
      // Older packs are of no use any more.
      for (const name of fs.readdirSync(WORK)) {
        if (name.startsWith('pack-') && !name.endsWith('.lock') && name !== path.basename(dir))
          fs.rmSync(path.join(WORK, name), { recursive: true, force: true });
      }
      const staging = fs.mkdtempSync(path.join(WORK, 'staging-'));
      await npm(['pack', '--pack-destination', staging, '--loglevel=error'], ROOT);
      fs.mkdirSync(dir, { recursive: true });
      fs.renameSync(path.join(staging, path.basename(tarball)), tarball);
      fs.rmSync(staging, { recursive: true, force: true });
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  return tarball;
}

/**
 * A local prebuild of this checkout's better-sqlite3 (its already compiled module), in
 * prebuild-install's file naming, or null when there is none to offer.
 */
function localPrebuild(): { dir: string; version: string } | null {
  const pkgDir = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const binary = path.join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
  if (!fs.existsSync(binary) || (process.platform === 'linux' && !glibc)) return null;
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(WORK, 'prebuilds');
  const file = path.join(dir, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`);
  if (!fs.existsSync(file) || fs.statSync(file).mtimeMs < fs.statSync(binary).mtimeMs) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    const result = spawnSync('tar', ['-czf', tmp, '-C', pkgDir, 'build/Release/better_sqlite3.node']);
    if (result.status !== 0) return null;
    fs.renameSync(tmp, file);
  }
  return { dir, version };
}

export interface InstalledApp {
  dir: string;
  /** How long `npm install` took, in ms. */
  installMs: number;
}

/**
 * Copies `fixtures/<fixture>` into a fresh temporary directory, points its `sessionwatch`
 * dependency at the tarball and runs `npm install` there.
 */
export async function installApp(fixture: string, tarball: string): Promise<InstalledApp> {
  fs.mkdirSync(WORK, { recursive: true });
  // Apps left behind by killed runs (or kept on purpose) go after a day.
  for (const name of fs.readdirSync(WORK)) {
    const stale = path.join(WORK, name);
    if (name.startsWith('app-') && Date.now() - fs.statSync(stale).mtimeMs > 86_400_000) fs.rmSync(stale, { recursive: true, force: true });
  }
  const dir = fs.mkdtempSync(path.join(WORK, `app-${fixture}-`));
  fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  const pkgFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as Record<string, Record<string, unknown>>;
  pkg.dependencies = { ...pkg.dependencies, sessionwatch: `file:${tarball}` };
  // npm 11 reports dependencies' install scripts that were not approved: approve the one we need.
  pkg.allowScripts = { 'better-sqlite3': true };
  const prebuild = localPrebuild();
  if (prebuild) {
    // npm refuses an override of a direct dependency (EOVERRIDE): pin that one instead.
    if (pkg.dependencies?.['better-sqlite3']) pkg.dependencies['better-sqlite3'] = prebuild.version;
    else pkg.overrides = { ...pkg.overrides, 'better-sqlite3': prebuild.version };
    fs.writeFileSync(path.join(dir, '.prebuild-installrc'), `local-prebuilds=${prebuild.dir}\n`);
  }
  fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  const { ms } = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  return { dir, installMs: ms };
}

/** Installs several apps in parallel; waits for all of them even when one fails (no npm left running). */
export async function installApps(fixtures: string[], tarball: string): Promise<InstalledApp[]> {
  const results = await Promise.allSettled(fixtures.map((fixture) => installApp(fixture, tarball)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    results.forEach((r) => r.status === 'fulfilled' && removeApp(r.value));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<InstalledApp>).value);
}

export function removeApp(app: InstalledApp | undefined): void {
  if (app && !KEEP) fs.rmSync(app.dir, { recursive: true, force: true });
}

/** A running app: its child process, and the first JSON line it printed (`{ port, … }`). */
export interface RunningApp<T> {
  child: ChildProcess;
  info: T;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `node <args>` in `dir` and waits for its first stdout line, JSON with the port. */
export function startApp<T extends { port: number }>(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningApp<T>> {
  const child = spawn(process.execPath, args, { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`app in ${dir} did not start within 30 s:\n${output}`));
    }, 30_000);
    let firstLine: string | null = null;
    child.stdout.on('data', (d) => {
      output += d;
      if (firstLine !== null || !output.includes('\n')) return;
      firstLine = output.slice(0, output.indexOf('\n'));
      clearTimeout(timer);
      try {
        const info = JSON.parse(firstLine) as T;
        resolve({ child, info, url: `http://127.0.0.1:${info.port}`, output: () => output, stop });
      } catch {
        void stop();
        reject(new Error(`app in ${dir} printed no JSON first line:\n${output}`));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (firstLine === null) reject(new Error(`app in ${dir} exited (${code}) before starting:\n${output}`));
    });
  });
}

/** Cookies of a response, as a `cookie` request header. */
export const cookieHeader = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
