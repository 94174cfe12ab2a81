/**
 * The lock screen: once the session ends (or while its end is confirmed with the server), the
 * page's content is hidden and made inert behind an opaque panel, so a tab left open never shows
 * data past expiry, even offline.
 */
import type { EndReason } from '../../shared/protocol';
import type { SessionWatchTexts } from './texts';
import { element, ensureStyles, uniqueId } from './styles';

export const LOCKED_CLASS = 'sessionwatch-locked';

export interface LockView {
  /** Hides the page: `checking` while the server is asked, or the end reason (`draftsKept`: say so). */
  lock(status: 'checking' | EndReason, loginHref: string, draftsKept?: boolean): void;
  /** Shows the page again (only before the end is final). */
  unlock(): void;
  readonly locked: boolean;
  contains(node: EventTarget | null): boolean;
  destroy(): void;
}

export function createLockScreen({
  texts,
  doc = document,
  nonce,
}: {
  texts: SessionWatchTexts;
  doc?: Document;
  nonce?: string | null;
}): LockView {
  let root: HTMLDivElement | undefined;
  let made: { el: Element; inert: boolean; ariaHidden: string | null }[] = [];

  function render(status: 'checking' | EndReason, loginHref: string, draftsKept: boolean): void {
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
      const message = element(doc, 'p', 'sessionwatch-message', texts.endedMessage(status) + (draftsKept ? ` ${texts.draftsKept}` : ''));
      message.id = messageId;
      panel.setAttribute('aria-describedby', messageId);
      const link = element(doc, 'a', 'sessionwatch-button sessionwatch-primary', texts.loginAgain);
      link.href = loginHref;
      const actions = element(doc, 'div', 'sessionwatch-actions');
      actions.append(link);
      panel.append(message, actions);
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
    lock(status, loginHref, draftsKept = false) {
      render(status, loginHref, draftsKept);
      hidePage();
    },
    unlock() {
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
    },
    contains(node) {
      return !!root && node instanceof Node && root.contains(node);
    },
    destroy() {
      this.unlock();
    },
  };
}
