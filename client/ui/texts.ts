/** Every text the default UI shows, in one overridable object (the `texts` option), and its checks. */
import { failOption } from '../../shared/option-checks';
import type { EndReason } from '../../shared/protocol';
import { optionalObject } from '../option-values';

export interface SessionWatchTexts {
  /** Title of the warning dialog. */
  warningTitle: string;
  /** Explanation under the title. */
  warningMessage: string;
  /**
   * The countdown sentence, shown every second (hidden from screen readers) and announced
   * politely at a few milestones only.
   */
  countdown: (secondsLeft: number) => string;
  /** The button that extends the session (Escape does the same). */
  stay: string;
  /** The button that logs out now. */
  logout: string;
  /** Title of the warning before the absolute end (`maxAge`), which cannot be extended. */
  finalWarningTitle: string;
  /** Its explanation: the end cannot be pushed back; save your work. */
  finalWarningMessage: string;
  /** Its button that closes the dialog to go on working (Escape does the same). */
  finalWarningDismiss: string;
  /** Shown (politely announced) while the server cannot be reached. */
  connectionLost: string;
  /** Shown over the page while the session end is being confirmed with the server. */
  checking: string;
  /** Title over the locked page, by end reason. */
  endedTitle: (reason: EndReason) => string;
  /** Message over the locked page, by end reason. */
  endedMessage: (reason: EndReason) => string;
  /** Added on the locked page when the page's form drafts were saved. */
  draftsKept: string;
  /** The link to the login page on the locked page. */
  loginAgain: string;
  /** Re-login in place: what the locked page says under the reason (the page is kept). */
  reloginMessage: string;
  /** Re-login in place: the button that opens the login page in a window. */
  signInAgain: string;
  /** Re-login in place: said (politely) once the login window is open. */
  reloginWaiting: string;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1 minute 5 seconds", "30 seconds". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const minutes = Math.floor(s / 60);
  const seconds = s % 60;
  if (minutes === 0) return plural(seconds, 'second', 'seconds');
  return seconds === 0
    ? plural(minutes, 'minute', 'minutes')
    : `${plural(minutes, 'minute', 'minutes')} ${plural(seconds, 'second', 'seconds')}`;
}

const ENDED_MESSAGES: Record<EndReason, string> = {
  expired: 'Your session ended: after a period of inactivity, or at the end of its allowed time.',
  revoked: 'This session was ended from another device.',
  'logged-out': 'You logged out.',
  lost: 'The server lost your session (it may have restarted).',
};

export const DEFAULT_TEXTS: SessionWatchTexts = {
  warningTitle: 'Are you still there?',
  warningMessage: 'You have been inactive for a while. For your security, you will be logged out soon.',
  countdown: (secondsLeft) => `You will be logged out in ${formatDuration(secondsLeft)}.`,
  stay: 'Stay signed in',
  logout: 'Log out',
  finalWarningTitle: 'Your session is about to end',
  finalWarningMessage:
    'For your security, sessions last a limited time and this one cannot be extended. Save your work now; you will need to log in again.',
  finalWarningDismiss: 'Continue working',
  connectionLost: 'Connection to the server lost. Your work on this page is kept; reconnecting…',
  checking: 'Checking your session…',
  endedTitle: () => 'You have been logged out',
  endedMessage: (reason) => ENDED_MESSAGES[reason],
  draftsKept: 'What you typed on this page will be back after you log in again.',
  loginAgain: 'Log in again',
  reloginMessage: 'Sign in again to pick up where you left off: this page stays as it is.',
  signInAgain: 'Sign in again',
  reloginWaiting: 'Sign in in the window that opened. This page unlocks by itself once you are signed in.',
};

/** The texts given, checked one by one against the defaults' kinds, merged over them. */
export function resolveTexts(texts: unknown): SessionWatchTexts {
  const given = optionalObject<Record<string, unknown>>('texts', texts, 'an object of texts', {});
  const merged = { ...DEFAULT_TEXTS } as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const expected = typeof (DEFAULT_TEXTS as unknown as Record<string, unknown>)[key];
    if (expected === 'undefined') failOption(`texts.${key}`, `one of ${Object.keys(DEFAULT_TEXTS).join(', ')}`, key);
    if (typeof value !== expected) failOption(`texts.${key}`, expected === 'function' ? 'a function' : 'a string', value);
    merged[key] = value;
  }
  return merged as unknown as SessionWatchTexts;
}
