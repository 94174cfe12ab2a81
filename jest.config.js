/**
 * One project per kind of suite (see README, "Development", and ARCHITECTURE.md, "Tests"):
 *   unit       beside the module they pin (backend/, client/, shared/); no service
 *   e2e-local  the end-to-end suites of test/e2e/ that need no service either (SQLite, loopback servers)
 *   e2e        the other suites of test/e2e/: Postgres, Redis, npm pack and installs
 *   browser    puppeteer-tests/: Chromium and Firefox, several tabs
 * `npm run test:unit` runs unit and e2e-local (no service needed, well under a minute); `npm test` runs all,
 * two suites at a time (`--maxWorkers=2`: Jest's default on 2 cores is one, and most suites wait on
 * browsers, servers and installs rather than compute; about 8 minutes instead of 15).
 * @type {import('jest').Config}
 */
/** ES-module-only packages loaded in-process (see test/support/esm-transform.cjs): turned into CommonJS. */
const ESM_ONLY = ['jose', 'openid-client', 'oauth4webapi'];

const base = {
  testEnvironment: 'node',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Type checking runs once in `npm test` (tsc --noEmit); tests only transpile.
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: '<rootDir>/test/support/esm-transform.cjs',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
};

/** End-to-end suites that need no service: SQLite files and servers on the loopback only. */
const E2E_LOCAL = ['csrf-cookies', 'readme', 'sqlite-writers'];

module.exports = {
  // A global option: jest ignores it inside a project.
  testTimeout: 30000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{backend,client,shared}/**/*.test.ts'] },
    { ...base, displayName: 'e2e-local', testMatch: E2E_LOCAL.map((name) => `<rootDir>/test/e2e/${name}.test.ts`) },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      testPathIgnorePatterns: [...base.testPathIgnorePatterns, ...E2E_LOCAL.map((name) => `/test/e2e/${name}\\.test\\.ts$`)],
    },
    { ...base, displayName: 'browser', testMatch: ['<rootDir>/puppeteer-tests/**/*.test.ts'] },
  ],
};
