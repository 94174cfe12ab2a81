/**
 * Figure 5 — the browser client's weight, bundled and minified with esbuild (browser, ESM, es2020)
 * and gzip-compressed with zlib (level 9), as an app's bundler would ship it:
 *
 * - the headless core (`client/core.ts`, `sessionwatch/client/core`) without broadcast-channel:
 *   one file, the library external (its on-demand adapter is counted, the library is not);
 * - the full default client (`client/index.ts`, `sessionwatch/client`: default UI and drafts)
 *   with broadcast-channel, code-split as an app's bundler does: what a page loads up front
 *   (the entry and the chunks it imports statically), the on-demand broadcast-channel chunk
 *   shown beside it, and everything in one file (as `sessionwatch/browser` ships it).
 *
 * Printed with the parts that explain the sizes: the state machine alone (the floor of any core
 * that keeps its rules), broadcast-channel's own chunk, the largest inputs, the headless React
 * bindings with the headless core beside `sessionwatch/react` with the full client (up front,
 * react external), and react-idle-timer's `useIdleTimer` bundled the same way for comparison.
 */
import { buildSync } from 'esbuild';
import path from 'node:path';
import zlib from 'node:zlib';
import { atMost, info, type BenchContext, type Row } from './lib/types';
import { round } from './lib/stats';

const ROOT = path.resolve(__dirname, '..');

/** One output file of a bundle: minified and gzipped bytes, and what went into it. */
export interface BundleFile {
  file: string;
  min: number;
  gzip: number;
  /** Input files (node_modules/ stripped) and their bytes in this output, largest first. */
  inputs: [string, number][];
  /** Loaded up front: the entry, or a chunk the entry imports statically (not through `import()`). */
  upFront: boolean;
}

/**
 * Bundles `entry` (a file, or source code with `contents`) minified; `split`: code-split into
 * chunks as an app's bundler does (dynamic imports become chunks loaded on demand), else one file.
 */
export function bundle(entry: { file: string } | { contents: string }, { external = [] as string[], split = false } = {}): BundleFile[] {
  const result = buildSync({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' as const } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    external,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    metafile: true,
    ...(split ? { splitting: true, outdir: path.join(ROOT, 'bench-out') } : {}),
  });
  const outputs = result.metafile.outputs;
  const byPath = new Map(result.outputFiles.map((f) => [path.relative(ROOT, f.path), f.contents]));
  const upFront = new Set<string>();
  const visit = (name: string) => {
    if (upFront.has(name)) return;
    upFront.add(name);
    for (const imported of outputs[name].imports) if (imported.kind === 'import-statement' && outputs[imported.path]) visit(imported.path);
  };
  visit(
    Object.keys(outputs).find((name) => outputs[name].entryPoint !== undefined || name.endsWith('stdin.js')) ?? Object.keys(outputs)[0],
  );
  return Object.entries(outputs)
    .filter(([name]) => !name.endsWith('.map'))
    .map(([name, output]) => {
      const code = byPath.get(name) ?? result.outputFiles[0].contents;
      return {
        file: name,
        min: code.length,
        gzip: zlib.gzipSync(code, { level: 9 }).length,
        inputs: Object.entries(output.inputs)
          .map(([file, { bytesInOutput }]) => [file.replace(/^(\.\.\/)*(.*\/)?node_modules\//, ''), bytesInOutput] as [string, number])
          .sort((a, b) => b[1] - a[1]),
        upFront: upFront.has(name),
      };
    });
}

const sum = (files: BundleFile[], key: 'min' | 'gzip') => files.reduce((n, f) => n + f[key], 0);
const kb = (bytes: number) => round(bytes / 1024, 2);
const largest = (files: BundleFile[], n: number) =>
  files
    .flatMap((f) => f.inputs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
const fromLibrary = (f: BundleFile) => f.inputs.some(([file]) => file.startsWith('broadcast-channel/'));

export async function clientSize(_ctx: BenchContext): Promise<Row[]> {
  const core = bundle({ file: path.join(ROOT, 'client', 'core.ts') }, { external: ['broadcast-channel'] });
  const coreUpFront = bundle({ file: path.join(ROOT, 'client', 'core.ts') }, { external: ['broadcast-channel'], split: true }).filter(
    (f) => f.upFront,
  );
  const full = bundle({ file: path.join(ROOT, 'client', 'index.ts') }, { split: true });
  const fullUpFront = full.filter((f) => f.upFront);
  const fullOnDemand = full.filter((f) => !f.upFront);
  const libraryChunk = fullOnDemand.filter(fromLibrary);
  const oneFile = bundle({ file: path.join(ROOT, 'client', 'index.ts') });
  const fullWithoutChannel = bundle({ file: path.join(ROOT, 'client', 'index.ts') }, { external: ['broadcast-channel'] });
  const machine = bundle({ contents: "export { step, initialState, nextWake } from './client/machine';" });
  const idleTimer = bundle({ contents: "export { useIdleTimer } from 'react-idle-timer';" }, { external: ['react', 'react-dom'] });
  // An app's React bindings with its client, code-split, react external (the app has it anyway).
  const reactApp = (react: string, client: string) =>
    bundle(
      {
        contents: `export { SessionWatchProvider, useSessionWatch } from './client/${react}'; export { createSessionWatchClient } from './client/${client}';`,
      },
      { external: ['react'], split: true },
    ).filter((f) => f.upFront);
  const headlessReact = reactApp('react-core', 'core');
  const fullReact = reactApp('react', 'index');
  const gz = (files: BundleFile[]) => `${sum(files, 'gzip')} B gzip, ${kb(sum(files, 'min'))} KB minified`;
  return [
    atMost(
      'headless core (sessionwatch/client/core), gzip, without broadcast-channel',
      kb(sum(core, 'gzip')),
      6,
      'KB',
      `${gz(core)}; one file, broadcast-channel external (its adapter counted); what a page loads up front: ${kb(sum(coreUpFront, 'gzip'))} KB. ` +
        `No default UI, no drafts: ${core[0].inputs.filter(([file]) => /^client\/(ui|drafts)\//.test(file)).length} of their modules in it. ` +
        `Of it, the state machine alone is ${kb(sum(machine, 'gzip'))} KB (next row)`,
    ),
    info(
      'headless core: the state machine alone, gzip',
      kb(sum(machine, 'gzip')),
      'KB',
      `${gz(machine)}: client/machine.ts with state.ts and the backoff (step, initialState, nextWake), the pure rules every tab runs; ` +
        `the rest of the core (tabs, transport, controller, page, options, events) adds ${kb(sum(core, 'gzip') - sum(machine, 'gzip'))} KB`,
    ),
    atMost(
      'full default client (sessionwatch/client), gzip, with broadcast-channel: loaded up front',
      kb(sum(fullUpFront, 'gzip')),
      12,
      'KB',
      `${gz(fullUpFront)} in ${fullUpFront.length} file(s), code-split as an app's bundler does; broadcast-channel is a chunk of its own ` +
        `(${gz(libraryChunk)}), loaded only where BroadcastChannel or Web Locks are missing (no current browser). ` +
        `The default UI and drafts are ${kb(sum(fullWithoutChannel, 'gzip') - sum(core, 'gzip'))} KB of it`,
    ),
    info(
      'full default client, gzip, everything (up front + on demand)',
      kb(sum(full, 'gzip')),
      'KB',
      `${gz(full)} in ${full.length} files; in one file (sessionwatch/browser, broadcast-channel inline): ${gz(oneFile)}`,
    ),
    info(
      'broadcast-channel chunk, gzip (on demand)',
      kb(sum(libraryChunk, 'gzip')),
      'KB',
      `${gz(libraryChunk)}; the library and sessionwatch's adapter (client/library-tabs.ts)`,
    ),
    info(
      'default UI and drafts add, gzip',
      kb(sum(fullWithoutChannel, 'gzip') - sum(core, 'gzip')),
      'KB',
      `full client without broadcast-channel ${gz(fullWithoutChannel)}, minus the headless core`,
    ),
    info(
      'headless core: largest parts, minified',
      kb(
        largest(core, 6)
          .map(([, b]) => b)
          .reduce((a, b) => a + b, 0),
      ),
      'KB',
      largest(core, 6)
        .map(([file, bytes]) => `${file} ${kb(bytes)}`)
        .join(', '),
    ),
    info(
      'full client up front: largest parts, minified',
      kb(
        largest(fullUpFront, 8)
          .map(([, b]) => b)
          .reduce((a, b) => a + b, 0),
      ),
      'KB',
      largest(fullUpFront, 8)
        .map(([file, bytes]) => `${file} ${kb(bytes)}`)
        .join(', '),
    ),
    info(
      'headless React (sessionwatch/react/core with sessionwatch/client/core), gzip, loaded up front (react external)',
      kb(sum(headlessReact, 'gzip')),
      'KB',
      `${gz(headlessReact)}, code-split; ${headlessReact.flatMap((f) => f.inputs).filter(([file]) => /^client\/(ui|drafts)\//.test(file)).length} ` +
        `default UI or drafts modules in it. sessionwatch/react with sessionwatch/client: ${gz(fullReact)} up front`,
    ),
    info('react-idle-timer useIdleTimer, gzip (react external)', kb(sum(idleTimer, 'gzip')), 'KB', `${gz(idleTimer)}; for comparison`),
  ];
}
