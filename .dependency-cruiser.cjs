/**
 * The direction of dependencies (ARCHITECTURE.md), checked in `npm run lint`:
 *   shared ← client, shared ← backend; shipped folders never import tests, the example or the bench;
 *   the headless client core and React entry never reach the default UI or drafts; no import cycles anywhere.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const SHIPPED = '^(backend|client|shared)/';
const TESTS = '\\.test\\.tsx?$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: break it with a narrower module or an interface.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shipped-imports-shipped-only',
      severity: 'error',
      comment: 'backend/, client/ and shared/ are published: they never import the example, tests, test support or the bench.',
      from: { path: SHIPPED, pathNot: TESTS },
      to: { path: '^(example|test|bench|puppeteer-tests)/' },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'shared/ is the protocol both sides import: plain data, importing neither side.',
      from: { path: '^shared/' },
      to: { path: '^(backend|client)/' },
    },
    {
      name: 'client-never-imports-backend',
      severity: 'error',
      comment: 'The browser client talks to the server over HTTP only (the protocol is in shared/).',
      from: { path: '^client/' },
      to: { path: '^backend/' },
    },
    {
      name: 'headless-client-core-never-reaches-the-ui-or-drafts',
      severity: 'error',
      comment:
        'sessionwatch/client/core and sessionwatch/react/core ship without the default UI and drafts: only an app that imports client/ui or client/drafts gets them (client/core.test.ts checks the bundles too).',
      from: { path: '^client/(core|react-core|react-hook)\\.ts$' },
      to: { path: '^client/(ui|drafts)/', reachable: true },
    },
    {
      name: 'headless-react-never-reaches-the-full-client',
      severity: 'error',
      comment:
        'sessionwatch/react/core takes a client it is given: it never imports the full client (client/index.ts, with-defaults.ts), nor sessionwatch/react, which does.',
      from: { path: '^client/react-(core|hook)\\.ts$' },
      to: { path: '^client/(index|with-defaults|react)\\.ts$', reachable: true },
    },
    {
      name: 'backend-never-imports-client',
      severity: 'error',
      from: { path: '^backend/' },
      to: { path: '^client/' },
    },
    {
      name: 'shipped-code-uses-no-dev-dependency',
      severity: 'error',
      comment: 'Published code may only import dependencies and peer dependencies.',
      from: { path: SHIPPED, pathNot: TESTS },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['npm-peer', 'type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/|^test/e2e/consumers/fixtures/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
