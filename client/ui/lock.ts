/**
 * The lock screen: once the session ends (or while its end is confirmed with the server), the
 * page's content is hidden and made inert behind an opaque panel, so a tab left open never shows
 * data past expiry, even offline. With re-login in place it offers "Sign in again" (a login
 * window) and, once the same user signed in, gives the page back as it was, focus included.
 */
import type { EndReason } from '../../shared/protocol';
import type { LockView } from '../plugins';
import { openReloginWindow, RELOGIN_WINDOW } from '../relogin';
import type { SessionWatchTexts } from './texts';
import { element, ensureStyles, uniqueId } from './styles';

export const LOCKED_CLASS = 'sessionwatch-locked';

export function createLockScreen({
  texts,
  doc = document,
  nonce,
  pageFocus = () => null,
}: {
  texts: SessionWatchTexts;
  doc?: Document;
  nonce?: string | null;
  /** The page element to give the focus back to when it is in another sessionwatch view (the warning's). */
  pageFocus?: () => Element | null;
}): LockView {
  let root: HTMLDivElement | undefined;
  let made: { el: Element; inert: boolean; ariaHidden: string | null }[] = [];
  /** What had the focus before the lock: it gets it back on unlock. */
  let focusBefore: Element | null = null;
  /**
   * The sign-in window this tab opened: closed on unlock (another tab's window may be the one the
   * user signed in with; this one would stay on the login page).
   */
  let opened: Window | null = null;

  function render(status: 'checking' | EndReason, loginHref: string, draftsKept: boolean, inPlace: boolean): void {
    ensureStyles(doc, nonce);
    root?.remove();
    const titleId = uniqueId('lock-title');
    const messageId = uniqueId('lock-message');
    root = element(doc, 'div', 'sessionwatch-root sessionwatch-lock');
    root.setAttribute('data-sessionwatch-ui', '');
    // Opaque even if the stylesheet is blocked.
    root.style.background = 'var(--sessionwatch-lock-bg, #eef1f4)';
    const panel = element(doc, 'div', 'sessionwatch-panel');
    panel.setAttribute('role', 'alertdialog');
    panel.setAttribute('aria-modal', 'true');
    panel.setAttribute('aria-labelledby', titleId);
    const title = element(doc, 'h2', 'sessionwatch-title', status === 'checking' ? texts.checking : texts.endedTitle(status));
    title.id = titleId;
    panel.append(title);
    if (status !== 'checking') {
      const said = [texts.endedMessage(status), inPlace ? texts.reloginMessage : draftsKept ? texts.draftsKept : ''];
      const message = element(doc, 'p', 'sessionwatch-message', said.filter(Boolean).join(' '));
      message.id = messageId;
      panel.setAttribute('aria-describedby', messageId);
      const link = element(doc, 'a', 'sessionwatch-button sessionwatch-primary', inPlace ? texts.signInAgain : texts.loginAgain);
      link.href = loginHref;
      const actions = element(doc, 'div', 'sessionwatch-actions');
      actions.append(link);
      panel.append(message, actions);
      if (inPlace) {
        // Without a popup (blocked), the link opens the login page in a tab of that name.
        link.target = RELOGIN_WINDOW;
        const waiting = element(doc, 'p', 'sessionwatch-message');
        waiting.setAttribute('role', 'status');
        panel.append(waiting);
        link.addEventListener('click', (event) => {
          const win = doc.defaultView;
          opened = win && openReloginWindow(win, link.href);
          if (opened) event.preventDefault();
          waiting.textContent = texts.reloginWaiting;
        });
      }
    } else {
      panel.setAttribute('aria-busy', 'true');
    }
    root.append(panel);
    doc.body.appendChild(root);
    if (status !== 'checking') panel.querySelector('a')?.focus();
  }

  function hidePage(): void {
    if (made.length) return;
    for (const el of Array.from(doc.body.children)) {
      if (el === root || el.classList.contains('sessionwatch-root') || el.tagName === 'SCRIPT') continue;
      made.push({ el, inert: (el as HTMLElement).inert === true, ariaHidden: el.getAttribute('aria-hidden') });
      (el as HTMLElement).inert = true;
      el.setAttribute('inert', '');
      el.setAttribute('aria-hidden', 'true');
    }
    doc.documentElement.classList.add(LOCKED_CLASS);
  }

  return {
    get locked() {
      return !!root;
    },
    lock(status, loginHref, draftsKept = false, inPlace = false) {
      if (!root) {
        const active = doc.activeElement;
        focusBefore = active?.closest('.sessionwatch-root') ? pageFocus() : active;
      }
      render(status, loginHref, draftsKept, inPlace);
      hidePage();
    },
    unlock() {
      try {
        if (opened && !opened.closed) opened.close();
      } catch {
        // Gone already.
      }
      opened = null;
      const hadFocus = root?.contains(doc.activeElement) ?? false;
      root?.remove();
      root = undefined;
      for (const { el, inert, ariaHidden } of made) {
        (el as HTMLElement).inert = inert;
        if (!inert) el.removeAttribute('inert');
        if (ariaHidden === null) el.removeAttribute('aria-hidden');
        else el.setAttribute('aria-hidden', ariaHidden);
      }
      made = [];
      doc.documentElement.classList.remove(LOCKED_CLASS);
      // Back where the user was (unless they already moved on, or it is gone).
      const before = focusBefore as HTMLElement | null;
      if ((hadFocus || doc.activeElement === doc.body) && typeof before?.focus === 'function' && before.isConnected) before.focus();
      focusBefore = null;
    },
    contains(node) {
      return !!root && node instanceof Node && root.contains(node);
    },
    destroy() {
      this.unlock();
    },
  };
}
