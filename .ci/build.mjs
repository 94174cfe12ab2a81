#!/usr/bin/env node
/**
 * `npm run build` (and `npm pack` / `npm publish`, through `prepack`): a fresh dist/ in ~10 s.
 *
 *   dist/{backend,client,shared}/**.js + .d.ts + .js.map   CommonJS and types (tsc, tsconfig.build.json)
 *   dist/backend/index.mjs, dist/backend/redis/index.mjs     ESM for Node: one file each, dependencies external
 *   dist/{client/index,client/core,client/ui/index,         ESM for bundlers: code split, so the entries share
 *        client/drafts/index,client/react,                  one copy of the client (the full client, the
 *        client/react-core,shared/index}.mjs                headless core, its UI and drafts plug-ins, the
 *   dist/chunks/*.mjs                                       React hook of both React entries) and
 *                                                           broadcast-channel's adapter is a chunk loaded
 *                                                           on demand
 *   dist/**.d.mts                                           types of the ESM entries (re-export the .d.ts)
 *   dist/browser/sessionwatch.mjs                           standalone ESM bundle for <script type="module">
 *                                                           without a bundler (broadcast-channel included)
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

function tsc() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json failed (exit ${code})`))));
  });
}

const esm = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  sourcemap: true,
  outbase: '.',
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
};
/** Entries with an ESM build, and so a `.d.mts` next to them. */
const BROWSER_ENTRIES = [
  'client/index.ts',
  'client/core.ts',
  'client/ui/index.ts',
  'client/drafts/index.ts',
  'client/react.ts',
  'client/react-core.ts',
  'shared/index.ts',
];
const NODE_ENTRIES = ['backend/index.ts', 'backend/redis/index.ts'];

const started = Date.now();
fs.rmSync(dist, { recursive: true, force: true });
await Promise.all([
  tsc(),
  build({
    ...esm,
    entryPoints: BROWSER_ENTRIES,
    platform: 'browser',
    target: 'es2020',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    external: ['broadcast-channel', 'react'],
  }),
  build({ ...esm, entryPoints: NODE_ENTRIES, platform: 'node', target: 'node20', packages: 'external' }),
  build({
    absWorkingDir: root,
    entryPoints: ['client/index.ts'],
    outfile: 'dist/browser/sessionwatch.mjs',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  }),
]);
for (const entry of [...BROWSER_ENTRIES, ...NODE_ENTRIES]) {
  const base = path.basename(entry, '.ts');
  fs.writeFileSync(path.join(dist, path.dirname(entry), `${base}.d.mts`), `export * from './${base}.js';\n`);
}
process.stderr.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
