/**
 * Where a benchmark server's time goes: a summary of the `.cpuprofile` files written under
 * BENCH_CPU_PROF.
 *
 *   BENCH_CPU_PROF=/tmp/prof npm run bench -- --quick --only=overhead,ping
 *   npx ts-node bench/profile-summary.ts /tmp/prof/*.cpuprofile
 *   npx ts-node bench/profile-summary.ts --detail=koa,koa-session /tmp/prof/*.cpuprofile
 *
 * When the figures marked their load windows (`windows.jsonl` beside the profiles, see
 * `lib/profile-windows.ts`), only the samples inside them count, divided by the requests the
 * server answered there: µs of CPU per request, by owner (the package or folder whose code ran,
 * Node's internals counted to the code that called them), then sessionwatch's functions. Several
 * servers side by side (bare, sqlite, postgres…) show what sessionwatch adds. Without windows:
 * the whole profile, as shares of its busy (non-idle) time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readWindows, type ProfileWindow } from './lib/profile-windows';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A sample: when (monotonic µs), how long it stands for (µs), and its stack, leaf first. */
interface Sample {
  at: number;
  us: number;
  stack: ProfileNode[];
}

function loadSamples(file: string): { profile: Profile; samples: Sample[] } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stacks = new Map<number, ProfileNode[]>();
  const stackOf = (id: number) => {
    let stack = stacks.get(id);
    if (!stack) {
      stack = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!);
      stacks.set(id, stack);
    }
    return stack;
  };
  const samples: Sample[] = [];
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    samples.push({ at, us: profile.timeDeltas[i + 1] ?? 0, stack: stackOf(profile.samples[i]) });
  }
  return { profile, samples };
}

/** A file path without the machine's prefix: `node_modules/koa/…`, `backend/…`. */
function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|backend|bench|example|shared|test)\//, '$1/');
}

function frameName(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

/** The package or folder a file belongs to; undefined for Node's internals and native code. */
function ownerOfUrl(url: string): string | undefined {
  const file = shortUrl(url);
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (pkg) return pkg[1];
  if (file.startsWith('backend/')) return 'sessionwatch';
  if (file.startsWith('shared/')) return 'sessionwatch';
  if (file.startsWith('bench/')) return 'bench app';
  return undefined;
}

/**
 * Who a sample's time is for: the nearest frame of ours or of a package, walking up from the leaf
 * (so `crypto` hashing called by sessionwatch counts as sessionwatch); else the kind of leaf.
 */
function ownerOf(stack: ProfileNode[]): string {
  for (const node of stack) {
    const owner = ownerOfUrl(node.callFrame.url);
    if (owner) return owner;
  }
  const leaf = stack[0].callFrame;
  if (leaf.functionName === '(garbage collector)') return '(garbage collector)';
  if (leaf.functionName === '(program)') return '(program: V8/native)';
  if (leaf.functionName === '(idle)') return '(idle)';
  // No package on the stack: Node's own work (HTTP parsing, sockets, timers, microtasks).
  return 'node (http/net/timers)';
}

function isIdle(sample: Sample): boolean {
  return sample.stack[0].callFrame.functionName === '(idle)';
}

/** The profile's server name: its file name without the `-<timestamp>.cpuprofile` suffix. */
function serverOf(file: string): string {
  return path.basename(file).replace(/-\d+\.cpuprofile$/, '');
}

interface Breakdown {
  server: string;
  requests: number;
  /** Busy µs in the windows. */
  busy: number;
  byOwner: Map<string, number>;
  /** Self time of sessionwatch's frames (Node internals they call included). */
  oursSelf: Map<string, number>;
  /** Inclusive time of sessionwatch's functions (each counted once per sample). */
  oursInclusive: Map<string, number>;
  /** Self time by frame of the owners asked for with `--detail=` (the owner's frame nearest the leaf). */
  detail: Map<string, number>;
}

/** Owners whose frames are listed one by one (`--detail=koa,node (http, net, timers)`). */
const DETAIL = new Set(
  process.argv
    .filter((arg) => arg.startsWith('--detail='))
    .flatMap((arg) => arg.slice('--detail='.length).split(','))
    .filter(Boolean),
);

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

function breakdown(server: string, samples: Sample[], windows: ProfileWindow[]): Breakdown {
  const result: Breakdown = {
    server,
    requests: windows.reduce((n, w) => n + w.requests, 0),
    busy: 0,
    byOwner: new Map(),
    oursSelf: new Map(),
    oursInclusive: new Map(),
    detail: new Map(),
  };
  const sorted = [...windows].sort((a, b) => a.start - b.start);
  let w = 0;
  for (const sample of samples) {
    while (w < sorted.length && sorted[w].end < sample.at) w++;
    if (w === sorted.length) break;
    if (sample.at < sorted[w].start || isIdle(sample)) continue;
    result.busy += sample.us;
    const owner = ownerOf(sample.stack);
    add(result.byOwner, owner, sample.us);
    if (DETAIL.has(owner)) {
      const frame = sample.stack.find((node) => ownerOfUrl(node.callFrame.url) === owner) ?? sample.stack[0];
      add(result.detail, `${owner}: ${frameName(frame.callFrame)}`, sample.us);
    }
    if (owner === 'sessionwatch') {
      const frame = sample.stack.find((node) => ownerOfUrl(node.callFrame.url) === 'sessionwatch')!;
      add(result.oursSelf, frameName(frame.callFrame), sample.us);
    }
    const seen = new Set<string>();
    for (const node of sample.stack) {
      if (ownerOfUrl(node.callFrame.url) !== 'sessionwatch') continue;
      const name = frameName(node.callFrame);
      if (!seen.has(name)) add(result.oursInclusive, name, sample.us);
      seen.add(name);
    }
  }
  return result;
}

const perRequest = (us: number, requests: number) => (requests ? us / requests : NaN);
const fmt = (value: number, width = 8) => (Number.isNaN(value) ? 'n/a' : value.toFixed(1)).padStart(width);

function printBreakdowns(label: string, results: Breakdown[]): void {
  console.log(`\n== ${label}: µs of server CPU per request (profiled samples in the load windows ÷ requests answered) ==`);
  const width = Math.max(10, ...results.map((r) => r.server.length + 1));
  const header = (first: string) => `${first.padEnd(28)}${results.map((r) => r.server.padStart(width)).join('')}`;
  console.log(header('requests'));
  console.log(`${''.padEnd(28)}${results.map((r) => String(r.requests).padStart(width)).join('')}`);
  console.log(`${'total (busy)'.padEnd(28)}${results.map((r) => fmt(perRequest(r.busy, r.requests), width)).join('')}`);
  const owners = new Map<string, number>();
  for (const r of results)
    for (const [owner, us] of r.byOwner) owners.set(owner, Math.max(owners.get(owner) ?? 0, perRequest(us, r.requests)));
  for (const [owner] of [...owners].filter(([, us]) => us >= 0.5).sort((a, b) => b[1] - a[1])) {
    console.log(`${`  ${owner}`.padEnd(28)}${results.map((r) => fmt(perRequest(r.byOwner.get(owner) ?? 0, r.requests), width)).join('')}`);
  }
  if (DETAIL.size) {
    const frames = new Map<string, number>();
    for (const r of results)
      for (const [name, us] of r.detail) frames.set(name, Math.max(frames.get(name) ?? 0, perRequest(us, r.requests)));
    console.log(`\nframes of ${[...DETAIL].join(', ')} by self time, µs per request`);
    for (const [name] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
      console.log(`${results.map((r) => fmt(perRequest(r.detail.get(name) ?? 0, r.requests), width)).join('')}  ${name}`);
    }
  }
  for (const r of results.filter((x) => x.oursSelf.size)) {
    console.log(`\n${r.server}: sessionwatch's own code by self time (Node internals it calls included), µs per request`);
    for (const [name, us] of [...r.oursSelf].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`${fmt(perRequest(us, r.requests))}  ${name}`);
    }
    console.log(
      `${r.server}: sessionwatch's functions, inclusive (callees in packages and downstream middleware included), µs per request`,
    );
    for (const [name, us] of [...r.oursInclusive].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`${fmt(perRequest(us, r.requests))}  ${name}`);
    }
  }
}

/** The old view: a whole profile, as shares of its busy time. */
function summarizeWhole(file: string, samples: Sample[]): void {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const sample of samples) {
    total += sample.us;
    if (isIdle(sample)) continue;
    busy += sample.us;
    add(self, frameName(sample.stack[0].callFrame), sample.us);
    const seen = new Set<string>();
    for (const node of sample.stack) {
      const key = frameName(node.callFrame);
      if (!seen.has(key)) add(inclusive, key, sample.us);
      seen.add(key);
    }
  }
  const print = (map: Map<string, number>, count: number, keep: (key: string) => boolean = () => true) => {
    for (const [key, us] of [...map]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)) {
      console.log(`${((us / busy) * 100).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
    }
  };
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms profiled, ${(busy / 1000).toFixed(0)} ms busy`);
  console.log('self time:');
  print(self, 20);
  console.log('inclusive time, sessionwatch and koa-session:');
  print(inclusive, 20, (k) => k.startsWith('(') === false && (/ backend\//.test(k) || k.includes('koa-session')));
}

function main(files: string[]): void {
  const byLabel = new Map<string, Breakdown[]>();
  for (const file of files) {
    const { profile, samples } = loadSamples(file);
    const server = serverOf(file);
    const windows = readWindows(path.dirname(file)).filter(
      (w) => w.server === server && w.start < profile.endTime && w.end > profile.startTime,
    );
    if (!windows.length) {
      summarizeWhole(file, samples);
      continue;
    }
    for (const label of new Set(windows.map((w) => w.label))) {
      const list = byLabel.get(label) ?? [];
      list.push(
        breakdown(
          server,
          samples,
          windows.filter((w) => w.label === label),
        ),
      );
      byLabel.set(label, list);
    }
  }
  for (const [label, results] of byLabel) printBreakdowns(label, results);
}

main(process.argv.slice(2).filter((arg) => !arg.startsWith('--')));
