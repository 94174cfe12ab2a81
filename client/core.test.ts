/**
 * What each entry pulls into an app's bundle, as esbuild bundles it (the same minified ESM build
 * as the size figure, `npm run bench -- --only=size`): the headless core never the default UI nor
 * drafts, whatever its options; the full client both; and either one broadcast-channel only as a
 * chunk loaded on demand, never up front.
 */
import { buildSync, type Metafile } from 'esbuild';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const UI_OR_DRAFTS = /(^|\/)client\/(ui|drafts)\//;
const LIBRARY = /(^|\/)node_modules\/broadcast-channel\//;

/** The bundle of `contents` (an app's entry module), code-split: each output's inputs, and whether it loads up front. */
function bundleOf(contents: string): { inputs: string[]; upFront: boolean }[] {
  const { metafile } = buildSync({
    stdin: { contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    outdir: path.join(ROOT, 'bundle-test-out'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  }) as { metafile: Metafile };
  const entry = Object.keys(metafile.outputs).find((name) => metafile.outputs[name].entryPoint !== undefined)!;
  const upFront = new Set<string>();
  const visit = (name: string) => {
    if (upFront.has(name)) return;
    upFront.add(name);
    for (const imported of metafile.outputs[name].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entry);
  return Object.entries(metafile.outputs).map(([name, output]) => ({ inputs: Object.keys(output.inputs), upFront: upFront.has(name) }));
}

const inputsOf = (outputs: { inputs: string[] }[]) => outputs.flatMap((output) => output.inputs);

test('the headless core never bundles the default UI nor drafts, whatever the options given', () => {
  const outputs = bundleOf(`
    import { createSessionWatchClient } from './client/core';
    createSessionWatchClient({ ui: false, drafts: false, relogin: 'in-place' }).start();
  `);
  expect(inputsOf(outputs).filter((file) => UI_OR_DRAFTS.test(file))).toEqual([]);
  expect(inputsOf(outputs)).toContain('client/machine.ts');
});

test('the headless core with the plug-ins imported bundles them', () => {
  const inputs = inputsOf(
    bundleOf(`
      import { createSessionWatchClient } from './client/core';
      import { defaultUi } from './client/ui';
      import { keepDrafts } from './client/drafts';
      createSessionWatchClient({ ui: defaultUi(), drafts: keepDrafts() }).start();
    `),
  );
  expect(inputs).toEqual(expect.arrayContaining(['client/ui/dialog.ts', 'client/ui/lock.ts', 'client/drafts/keeper.ts']));
});

test('the full client bundles the default UI and drafts', () => {
  const inputs = inputsOf(
    bundleOf(`import { createSessionWatchClient } from './client'; createSessionWatchClient({ ui: false }).start();`),
  );
  expect(inputs).toEqual(expect.arrayContaining(['client/ui/dialog.ts', 'client/ui/lock.ts', 'client/drafts/keeper.ts']));
});

test.each(['./client', './client/core'])('%s: broadcast-channel only in a chunk loaded on demand', (entry) => {
  const outputs = bundleOf(`import { createSessionWatchClient } from '${entry}'; createSessionWatchClient().start();`);
  const withLibrary = outputs.filter((output) => output.inputs.some((file) => LIBRARY.test(file)));
  expect(withLibrary).toHaveLength(1);
  expect(withLibrary[0].upFront).toBe(false);
  // Everything it needs from the rest of the client is passed in: the chunk shares no module with the page's bundle.
  expect(withLibrary[0].inputs.filter((file) => file.startsWith('client/'))).toEqual(['client/library-tabs.ts']);
});
