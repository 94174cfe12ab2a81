/**
 * `failClosed(store, timeoutMs, observe, missingTableMessage)`: every query of the wrapped store
 * that fails or is slower than the timeout becomes a StoreUnavailableError (503), a missing table a
 * SessionWatchConfigError (500) saying to run migrate(); `observe` sees every outcome; `migrate()`
 * and `close()` are not guarded.
 */
import { SessionWatchConfigError, StoreUnavailableError } from '../errors';
import { failClosed } from './fail-closed';
import { MemoryStore } from '..';
import type { Store } from './types';
import { testRecord } from '../../test/support/records';

/** Every query of the Store interface, called with plausible arguments. */
const QUERIES: Array<[string, (store: Store) => Promise<unknown>]> = [
  ['insert', (s) => s.insert(testRecord())],
  ['findByTokenHash', (s) => s.findByTokenHash('h')],
  ['findByStoreKey', (s) => s.findByStoreKey('k')],
  ['findById', (s) => s.findById('x')],
  ['listActive', (s) => s.listActive('u1')],
  ['touch', (s) => s.touch('x', 1)],
  ['end', (s) => s.end('x', 'revoked', 1)],
  ['endAllOfUser', (s) => s.endAllOfUser('u1', 'revoked', 1)],
  ['endAllOfIdp', (s) => s.endAllOfIdp('https://idp.example', { sid: 's' }, 'revoked', 1)],
  ['setStoreKey', (s) => s.setStoreKey('x', 'k')],
  ['setLimits', (s) => s.setLimits('u1', null)],
  ['delete', (s) => s.delete('x')],
  ['sweep', (s) => s.sweep({ idleBefore: 0, createdBefore: 0, deadlineBefore: 0, endedBefore: 0, eventsBefore: 0, now: 1 })],
  ['count', (s) => s.count()],
];

/** A memory store whose every method fails with `error`, or never answers when `error` is 'hang'. */
function brokenStore(error: Error | 'hang'): Store {
  const store = new MemoryStore();
  for (const [name] of QUERIES) {
    (store as unknown as Record<string, () => Promise<never>>)[name] = () =>
      error === 'hang' ? new Promise<never>(() => {}) : Promise.reject(error);
  }
  return store;
}

afterEach(() => jest.useRealTimers());

test('a working store answers through it unchanged, and observe sees each success as undefined', async () => {
  const seen: unknown[] = [];
  const inner = new MemoryStore();
  const store = failClosed(inner, 1000, (error) => seen.push(error));
  const record = testRecord({ tokenHash: 'h1', userId: 'carol' });
  await store.insert(record);
  expect(await store.findByTokenHash('h1')).toEqual(record);
  expect(await store.listActive('carol')).toEqual([record]);
  expect(await store.count()).toBe(1);
  expect(await inner.findById(record.id)).toEqual(record); // it went to the wrapped store
  expect(seen).toStrictEqual([undefined, undefined, undefined, undefined]);
});

test.each(QUERIES)('%s: a failure becomes StoreUnavailableError carrying the cause, and observe sees the cause', async (_name, call) => {
  const cause = new Error('connection refused');
  const seen: unknown[] = [];
  const store = failClosed(brokenStore(cause), 1000, (error) => seen.push(error));
  const error = await call(store).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect(error).toMatchObject({ status: 503, code: 'unavailable', cause });
  expect(seen).toEqual([cause]);
});

test.each(QUERIES)('%s: a call slower than the timeout becomes StoreUnavailableError at the timeout', async (_name, call) => {
  jest.useFakeTimers();
  const seen: unknown[] = [];
  const store = failClosed(brokenStore('hang'), 300, (error) => seen.push(error));
  let settled: unknown = 'pending';
  void call(store).catch((err: unknown) => (settled = err));
  await jest.advanceTimersByTimeAsync(299);
  expect(settled).toBe('pending');
  await jest.advanceTimersByTimeAsync(1);
  expect(settled).toBeInstanceOf(StoreUnavailableError);
  expect((settled as StoreUnavailableError).cause).toEqual(new Error('store call timed out after 300 ms'));
  expect(seen).toEqual([expect.any(Error)]);
});

test('an answer just within the timeout is served, and its timer is cleared', async () => {
  jest.useFakeTimers();
  const inner = new MemoryStore();
  inner.count = () => new Promise((resolve) => setTimeout(() => resolve(7), 250));
  const store = failClosed(inner, 300);
  const answer = store.count();
  await jest.advanceTimersByTimeAsync(250);
  await expect(answer).resolves.toBe(7);
  expect(jest.getTimerCount()).toBe(0);
});

test.each([
  ['Postgres undefined_table', Object.assign(new Error('relation "sessionwatch_sessions" does not exist'), { code: '42P01' })],
  ['SQLite no such table', new Error('select * from `sessionwatch_sessions` - SQLITE_ERROR: no such table: sessionwatch_sessions')],
  [
    'SQLite no such column (migrate() not run after an upgrade)',
    new Error('update `sessionwatch_sessions` set `city` = ? - SQLITE_ERROR: no such column: city'),
  ],
  ['SQLite has no column named', new Error('insert into `x` - SQLITE_ERROR: table x has no column named login_ip')],
  ['Postgres undefined_column', Object.assign(new Error('column "city" does not exist'), { code: '42703' })],
])('a missing table (%s) becomes a SessionWatchConfigError with the given message, not a 503', async (_name, cause) => {
  const seen: unknown[] = [];
  const store = failClosed(brokenStore(cause), 1000, (error) => seen.push(error), 'the table is missing: run migrate()');
  const error = await store.findByTokenHash('h').catch((err: unknown) => err);
  expect(error).toBeInstanceOf(SessionWatchConfigError);
  expect(error).not.toBeInstanceOf(StoreUnavailableError);
  expect(error).toMatchObject({ status: 500, code: 'misconfigured', message: 'the table is missing: run migrate()' });
  expect(seen).toEqual([cause]);
});

test('the missing-table message defaults to "run migrate()"', async () => {
  const error = await failClosed(brokenStore(new Error('no such table: x')), 1000)
    .count()
    .catch((err: unknown) => err);
  expect(error).toMatchObject({ message: 'run migrate()' });
});

test("sessionwatch's own HTTP errors from the wrapped store pass through as they are", async () => {
  const config = new SessionWatchConfigError('configured wrong');
  const unavailable = new StoreUnavailableError(new Error('inner'));
  expect(
    await failClosed(brokenStore(config), 1000)
      .count()
      .catch((err: unknown) => err),
  ).toBe(config);
  expect(
    await failClosed(brokenStore(unavailable), 1000)
      .count()
      .catch((err: unknown) => err),
  ).toBe(unavailable);
});

test('migrate() and close() are not guarded: the real error, no timeout, nothing observed', async () => {
  jest.useFakeTimers();
  const seen: unknown[] = [];
  const inner = new MemoryStore();
  const migrateError = new Error('permission denied for schema');
  inner.migrate = () => Promise.reject(migrateError);
  let closed = false;
  inner.close = () =>
    new Promise((resolve) =>
      setTimeout(() => {
        closed = true;
        resolve();
      }, 10_000),
    );
  const store = failClosed(inner, 100, (error) => seen.push(error));
  await expect(store.migrate()).rejects.toBe(migrateError);
  const closing = store.close();
  await jest.advanceTimersByTimeAsync(5_000);
  expect(closed).toBe(false);
  await jest.advanceTimersByTimeAsync(5_000);
  await expect(closing).resolves.toBeUndefined();
  expect(closed).toBe(true);
  expect(seen).toEqual([]);
});
