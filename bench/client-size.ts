/**
 * Figure 5 — the browser client's weight: `client/index.ts` bundled and minified with esbuild
 * (browser, ESM), gzip-compressed with zlib (level 9), broadcast-channel included. Printed beside
 * react-idle-timer's `useIdleTimer` bundled the same way (react external), and without
 * broadcast-channel for information.
 */
import { buildSync } from 'esbuild';
import path from 'node:path';
import zlib from 'node:zlib';
import { atMost, info, type BenchContext, type Row } from './lib/types';
import { round } from './lib/stats';

const ROOT = path.resolve(__dirname, '..');

/** Minified and gzipped sizes in bytes of a bundle of `entry` (a file, or source code with `contents`). */
export function bundleSize(
  entry: { file: string } | { contents: string },
  external: string[] = [],
): { min: number; gzip: number; inputs: [string, number][] } {
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
  });
  const code = result.outputFiles[0].contents;
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output.inputs)
    .map(([file, { bytesInOutput }]) => [file.replace(/^node_modules\//, ''), bytesInOutput] as [string, number])
    .sort((a, b) => b[1] - a[1]);
  return { min: code.length, gzip: zlib.gzipSync(code, { level: 9 }).length, inputs };
}

const kb = (bytes: number) => round(bytes / 1024, 2);

export async function clientSize(_ctx: BenchContext): Promise<Row[]> {
  const client = bundleSize({ file: path.join(ROOT, 'client', 'index.ts') });
  const withoutChannel = bundleSize({ file: path.join(ROOT, 'client', 'index.ts') }, ['broadcast-channel']);
  const idleTimer = bundleSize({ contents: "export { useIdleTimer } from 'react-idle-timer';" }, ['react', 'react-dom']);
  return [
    atMost(
      'client bundle, gzip (with broadcast-channel)',
      kb(client.gzip),
      9,
      'KB',
      `${client.gzip} B gzip, ${kb(client.min)} KB minified`,
    ),
    info(
      'client bundle, gzip, broadcast-channel external',
      kb(withoutChannel.gzip),
      'KB',
      `${withoutChannel.gzip} B gzip, ${kb(withoutChannel.min)} KB minified; broadcast-channel adds ${kb(client.gzip - withoutChannel.gzip)} KB`,
    ),
    info(
      'client: largest parts, minified',
      kb(client.inputs.slice(0, 8).reduce((n, [, b]) => n + b, 0)),
      'KB',
      client.inputs
        .slice(0, 8)
        .map(([file, bytes]) => `${file} ${kb(bytes)}`)
        .join(', '),
    ),
    info(
      'react-idle-timer useIdleTimer, gzip (react external)',
      kb(idleTimer.gzip),
      'KB',
      `${idleTimer.gzip} B gzip, ${kb(idleTimer.min)} KB minified; for comparison`,
    ),
  ];
}
