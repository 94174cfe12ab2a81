/**
 * `npm run bench`: what sessionwatch costs, measured side by side in one run.
 *
 *   npm run bench                      everything (≈ 20 minutes); writes bench/results.json and bench/RESULTS.md
 *   npm run bench -- --quick           a reduced run, under 2 minutes; writes bench/results.json
 *   npm run bench -- --only=ping,list  some figures (names below); writes bench/results.json
 *
 * Needs Postgres on 127.0.0.1:5432 (database `test`, or PG_TEST_URL) and Chromium (/usr/bin/chromium
 * or CHROME_PATH). `BENCH_CPU_PROF=<dir>` writes CPU profiles of the forked benchmark servers.
 * The exit code is 1 when a target is missed or a figure failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { overhead } from './overhead';
import { ping } from './ping';
import { listAtScale } from './list-at-scale';
import { clientSize } from './client-size';
import { crossTab } from './cross-tab';
import { failover } from './failover';
import { activityCost } from './activity-cost';
import { reliability } from './reliability';
import { lifecycle } from './lifecycle';
import { scaleOut } from './scale';
import { push } from './push';
import { background } from './background';
import { closeSharedServers } from './lib/servers';
import { markdownTable, textTable, type Section } from './lib/table';
import type { BenchContext, Figure } from './lib/types';

const FIGURES: { name: string; title: string; run: Figure }[] = [
  { name: 'overhead', title: '1–2. Request overhead and writes (1,000 sessions, GET /me)', run: overhead },
  { name: 'ping', title: '3. Ping (1,000 sessions at once)', run: ping },
  { name: 'list', title: '4. Session list at scale', run: listAtScale },
  { name: 'size', title: '5. Client size (esbuild, minified, gzip)', run: clientSize },
  { name: 'cross-tab', title: '6. Cross-tab cost (pings vs tabs)', run: crossTab },
  { name: 'failover', title: '7. Leader failover', run: failover },
  { name: 'activity', title: '8. Activity handler cost', run: activityCost },
  { name: 'reliability', title: '9. Reliability under mixed traffic', run: reliability },
  { name: 'lifecycle', title: '10. A silent leader: frozen leader tab, user active in another (issue 12)', run: lifecycle },
  { name: 'scale', title: '11. Scale-out: N instances on one Postgres (issue 18)', run: scaleOut },
  { name: 'push', title: '12. Push: a revocation in every open tab, and what an idle stream costs (issue 28)', run: push },
  { name: 'background', title: '13. A hidden tab: its cost beside the same page without the client (issue 28)', run: background },
];

/** Written by hand (what the figures mean, the targets out of reach); appended to RESULTS.md by every full run. */
const ANALYSIS = path.join(__dirname, 'ANALYSIS.md');

function parseArgs(argv: string[]): { quick: boolean; only: string[] | null } {
  let quick = false;
  let only: string[] | null = null;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length).split(',').filter(Boolean);
    else if (arg === '--help' || arg === '-h') {
      console.log(`usage: npm run bench -- [--quick] [--only=${FIGURES.map((f) => f.name).join(',')}]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  const unknown = only?.filter((name) => !FIGURES.some((f) => f.name === name)) ?? [];
  if (unknown.length) throw new Error(`unknown figure(s) ${unknown.join(', ')}: use ${FIGURES.map((f) => f.name).join(', ')}`);
  return { quick, only };
}

function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const ctx: BenchContext = { quick, log: (message) => process.stderr.write(`  · ${message}\n`) };
  const before = machine();
  console.error(
    `sessionwatch bench${quick ? ' (quick)' : ''} — ${before.nproc} cores (${before.cpu}), Node ${before.node}, load ${before.loadAverage.join(' ')}`,
  );
  const sections: Section[] = [];
  for (const figure of FIGURES.filter((f) => !only || only.includes(f.name))) {
    console.error(`${figure.title}…`);
    const t0 = Date.now();
    let section: Section;
    try {
      section = { figure: figure.name, title: figure.title, rows: await figure.run(ctx), seconds: (Date.now() - t0) / 1000 };
    } catch (err) {
      console.error(err);
      section = {
        figure: figure.name,
        title: figure.title,
        rows: [],
        seconds: (Date.now() - t0) / 1000,
        error: err instanceof Error ? err.message : String(err),
      };
    }
    sections.push(section);
  }
  await closeSharedServers();
  const seconds = (Date.now() - started) / 1000;
  const rows = sections.flatMap((s) => s.rows);
  const passed = rows.filter((r) => r.pass === true).length;
  const failed = rows.filter((r) => r.pass === false).length;
  const errors = sections.filter((s) => s.error).length;
  const date = new Date().toISOString();
  const host = { ...machine(), loadAverageAtStart: before.loadAverage };

  console.log(`\nsessionwatch bench${quick ? ' (quick)' : ''}, ${date}, ${host.nproc} cores, Node ${host.node}, ${seconds.toFixed(0)} s`);
  console.log(textTable(sections));
  console.log(`${passed} targets met, ${failed} missed${errors ? `, ${errors} figure(s) failed to run` : ''}.`);

  const results = {
    date,
    quick,
    only,
    seconds: Math.round(seconds),
    machine: host,
    summary: { passed, failed, errors },
    figures: sections.map((s) => ({
      figure: s.figure,
      title: s.title,
      seconds: Math.round(s.seconds),
      error: s.error ?? null,
      rows: s.rows,
    })),
  };
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (!quick && !only) {
    const md = [
      '# sessionwatch benchmark results',
      '',
      `Latest full \`npm run bench\`: ${date.slice(0, 16).replace('T', ' ')} UTC, ${seconds.toFixed(0)} s.`,
      `Machine: ${host.nproc} cores (\`nproc\`), ${host.cpu}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node};`,
      `shared with other work (load average ${before.loadAverage.join(' ')} at the start, ${host.loadAverage.join(' ')} at the end).`,
      '',
      'Reproduce: `npm run bench` (≈ 20 minutes; needs Postgres on 127.0.0.1:5432 with a `test` database, or `PG_TEST_URL`, and',
      'Chromium at /usr/bin/chromium or `CHROME_PATH`); `npm run bench -- --quick` is a reduced run under 2 minutes;',
      '`--only=overhead,ping,list,size,cross-tab,failover,activity,reliability,lifecycle,scale,push,background` picks figures. Every figure, its target and',
      'pass/fail land in `bench/results.json`.',
      '',
      'How it is measured (the machine is shared and noisy, so nothing relies on one run):',
      '',
      '* Server figures: each variant (bare Koa + koa-session, + sessionwatch on SQLite, + sessionwatch on Postgres) runs in its own',
      '  process; autocannon runs in the bench process. Variants are interleaved in short slices, round after round, in a',
      '  rotating order; ratios and differences are taken within a round and the median over rounds is reported. Beside',
      '  req/s, the server’s requests per CPU-second (getrusage) show its capacity on a core of its own, steadier when other',
      '  processes take the CPU. Latency is measured at a fixed 500 req/s on one connection, far under saturation.',
      '* The 1,000 sessions’ activity is spread over the minute before the load, as if they had logged in at different times.',
      '* Browser figures: Debian’s Chromium (headless) through puppeteer-core, on the example app (SQLite).',
      '',
      markdownTable(sections),
      '',
      `${passed} targets met, ${failed} missed${errors ? `, ${errors} figure(s) failed to run` : ''}. Every figure, with its target, is in \`bench/results.json\` after a run.`,
      '',
      // What the numbers mean and why a target is missed, written by hand: kept across runs.
      ...(fs.existsSync(ANALYSIS) ? [fs.readFileSync(ANALYSIS, 'utf8')] : []),
    ].join('\n');
    fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), md);
  }
  process.exitCode = failed || errors ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
