/**
 * User activity in this tab. Listeners are passive and do no work per event beyond storing a
 * timestamp; activity is reported at most once per `intervalMs` (the first event at once).
 *
 * Only the user's input counts: what a page or the browser does by itself does not extend the
 * session. So no `scroll` (a script scrolls too: a chat that follows new messages, a carousel, a
 * smooth-scroll library), counted instead through the input that scrolls (`wheel`, `touchmove`,
 * `keydown`); and, unless `onVisible`, no tab coming into view (the
 * browser's doing when a window is restored, and the idle limit would then never be reached by a
 * user who only looks). The README's "What counts as activity" lists the same.
 */

/** DOM events that count as activity (on `window`, capture phase, passive). */
export const ACTIVITY_EVENTS = [
  'mousemove',
  'mousedown',
  'keydown',
  'wheel',
  'touchstart',
  'touchmove',
  'pointerdown',
  'pointermove',
] as const;

export interface ActivityTrackerOptions {
  /** Minimum time between two reports. */
  intervalMs: number;
  /**
   * Called with the time of the newest activity; `viewOnly`: nothing but the tab coming into view
   * since the last report (`onVisible`), no input.
   */
  onActivity: (at: number, viewOnly: boolean) => void;
  /** Events on these targets do not count (e.g. the warning dialog's own buttons). */
  ignore?: (target: EventTarget | null) => boolean;
  /** Default `window`. */
  target?: Window;
  /** A tab coming into view counts too (the `activityOnVisible` option). Default false. */
  onVisible?: boolean;
}

export interface ActivityTracker {
  start(): void;
  stop(): void;
}

export function createActivityTracker({
  intervalMs,
  onActivity,
  ignore,
  target,
  onVisible = false,
}: ActivityTrackerOptions): ActivityTracker {
  let latest = 0;
  /** Input since the last report (not only the tab coming into view). */
  let input = false;
  let lastReport = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let win: Window | undefined;

  const report = () => {
    timer = undefined;
    lastReport = Date.now();
    const viewOnly = !input;
    input = false;
    onActivity(latest, viewOnly);
  };

  const seen = () => {
    latest = Date.now();
    if (timer !== undefined) return;
    const wait = lastReport + intervalMs - latest;
    if (wait <= 0) report();
    else timer = setTimeout(report, wait);
  };

  const onEvent = (event: Event) => {
    if (ignore?.(event.target)) return;
    input = true;
    seen();
  };

  // Asked for (`activityOnVisible`): a tab coming back to the foreground is activity (the user looked at it).
  const onVisibility = () => {
    if (win?.document.visibilityState === 'visible') seen();
  };

  const listenerOptions: AddEventListenerOptions = { capture: true, passive: true };

  return {
    start() {
      if (win) return;
      win = target ?? window;
      for (const type of ACTIVITY_EVENTS) win.addEventListener(type, onEvent, listenerOptions);
      if (onVisible) win.document.addEventListener('visibilitychange', onVisibility, listenerOptions);
    },
    stop() {
      if (!win) return;
      for (const type of ACTIVITY_EVENTS) win.removeEventListener(type, onEvent, listenerOptions);
      win.document.removeEventListener('visibilitychange', onVisibility, listenerOptions);
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      win = undefined;
    },
  };
}
