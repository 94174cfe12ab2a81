/** @jest-environment jsdom */
import { createActivityTracker } from './activity';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

function track(ignore?: (t: EventTarget | null) => boolean) {
  const seen: number[] = [];
  const tracker = createActivityTracker({ intervalMs: 500, onActivity: (at) => seen.push(at - 1_000_000), ignore });
  tracker.start();
  return { tracker, seen };
}

const fire = (type: string, target: EventTarget = document.body) => target.dispatchEvent(new Event(type, { bubbles: true }));

test('reports the first event at once, then at most every interval with the newest time', () => {
  const { tracker, seen } = track();
  fire('mousemove');
  expect(seen).toEqual([0]);
  for (let i = 0; i < 10; i++) {
    jest.advanceTimersByTime(40);
    fire('mousemove');
  }
  expect(seen).toEqual([0]);
  jest.advanceTimersByTime(500);
  expect(seen).toEqual([0, 400]);
  tracker.stop();
});

test.each(['mousemove', 'mousedown', 'keydown', 'wheel', 'touchstart', 'touchmove', 'pointerdown', 'pointermove'])('%s counts', (type) => {
  const { tracker, seen } = track();
  fire(type);
  expect(seen).toHaveLength(1);
  tracker.stop();
});

/** The document turns visible, as when its window is restored. */
function becomeVisible() {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
  document.dispatchEvent(new Event('visibilitychange'));
}

test('a scroll does not count (a script scrolls too: the input that scrolls counts), nor a tab coming into view', () => {
  const { tracker, seen } = track();
  document.body.innerHTML = '<div id="box"></div>';
  document.getElementById('box')!.dispatchEvent(new Event('scroll')); // does not bubble
  window.dispatchEvent(new Event('scroll'));
  becomeVisible();
  expect(seen).toEqual([]);
  tracker.stop();
});

test('with onVisible (the activityOnVisible option), a tab coming into view counts', () => {
  const seen: number[] = [];
  const viewOnly: boolean[] = [];
  const tracker = createActivityTracker({
    intervalMs: 500,
    onActivity: (at, only) => seen.push(at) && viewOnly.push(only),
    onVisible: true,
  });
  tracker.start();
  becomeVisible();
  expect(seen).toHaveLength(1);
  // Said apart from input (no sign that the user is in this tab): a report with input is not view-only.
  jest.advanceTimersByTime(100);
  fire('keydown');
  jest.advanceTimersByTime(1000);
  expect(viewOnly).toEqual([true, false]);
  tracker.stop();
  jest.advanceTimersByTime(1000);
  becomeVisible();
  expect(seen).toHaveLength(2);
});

test('ignored targets do not count, and nothing counts after stop', () => {
  document.body.innerHTML = '<div id="ui"><button>Stay</button></div><p id="page"></p>';
  const ui = document.getElementById('ui')!;
  const { tracker, seen } = track((t) => t instanceof Node && ui.contains(t));
  fire('mousedown', ui.querySelector('button')!);
  expect(seen).toEqual([]);
  fire('mousedown', document.getElementById('page')!);
  expect(seen).toHaveLength(1);
  tracker.stop();
  jest.advanceTimersByTime(1000);
  fire('mousedown', document.getElementById('page')!);
  expect(seen).toHaveLength(1);
});
