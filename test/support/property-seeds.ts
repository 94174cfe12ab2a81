/**
 * Property runs that can be replayed. fast-check draws a new seed for every run, so a rare
 * counterexample shows up once in a hundred runs and is gone from the next: every property test
 * runs through {@link assertProperty} instead of `fc.assert`, which runs
 * - the test's fixed seeds (every seed a failure was ever found with), every time;
 * - then one random seed, named in the failure with the command that replays it;
 * - or, with `FC_SEED` set (and `FC_PATH`, fast-check's path to the shrunk counterexample), only
 *   that seed: `FC_SEED=613418524 npx jest client/machine.property -t 'random lifecycles'`.
 */
import path from 'node:path';
import fc from 'fast-check';

/** The repository root: replay commands name a test file from there. */
const ROOT = path.resolve(__dirname, '..', '..');

export interface SeededParameters<Ts> extends fc.Parameters<Ts> {
  /** Seeds run every time, before the random one (a failure once found with them stays pinned). */
  seeds?: readonly number[];
}

/** The seed fast-check would draw (a 32-bit integer). */
function randomSeed(): number {
  return (Math.random() * 2 ** 32) | 0;
}

/** `text` as one single-quoted shell word. */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs this test again with `seed` (and `path`): `FC_SEED=… npx jest <file> -t <name>`. */
function replayCommand(seed: number, counterexamplePath: string | null): string {
  const { testPath, currentTestName } = expect.getState();
  const file = testPath ? path.relative(ROOT, testPath) : '<test file>';
  const name = currentTestName ? ` -t ${shellWord(currentTestName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))}` : '';
  const at = counterexamplePath ? ` FC_PATH=${shellWord(counterexamplePath)}` : '';
  return `FC_SEED=${seed}${at} npx jest ${file}${name}`;
}

/**
 * One fast-check run with `seed`; a failure throws fast-check's report, headed by how to replay it
 * (the property's error as its `cause`, which jest prints).
 */
function runSeed<Ts>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts>, seed: number, which: string): void {
  const details = fc.check(property, { ...params, seed });
  if (!details.failed) return;
  // fast-check runs the examples first: their failures are the same with any seed.
  const first = Number((details.counterexamplePath ?? '').split(':')[0]);
  const examples = params.examples?.length ?? 0;
  const what = first < examples ? `on the test's example #${first} (any seed), run with ${which}` : `with ${which}`;
  const head = `Property failed ${what} ${details.seed}. Replay: ${replayCommand(details.seed, details.counterexamplePath)}`;
  throw new Error(`${head}\n\n${fc.defaultReportMessage(details) ?? ''}`, { cause: details.errorInstance });
}

/**
 * `fc.assert` with reproducible seeds (see the module's comment): the fixed `seeds`, then one
 * random seed (the test's `examples` with the first only); only `FC_SEED` (with `FC_PATH`, if
 * given) when set.
 */
export function assertProperty<Ts>(property: fc.IProperty<Ts>, { seeds = [], ...params }: SeededParameters<Ts> = {}): void {
  const replay = process.env.FC_SEED;
  if (replay !== undefined && replay !== '') {
    const seed = Number(replay);
    if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer (got ${JSON.stringify(replay)})`);
    runSeed(property, { ...params, path: process.env.FC_PATH || undefined }, seed, 'the seed FC_SEED');
    return;
  }
  const runs: [number, string][] = [
    ...seeds.map((seed): [number, string] => [seed, 'the fixed seed']),
    [randomSeed(), "this run's random seed"],
  ];
  for (const [i, [seed, which]] of runs.entries()) runSeed(property, i === 0 ? params : { ...params, examples: [] }, seed, which);
}
