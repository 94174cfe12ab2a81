/**
 * What each entry pulls into an app's bundle, as esbuild bundles it (the same minified ESM build
 * as the size figure, `npm run bench -- --only=size`): the headless core never the default UI nor
 * drafts, whatever its options, and neither does the headless React entry with it; the full client
 * both, and so `sessionwatch/react`; and either one broadcast-channel only as a chunk loaded on
 * demand, never up front.
 */
import { buildSync, type Metafile } from 'esbuild';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const UI_OR_DRAFTS = /(^|\/)client\/(ui|drafts)\//;
const LIBRARY = /(^|\/)node_modules\/broadcast-channel\//;

/** The bundle of `contents` (an app's entry module), code-split: each output's inputs, and whether it loads up front. */
function bundleOf(contents: string, external: string[] = []): { inputs: string[]; upFront: boolean }[] {
  const { metafile } = buildSync({
    external,
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
    for (const imported of metafile.outputs[name].imports)
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entry);
  return Object.entries(metafile.outputs).map(([name, output]) => ({ inputs: Object.keys(output.inputs), upFront: upFront.has(name) }));
}

const inputsOf = (outputs: { inputs: string[] }[]) => outputs.flatMap((output) => output.inputs);

/** A React app rendering the provider of `react` (an entry) with the client of `client`. */
const reactApp = (react: string, client: string, options = '') => `
  import { createElement } from 'react';
  import { createSessionWatchClient } from '${client}';
  import { SessionWatchProvider, useSessionWatch } from '${react}';
  function Status() {
    const { warning, secondsLeft, extend } = useSessionWatch();
    return warning ? createElement('button', { onClick: extend }, String(secondsLeft)) : null;
  }
  export const app = createElement(SessionWatchProvider, { client: createSessionWatchClient(${options}) }, createElement(Status));
`;

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

test('the headless React entry with the headless core bundles neither the default UI nor drafts, nor the full client', () => {
  const inputs = inputsOf(bundleOf(reactApp('./client/react-core', './client/core', "{ relogin: 'in-place' }"), ['react']));
  expect(inputs).toEqual(expect.arrayContaining(['client/react-core.ts', 'client/react-hook.ts', 'client/machine.ts']));
  expect(inputs.filter((file) => UI_OR_DRAFTS.test(file))).toEqual([]);
  expect(inputs).not.toContain('client/index.ts');
  expect(inputs).not.toContain('client/with-defaults.ts');
  expect(inputs).not.toContain('client/react.ts');
});

test('the same checks see the default UI and drafts in sessionwatch/react, even with a headless client given', () => {
  // What the headless React entry avoids: the full React entry imports the full client for its `options`.
  const inputs = inputsOf(bundleOf(reactApp('./client/react', './client/core'), ['react']));
  expect(inputs).toEqual(expect.arrayContaining(['client/react.ts', 'client/index.ts', 'client/ui/dialog.ts', 'client/drafts/keeper.ts']));
  expect(inputs.filter((file) => UI_OR_DRAFTS.test(file)).length).toBeGreaterThan(0);
});

test('the headless React entry with the plug-ins imported bundles them', () => {
  const app = reactApp('./client/react-core', './client/core', '{ ui: defaultUi(), drafts: keepDrafts() }');
  const inputs = inputsOf(
    bundleOf(`import { defaultUi } from './client/ui';\nimport { keepDrafts } from './client/drafts';\n${app}`, ['react']),
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
