/**
 * Three projects, one per kind of suite (see README, "Development"):
 *   unit     beside the module they pin (backend/, client/, shared/): no service, `npm run test:unit`
 *   e2e      test/e2e/: real HTTP servers on SQLite and Postgres, Redis, the example app, the README, npm pack
 *   browser  puppeteer-tests/: Chromium and Firefox, several tabs
 * `npm test` runs all three.
 * @type {import('jest').Config}
 */
const base = {
  testEnvironment: 'node',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Type checking runs once in `npm test` (tsc --noEmit); tests only transpile.
  transform: { '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{backend,client,shared}/**/*.test.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...base, displayName: 'browser', testMatch: ['<rootDir>/puppeteer-tests/**/*.test.ts'] },
  ],
};
