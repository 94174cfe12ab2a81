/**
 * The default warning: an accessible alert dialog (`role="alertdialog"`, `aria-modal`, labelled
 * and described), focus moved in and restored after, Tab kept inside, Escape = stay. The
 * countdown is visual only (aria-hidden); a polite live region announces it at a few milestones so
 * screen readers are not spammed every second.
 */
import type { WarningView } from '../plugins';
import type { SessionWatchTexts } from './texts';
import { element, ensureStyles, uniqueId } from './styles';

/** Seconds left at which the countdown is announced to screen readers. */
export const ANNOUNCE_AT = [60, 30, 10];

export interface WarningDialogOptions {
  texts: SessionWatchTexts;
  /** "Stay signed in" (or Escape); when the end cannot be extended, the dialog closes instead. */
  onStay: () => void;
  onLogout: () => void;
  doc?: Document;
  /** CSP nonce for the stylesheet. */
  nonce?: string | null;
}

export function createWarningDialog({ texts, onStay, onLogout, doc = document, nonce }: WarningDialogOptions): WarningView {
  let root: HTMLDivElement | undefined;
  let dialog: HTMLDivElement;
  let countdown: HTMLParagraphElement;
  let live: HTMLParagraphElement;
  let stay: HTMLButtonElement;
  let logout: HTMLButtonElement;
  let deadline: (() => number) | null = null;
  let title: HTMLHeadingElement;
  let message: HTMLParagraphElement;
  let extendable = true;
  let ticker: ReturnType<typeof setTimeout> | undefined;
  let returnFocus: Element | null = null;
  let announced = new Set<number>();

  function build(): void {
    ensureStyles(doc, nonce);
    const titleId = uniqueId('title');
    const messageId = uniqueId('message');
    root = element(doc, 'div', 'sessionwatch-root sessionwatch-warning');
    root.hidden = true;
    root.setAttribute('data-sessionwatch-ui', '');
    dialog = element(doc, 'div', 'sessionwatch-dialog');
    dialog.setAttribute('role', 'alertdialog');
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-labelledby', titleId);
    dialog.setAttribute('aria-describedby', messageId);
    dialog.tabIndex = -1;
    title = element(doc, 'h2', 'sessionwatch-title', texts.warningTitle);
    title.id = titleId;
    message = element(doc, 'p', 'sessionwatch-message', texts.warningMessage);
    message.id = messageId;
    countdown = element(doc, 'p', 'sessionwatch-countdown');
    countdown.setAttribute('aria-hidden', 'true');
    live = element(doc, 'p', 'sessionwatch-sr');
    live.setAttribute('aria-live', 'polite');
    live.setAttribute('aria-atomic', 'true');
    const actions = element(doc, 'div', 'sessionwatch-actions');
    logout = element(doc, 'button', 'sessionwatch-button', texts.logout);
    stay = element(doc, 'button', 'sessionwatch-button sessionwatch-primary', texts.stay);
    logout.type = stay.type = 'button';
    logout.setAttribute('data-sessionwatch-action', 'logout');
    stay.setAttribute('data-sessionwatch-action', 'stay');
    stay.addEventListener('click', () => primary());
    logout.addEventListener('click', () => onLogout());
    dialog.addEventListener('keydown', onKeydown);
    actions.append(logout, stay);
    dialog.append(title, message, countdown, live, actions);
    root.append(element(doc, 'div', 'sessionwatch-backdrop'), dialog);
    doc.body.appendChild(root);
  }

  function onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.preventDefault();
      primary();
    } else if (event.key === 'Tab') {
      // Keep focus inside: the two buttons are the only stops.
      const stops = [logout, stay];
      const index = stops.indexOf(doc.activeElement as HTMLButtonElement);
      event.preventDefault();
      const next = index === -1 ? 0 : (index + (event.shiftKey ? stops.length - 1 : 1)) % stops.length;
      stops[next].focus();
    }
  }

  /** Stay signed in; or, when nothing can be extended, back to the page to save the work. */
  function primary(): void {
    if (extendable) onStay();
    else view.hide();
  }

  /** The texts for an extendable warning, or for the absolute end. */
  function setMode(canExtend: boolean): void {
    extendable = canExtend;
    title.textContent = canExtend ? texts.warningTitle : texts.finalWarningTitle;
    message.textContent = canExtend ? texts.warningMessage : texts.finalWarningMessage;
    stay.textContent = canExtend ? texts.stay : texts.finalWarningDismiss;
  }

  function secondsLeft(): number {
    return Math.max(0, Math.ceil((deadline!() - Date.now()) / 1000));
  }

  function tick(): void {
    ticker = undefined;
    if (!deadline || !root || root.hidden) return;
    const left = secondsLeft();
    countdown.textContent = texts.countdown(left);
    const milestone = ANNOUNCE_AT.find((m) => left <= m && !announced.has(m));
    if (milestone !== undefined) {
      // Mark every milestone already passed, so a late tick announces once.
      for (const m of ANNOUNCE_AT) if (left <= m) announced.add(m);
      live.textContent = texts.countdown(left);
    }
    if (left > 0) {
      const untilNextSecond = (deadline() - Date.now()) % 1000 || 1000;
      ticker = setTimeout(tick, Math.max(50, untilNextSecond));
    }
  }

  const view: WarningView = {
    get visible() {
      return !!root && !root.hidden;
    },
    show(next, canExtend = true) {
      deadline = next;
      if (root && !root.hidden && extendable === canExtend) return;
      if (!root) build();
      setMode(canExtend);
      if (!root!.hidden) return;
      // Milestones at or above the starting point are not announced: the dialog itself is.
      const left = secondsLeft();
      announced = new Set(ANNOUNCE_AT.filter((m) => m >= left));
      live.textContent = '';
      returnFocus = doc.activeElement;
      root!.hidden = false;
      tick();
      stay.focus();
    },
    hide() {
      if (!root || root.hidden) return;
      root.hidden = true;
      if (ticker !== undefined) clearTimeout(ticker);
      ticker = undefined;
      const focusWasInside = root.contains(doc.activeElement) || doc.activeElement === doc.body;
      if (focusWasInside && returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
      returnFocus = null;
    },
    contains(node) {
      return !!root && node instanceof Node && root.contains(node);
    },
    get returnFocus() {
      return root && !root.hidden ? returnFocus : null;
    },
    destroy() {
      this.hide();
      root?.remove();
      root = undefined;
    },
  };
  return view;
}
