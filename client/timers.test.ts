import { backoffDelay, createDeadline, MAX_TIMEOUT_MS, MAX_TIMER_STEP_MS } from './timers';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('fires once at the instant', () => {
  const fn = jest.fn();
  const d = createDeadline(fn);
  d.set(Date.now() + 5000);
  jest.advanceTimersByTime(4999);
  expect(fn).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  expect(fn).toHaveBeenCalledTimes(1);
  expect(d.at).toBeNull();
  jest.advanceTimersByTime(60_000);
  expect(fn).toHaveBeenCalledTimes(1);
});

test('setting again replaces the instant; clear cancels', () => {
  const fn = jest.fn();
  const d = createDeadline(fn);
  d.set(Date.now() + 1000);
  d.set(Date.now() + 3000);
  jest.advanceTimersByTime(2000);
  expect(fn).not.toHaveBeenCalled();
  d.clear();
  jest.advanceTimersByTime(5000);
  expect(fn).not.toHaveBeenCalled();
});

test('long waits are measured against the wall clock in steps', () => {
  const fn = jest.fn();
  const d = createDeadline(fn);
  d.set(Date.now() + 3 * MAX_TIMER_STEP_MS + 10);
  expect(jest.getTimerCount()).toBe(1);
  jest.advanceTimersByTime(3 * MAX_TIMER_STEP_MS);
  expect(fn).not.toHaveBeenCalled();
  jest.advanceTimersByTime(10);
  expect(fn).toHaveBeenCalledTimes(1);
});

test('a past instant fires on the next tick', () => {
  const fn = jest.fn();
  createDeadline(fn).set(Date.now() - 10);
  expect(fn).not.toHaveBeenCalled();
  jest.advanceTimersByTime(0);
  expect(fn).toHaveBeenCalledTimes(1);
});

test('backoff doubles from 1 s up to the cap, with ±20% jitter', () => {
  const mid = () => 0.5;
  expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { random: mid }))).toEqual([1000, 2000, 4000, 8000, 16000]);
  expect(backoffDelay(30, { random: mid, maxMs: 60_000 })).toBe(60_000);
  expect(backoffDelay(1, { random: () => 0 })).toBe(800);
  expect(backoffDelay(1, { random: () => 0.999999 })).toBe(1200);
});

test('unstepped: one timer for the whole wait, capped at what setTimeout takes', () => {
  const fn = jest.fn();
  const d = createDeadline(fn);
  const spy = jest.spyOn(globalThis, 'setTimeout');
  d.set(Date.now() + 10 * MAX_TIMER_STEP_MS, false);
  expect(spy).toHaveBeenCalledTimes(1);
  expect(spy.mock.calls[0][1]).toBe(10 * MAX_TIMER_STEP_MS);
  jest.advanceTimersByTime(10 * MAX_TIMER_STEP_MS - 1);
  expect(spy).toHaveBeenCalledTimes(1);
  expect(fn).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  expect(fn).toHaveBeenCalledTimes(1);
  d.set(Date.now() + 100 * MAX_TIMEOUT_MS, false);
  expect(spy.mock.calls[1][1]).toBe(MAX_TIMEOUT_MS);
  spy.mockRestore();
});

test('the same instant set stepped again (a tab shown again) re-arms in steps', () => {
  const fn = jest.fn();
  const d = createDeadline(fn);
  const at = Date.now() + 10 * MAX_TIMER_STEP_MS;
  d.set(at, false);
  const spy = jest.spyOn(globalThis, 'setTimeout');
  d.set(at, false);
  expect(spy).not.toHaveBeenCalled();
  d.set(at);
  expect(spy).toHaveBeenCalledTimes(1);
  expect(spy.mock.calls[0][1]).toBe(MAX_TIMER_STEP_MS);
  spy.mockRestore();
  jest.advanceTimersByTime(10 * MAX_TIMER_STEP_MS);
  expect(fn).toHaveBeenCalledTimes(1);
});
