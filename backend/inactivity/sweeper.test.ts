/**
 * The background sweep's timer: `sweep()` every `sweepIntervalMs` once started, never two at once,
 * nothing after `stop()`, off at 0, and never keeping the process alive.
 */
import type { SweepResult } from '../store/types';
import { Sweeper } from './sweeper';

const NOTHING: SweepResult = { expired: [], deleted: 0, purgedEvents: 0 };

/** A sweeper over a `sweep` mock (by default, one that finds nothing at once). */
function sweeper(sweepIntervalMs: number, outcome: () => Promise<SweepResult> = async () => NOTHING) {
  const sweep = jest.fn(outcome);
  return { sweep, sweeper: new Sweeper({ options: { sweepIntervalMs }, sweep }) };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('sweeps every sweepIntervalMs once started, not before', async () => {
  const { sweep, sweeper: s } = sweeper(30_000);
  await jest.advanceTimersByTimeAsync(60_000);
  expect(sweep).not.toHaveBeenCalled(); // not started yet
  s.start();
  await jest.advanceTimersByTimeAsync(29_999);
  expect(sweep).not.toHaveBeenCalled();
  await jest.advanceTimersByTimeAsync(1);
  expect(sweep).toHaveBeenCalledTimes(1);
  await jest.advanceTimersByTimeAsync(60_000);
  expect(sweep).toHaveBeenCalledTimes(3);
  s.stop();
});

test('starting twice keeps one timer', async () => {
  const { sweep, sweeper: s } = sweeper(10_000);
  s.start();
  s.start();
  await jest.advanceTimersByTimeAsync(30_000);
  expect(sweep).toHaveBeenCalledTimes(3);
  expect(jest.getTimerCount()).toBe(1);
  s.stop();
});

test('never overlaps: a tick while a sweep still runs is skipped', async () => {
  const { sweep, sweeper: s } = sweeper(10_000);
  let running = 0;
  let most = 0;
  sweep.mockImplementation(async () => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 25_000)); // 2.5 intervals
    running--;
    return NOTHING;
  });
  s.start();
  await jest.advanceTimersByTimeAsync(10_000); // tick 1 starts a sweep (until 35 s)
  await jest.advanceTimersByTimeAsync(20_000); // ticks at 20 s and 30 s: skipped
  expect(sweep).toHaveBeenCalledTimes(1);
  await jest.advanceTimersByTimeAsync(10_000); // 40 s: the first sweep ended at 35 s, a new one starts
  expect(sweep).toHaveBeenCalledTimes(2);
  expect(most).toBe(1);
  s.stop();
});

test('a failing sweep is retried on the next tick', async () => {
  const { sweep, sweeper: s } = sweeper(5_000, () => Promise.reject(new Error('database down')));
  s.start();
  await jest.advanceTimersByTimeAsync(15_000);
  expect(sweep).toHaveBeenCalledTimes(3);
  s.stop();
});

test('stop() ends the ticks, and start() after it begins them again', async () => {
  const { sweep, sweeper: s } = sweeper(10_000);
  s.start();
  await jest.advanceTimersByTimeAsync(10_000);
  s.stop();
  expect(jest.getTimerCount()).toBe(0);
  await jest.advanceTimersByTimeAsync(60_000);
  expect(sweep).toHaveBeenCalledTimes(1);
  s.start();
  await jest.advanceTimersByTimeAsync(10_000);
  expect(sweep).toHaveBeenCalledTimes(2);
  s.stop();
  s.stop(); // twice is harmless
});

test.each([0, -1])('sweepIntervalMs %i turns it off', async (interval) => {
  const { sweep, sweeper: s } = sweeper(interval);
  s.start();
  expect(jest.getTimerCount()).toBe(0);
  await jest.advanceTimersByTimeAsync(3_600_000);
  expect(sweep).not.toHaveBeenCalled();
  s.stop();
});

test('its timer never keeps the process alive (unref)', () => {
  jest.useRealTimers();
  const setIntervalSpy = jest.spyOn(global, 'setInterval');
  const { sweeper: s } = sweeper(60_000);
  try {
    s.start();
    expect(setIntervalSpy).toHaveBeenCalledTimes(1);
    const timer = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
  } finally {
    s.stop();
    setIntervalSpy.mockRestore();
  }
});
