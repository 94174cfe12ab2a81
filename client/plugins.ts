/**
 * What the headless core (`sessionwatch/client/core`) asks of its two plug-ins, the `ui` and
 * `drafts` options: the default UI (`defaultUi()`, `sessionwatch/client/ui`) and draft keeping
 * (`keepDrafts()`, `sessionwatch/client/drafts`) implement these shapes. The core imports neither
 * module, only this file's types: an app that does not import them does not ship them, whatever
 * its options say (a bundler can drop a module only when no import reaches it).
 */
import type { EndReason } from '../shared/protocol';

/** The warning shown before the session ends (the default UI's dialog). */
export interface WarningView {
  /**
   * Shows the warning counting down to `deadline()` (epoch ms). `canExtend` false: the end cannot
   * be pushed back (`maxAge`): the warning says so, and its main button only closes it.
   */
  show(deadline: () => number, canExtend?: boolean): void;
  hide(): void;
  readonly visible: boolean;
  /** True for nodes inside the view (their events are not page activity). */
  contains(node: EventTarget | null): boolean;
  /** While shown: the page element that had the focus before, which gets it back on hide. */
  readonly returnFocus: Element | null;
  destroy(): void;
}

/** Says that the server cannot be reached (the default UI's banner). */
export interface NoticeView {
  /** Shows the notice (`lost`) or takes it down. */
  set(lost: boolean): void;
  destroy(): void;
}

/** Hides the page once the session ended, or while its end is confirmed (the default UI's lock screen). */
export interface LockView {
  /**
   * Hides the page: `checking` while the server is asked, or the end reason (`draftsKept`: say
   * so; `inPlace`: offer to sign in again in a window, the page is kept).
   */
  lock(status: 'checking' | EndReason, loginHref: string, draftsKept?: boolean, inPlace?: boolean): void;
  /** Shows the page again (only before the end is final). */
  unlock(): void;
  readonly locked: boolean;
  /** True for nodes inside the view (their events are not page activity). */
  contains(node: EventTarget | null): boolean;
  destroy(): void;
}

/** One tab's views; null for those the UI does not draw. */
export interface UiViews {
  warning: WarningView | null;
  notice: NoticeView | null;
  lock: LockView | null;
}

/** What a UI is given to draw one tab's views. */
export interface UiHost {
  doc: Document;
  /** "Stay signed in" (or Escape in the warning). */
  onStay: () => void;
  /** "Log out" in the warning. */
  onLogout: () => void;
}

/** The `ui` option of the headless core: `defaultUi()` from `sessionwatch/client/ui`. */
export interface SessionWatchUi {
  /** True when it hides an ended page (a lock view): re-login in place is then the default. */
  readonly locks: boolean;
  /** Draws the views of one tab (called once, when the client is created in a page). */
  views(host: UiHost): UiViews;
}

/** Keeps what the user typed in the page's forms across a logout. */
export interface DraftKeeper {
  /**
   * The session ended for `reason`: saves the changed fields of the page; returns the number of
   * fields saved. A keeper may keep nothing for a logout (`keepDrafts`' `dropOnLogout`, which also
   * deletes the tab's other drafts).
   */
  save(reason?: EndReason): number;
  /**
   * Reads and deletes this page's draft, and restores it into the fields the user has not filled
   * yet; returns the number of fields restored now (fields not there yet may follow).
   */
  restore(): number;
  /** Deletes this page's saved draft (the page itself is still there: nothing to restore). */
  discard(): void;
  /** Starts noting which fields the user types in (framework-controlled fields need it). */
  watch(): void;
  /** Stops noting. */
  unwatch(): void;
}

/** The `drafts` option of the headless core: `keepDrafts()` from `sessionwatch/client/drafts`. */
export interface SessionWatchDrafts {
  /** The keeper of one page: its forms in `doc`, its drafts keyed by `path()` (path and query). */
  keeper(doc: Document, path: () => string): DraftKeeper;
}
