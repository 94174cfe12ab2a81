/**
 * Database drivers are optional peer dependencies: a URL that needs a missing one fails at
 * construction with an error naming the package to install, and leaves nothing on disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

afterEach(() => {
  jest.resetModules();
  jest.dontMock('pg');
  jest.dontMock('better-sqlite3');
});

function missing(name: string): never {
  const err = new Error(`Cannot find module '${name}'`) as Error & { code: string };
  err.code = 'MODULE_NOT_FOUND';
  throw err;
}

test.each([
  ['pg', 'postgres://user@127.0.0.1:5432/app'],
  ['pg', 'postgresql://user@127.0.0.1:5432/app'],
  ['better-sqlite3', 'sqlite:./data/sessions.sqlite'],
])('without %s, %j throws an error naming the package, and creates nothing', (pkg, url) => {
  jest.doMock(pkg, () => missing(pkg));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-driver-'));
  const before = process.cwd();
  process.chdir(dir);
  const error = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createSessionWatch } = require('../sessionwatch') as typeof import('../sessionwatch');
    expect(() => createSessionWatch({ database: url, sweepInterval: 0 })).toThrow(
      new RegExp(`needs the "${pkg}" package.*npm install ${pkg}`),
    );
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(error).not.toHaveBeenCalled();
  } finally {
    error.mockRestore();
    process.chdir(before);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
