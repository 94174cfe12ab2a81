/**
 * Where a benchmark server's time goes: a summary of a `.cpuprofile` written under BENCH_CPU_PROF.
 *
 *   BENCH_CPU_PROF=/tmp/prof npm run bench -- --only=overhead
 *   npx ts-node bench/profile-summary.ts /tmp/prof/sqlite-*.cpuprofile
 *
 * Prints the functions with the most self time, and the inclusive time of sessionwatch's and
 * koa-session's functions, as shares of the busy (non-idle) time.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

function summarize(file: string): void {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const name = (n: Node) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|backend|bench|example|shared)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    total += dt;
    let id: number | undefined = profile.samples[i];
    const leaf = name(byId.get(id)!);
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    const seen = new Set<string>();
    while (id !== undefined) {
      const key = name(byId.get(id)!);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
      seen.add(key);
      id = parent.get(id);
    }
  }
  const busy = total - (self.get('(idle) :0') ?? 0);
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
  print(self, 20, (k) => !k.startsWith('(idle)'));
  console.log('inclusive time, sessionwatch and koa-session:');
  print(inclusive, 20, (k) => k.startsWith('(') === false && (/ backend\//.test(k) || k.includes('koa-session')));
}

for (const file of process.argv.slice(2)) summarize(file);
