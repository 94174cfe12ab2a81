/**
 * Builds the demo's browser bundle (`example/client-entry.ts` → `example/public/build/sessionwatch.js`)
 * with esbuild: ESM, minified, with a source map. `npm run build:client` runs this file;
 * `createExampleApp` calls {@link ensureClientBundle} so the bundle exists (and is fresh) for tests.
 */
import { buildSync } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
export const CLIENT_ENTRY = path.join(__dirname, 'client-entry.ts');
export const CLIENT_BUNDLE = path.join(__dirname, 'public', 'build', 'sessionwatch.js');
/** Sources of the bundle: a change in any of them makes it stale. */
const SOURCE_DIRS = [path.join(ROOT, 'client'), path.join(ROOT, 'shared')];

function newestSource(): number {
  let newest = fs.statSync(CLIENT_ENTRY).mtimeMs;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts') && !file.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(file).mtimeMs);
    }
  };
  SOURCE_DIRS.filter((dir) => fs.existsSync(dir)).forEach(walk);
  return newest;
}

/** Builds the bundle now. Files are written to a temporary name then renamed, so parallel builds never leave a torn file. */
export function buildClientBundle(): void {
  const result = buildSync({
    entryPoints: [CLIENT_ENTRY],
    outfile: CLIENT_BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    sourcemap: true,
    write: false,
    logLevel: 'silent',
  });
  fs.mkdirSync(path.dirname(CLIENT_BUNDLE), { recursive: true });
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, file.contents);
    fs.renameSync(tmp, file.path);
  }
}

/** Builds the bundle if it is missing or older than its sources (a few stat calls otherwise). */
export function ensureClientBundle(): void {
  const built = fs.existsSync(CLIENT_BUNDLE) ? fs.statSync(CLIENT_BUNDLE).mtimeMs : -1;
  if (built < 0 || built < newestSource()) buildClientBundle();
}

if (require.main === module) {
  buildClientBundle();
  console.log(`built ${path.relative(process.cwd(), CLIENT_BUNDLE)}`);
}
