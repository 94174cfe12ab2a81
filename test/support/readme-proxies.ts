/**
 * The README's proxy recipes (see "Push behind nginx" and "A single-page app") run as pasted in front of a test app: a real nginx and a real Vite dev server, each in a temporary folder
 * of its own, on a free loopback port, as the user running the tests (no root, no system paths).
 * Only the recipe's port and the app's address (`127.0.0.1:3000` / `localhost:3000`) are changed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, waitForServer } from './readme';

/** A proxy process in front of the app. */
export interface RunningProxy {
  /** Where the browser goes: `http://127.0.0.1:<port>`. */
  url: string;
  stop(): Promise<void>;
}

/** A loopback port free a moment ago (the proxy binds it next; `--strictPort`/`listen` fail loudly if taken). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `text` with `from` replaced by `to`, which must be in it (a recipe that changed shape fails here, saying so). */
function replaceIn(text: string, from: string | RegExp, to: string, recipe: string): string {
  const replaced = text.replace(from, to);
  if (replaced === text) throw new Error(`the README's ${recipe} recipe no longer has ${String(from)}: update the test with it`);
  return replaced;
}

/** Starts `command` in `dir`, waits until `url` answers; `stop` ends it (by its pid) and removes `dir`. */
async function serve(command: string, args: string[], dir: string, url: string): Promise<RunningProxy> {
  let output = '';
  const child: ChildProcess = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForServer(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/**
 * nginx (`NGINX_PATH`, default /usr/sbin/nginx: Debian's `nginx` package) with the README's
 * `server` block inside an `http` block of its own: pid, logs and temporary files in a temporary
 * folder, in the foreground and one process (`master_process off`: no workers to switch users).
 */
export async function startNginx(serverBlock: string, appUrl: string): Promise<RunningProxy> {
  const nginx = process.env.NGINX_PATH || '/usr/sbin/nginx';
  if (!fs.existsSync(nginx)) {
    throw new Error(
      `no nginx at ${nginx}: install Debian's 'nginx' package (apt-get install nginx; .ci/prepare-test-env.sh does) or set NGINX_PATH`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionwatch-nginx-'));
  const port = await freePort();
  let block = replaceIn(serverBlock, /listen 80;/, `listen 127.0.0.1:${port};`, 'nginx');
  block = replaceIn(block, /http:\/\/127\.0\.0\.1:3000/g, appUrl, 'nginx');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${path.join(dir, kind)};`);
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    [
      `pid ${path.join(dir, 'nginx.pid')};`,
      'events {}',
      'http {',
      `  access_log ${path.join(dir, 'access.log')};`,
      ...temp,
      block,
      '}',
      '',
    ].join('\n'),
  );
  const errorLog = path.join(dir, 'error.log');
  return serve(nginx, ['-p', dir, '-c', conf, '-e', errorLog, '-g', 'daemon off; master_process off;'], dir, `http://127.0.0.1:${port}`);
}

/**
 * Vite's dev server (this checkout's `vite` devDependency, run as `npx vite` would) with the README's
 * `vite.config.js` in an ES-module package (as the README says), serving `files` (path → content: the
 * page, its scripts) from a temporary root.
 */
export async function startVite(config: string, appUrl: string, files: Record<string, string | Buffer>): Promise<RunningProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionwatch-vite-'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'spa', private: true, type: 'module' }));
  fs.writeFileSync(path.join(dir, 'vite.config.js'), replaceIn(config, /http:\/\/localhost:3000/g, appUrl, 'Vite'));
  // The config's `import … from 'vite'` resolves from its folder; Vite's caches stay in this one.
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'vite'), path.join(dir, 'node_modules', 'vite'), 'dir');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const args = [vite, '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--clearScreen', 'false'];
  return serve(process.execPath, args, dir, `http://127.0.0.1:${port}`);
}
