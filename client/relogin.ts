/**
 * The sign-in window of re-login in place: the lock's "Sign in again" opens the app's own login
 * page (`endUrl`) in a popup, so the locked tabs keep their pages. Once signed in, the login page
 * sends the popup to a page of the app, whose client tells every tab (they unlock) and closes the
 * popup. A popup rather than an embedded frame: login pages commonly refuse framing
 * (`X-Frame-Options`, `frame-ancestors`), single sign-on providers always do, and password
 * managers and passkeys work in a window as they do on the page.
 */

/** Name of the sign-in window: the page a client finds itself in there closes once signed in. */
export const RELOGIN_WINDOW = 'sessionwatch-relogin';

/** Size of the popup (a phone-sized login form fits; the browser may ignore it). */
const FEATURES = 'popup=yes,width=520,height=680';

/**
 * Opens `url` in the sign-in window (reusing it when open), from a user's click: browsers block
 * popups opened otherwise. Null when blocked.
 */
export function openReloginWindow(win: Window, url: string): Window | null {
  let popup: Window | null = null;
  try {
    popup = win.open(url, RELOGIN_WINDOW, FEATURES);
  } catch {
    popup = null;
  }
  popup?.focus();
  return popup;
}

/** True in the sign-in window (by its name: a window opened by a link with the same target counts too). */
export function isReloginWindow(win: Window | null): boolean {
  try {
    return win?.name === RELOGIN_WINDOW;
  } catch {
    return false;
  }
}
