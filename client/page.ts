/**
 * The page side of one tab: the views and the draft keeper of the plug-ins (`ui`, `drafts`), the
 * activity tracker and the window listeners that re-check deadlines. Without a window (tests,
 * workers) everything here is a no-op.
 */
import { createActivityTracker, type ActivityTracker } from './activity';
import { currentPath, type ResolvedClientOptions } from './options';
import type { DraftKeeper, LockView, NoticeView, WarningView } from './plugins';
import type { TabsFactory } from './tabs';

/** What the controller needs from the page; tests pass fakes. */
export interface ControllerEnv {
  /** The window to watch (activity, visibility, online) and draw in; null for no DOM at all. */
  window: Window | null;
  /** Leaves the page once the session ended. Default `location.assign`. */
  navigate?: (url: string) => void;
  /** Default the real tabs (`connect-tabs.ts`). */
  tabs?: TabsFactory;
  /** Reloads the page (another user signed in). Default `location.reload`. */
  reload?: () => void;
  /** The push stream's EventSource. Default the window's (none with a custom `transport`). */
  EventSource?: typeof globalThis.EventSource;
}

/** What the page reports to the controller. */
export interface PageHooks {
  /** Activity in this tab (throttled); `viewOnly`: only the tab coming into view (`activityOnVisible`). */
  onActivity: (at: number, viewOnly: boolean) => void;
  /** The tab may have slept or been throttled: re-check deadlines. */
  onWake(): void;
  /** The network is back. */
  onOnline(): void;
  /** The page enters the back/forward cache (`pagehide` with `persisted`). */
  onSuspend(): void;
  /** The page comes back from the back/forward cache (`pageshow` with `persisted`). */
  onRestore(): void;
  /** The page goes away for good (`pagehide` without `persisted`). */
  onLeave(): void;
  /** "Stay signed in" or Escape in the dialog. */
  onStay: () => void;
  /** "Log out" in the dialog. */
  onLogout: () => void;
}

export interface Page {
  readonly warning: WarningView | null;
  readonly lock: LockView | null;
  /** The "connection lost" banner (with a UI that has one). */
  readonly notice: NoticeView | null;
  readonly drafts: DraftKeeper | null;
  /** Puts back this page's draft, once the document is parsed. */
  restoreDrafts(): void;
  /** Starts listening (and installs the watched fetch if asked). */
  attach(): void;
  detach(): void;
  /** Stops counting activity (the session ended). */
  stopActivity(): void;
  /** Counts activity again (the same user signed in again: the page goes on). */
  resumeActivity(): void;
}

export function createPage(win: Window | null, options: ResolvedClientOptions, hooks: PageHooks, watchedFetch: typeof fetch): Page {
  const doc = win?.document;
  const views = doc && options.ui ? options.ui.views({ doc, onStay: hooks.onStay, onLogout: hooks.onLogout }) : null;
  const warning = views?.warning ?? null;
  const lock = views?.lock ?? null;
  const drafts = doc && options.drafts ? options.drafts.keeper(doc, currentPath) : null;
  const activity: ActivityTracker | null = win
    ? createActivityTracker({
        target: win,
        intervalMs: options.activityIntervalMs,
        onActivity: hooks.onActivity,
        onVisible: options.activityOnVisible,
        // The dialog's and lock screen's own events are answers to them, not page activity.
        ignore: (target) => !!(warning?.contains(target) || lock?.contains(target)),
      })
    : null;
  const onWake = () => hooks.onWake();
  const onOnline = () => hooks.onOnline();
  const onPageShow = (event: PageTransitionEvent) => (event.persisted ? hooks.onRestore() : hooks.onWake());
  const onPageHide = (event: PageTransitionEvent) => (event.persisted ? hooks.onSuspend() : hooks.onLeave());
  let pageFetch: typeof fetch | null = null;

  return {
    warning,
    lock,
    notice: views?.notice ?? null,
    drafts,
    restoreDrafts() {
      if (!drafts || !doc) return;
      if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', () => drafts.restore(), { once: true });
      else drafts.restore();
    },
    attach() {
      if (!win) return;
      // Deadlines are re-checked before the activity listeners see a tab coming back.
      // `resume`: Page Lifecycle (Chromium) after a freeze; late timers catch the other cases.
      win.document.addEventListener('visibilitychange', onWake);
      win.document.addEventListener('resume', onWake);
      win.addEventListener('focus', onWake);
      win.addEventListener('pageshow', onPageShow);
      win.addEventListener('pagehide', onPageHide);
      win.addEventListener('online', onOnline);
      if (options.watchFetch) {
        // Kept only to be put back as it was on stop(), never called through this variable.
        // eslint-disable-next-line @typescript-eslint/unbound-method
        pageFetch = win.fetch;
        win.fetch = watchedFetch;
      }
      activity?.start();
      drafts?.watch();
    },
    detach() {
      if (!win) return;
      win.document.removeEventListener('visibilitychange', onWake);
      win.document.removeEventListener('resume', onWake);
      win.removeEventListener('focus', onWake);
      win.removeEventListener('pageshow', onPageShow);
      win.removeEventListener('pagehide', onPageHide);
      win.removeEventListener('online', onOnline);
      if (pageFetch && win.fetch === watchedFetch) win.fetch = pageFetch;
      pageFetch = null;
      activity?.stop();
      drafts?.unwatch();
    },
    stopActivity() {
      activity?.stop();
    },
    resumeActivity() {
      activity?.start();
    },
  };
}
