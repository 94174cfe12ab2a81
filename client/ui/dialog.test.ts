/** @jest-environment jsdom */
import { createWarningDialog } from './dialog';
import { createLockScreen, LOCKED_CLASS } from './lock';
import { createConnectionNotice } from './notice';
import { DEFAULT_TEXTS } from './texts';
import { STYLE_ELEMENT_ID } from './styles';

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
  document.head.innerHTML = '';
  document.body.innerHTML = '<main><button id="work">Work</button><p>Secret data</p></main>';
});
afterEach(() => jest.useRealTimers());

function dialogWith(secondsLeft: number) {
  const onStay = jest.fn();
  const onLogout = jest.fn();
  const view = createWarningDialog({ texts: DEFAULT_TEXTS, onStay, onLogout });
  const deadline = Date.now() + secondsLeft * 1000;
  return { view, onStay, onLogout, show: () => view.show(() => deadline) };
}

const dialog = () => document.querySelector('[role="alertdialog"]') as HTMLElement;
const press = (key: string, shiftKey = false) =>
  document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key, shiftKey, bubbles: true, cancelable: true }));

test('an accessible alert dialog: labelled, described, modal; focus moves in and comes back', () => {
  const work = document.getElementById('work')!;
  work.focus();
  const { view, show } = dialogWith(90);
  show();
  const el = dialog();
  expect(el.getAttribute('aria-modal')).toBe('true');
  expect(document.getElementById(el.getAttribute('aria-labelledby')!)!.textContent).toBe(DEFAULT_TEXTS.warningTitle);
  expect(document.getElementById(el.getAttribute('aria-describedby')!)!.textContent).toBe(DEFAULT_TEXTS.warningMessage);
  expect(document.activeElement!.textContent).toBe('Stay signed in');
  expect(document.getElementById(STYLE_ELEMENT_ID)).not.toBeNull();
  view.hide();
  expect(document.activeElement).toBe(work);
  expect(view.visible).toBe(false);
});

test('keyboard: Tab stays inside, Escape means stay; the buttons call back', () => {
  const { onStay, onLogout, show } = dialogWith(90);
  show();
  press('Tab');
  expect(document.activeElement!.textContent).toBe('Log out');
  press('Tab');
  expect(document.activeElement!.textContent).toBe('Stay signed in');
  press('Tab', true);
  expect(document.activeElement!.textContent).toBe('Log out');
  press('Escape');
  expect(onStay).toHaveBeenCalledTimes(1);
  (document.querySelector('[data-sessionwatch-action="logout"]') as HTMLButtonElement).click();
  (document.querySelector('[data-sessionwatch-action="stay"]') as HTMLButtonElement).click();
  expect(onLogout).toHaveBeenCalledTimes(1);
  expect(onStay).toHaveBeenCalledTimes(2);
});

test('the visual countdown ticks every second; the live region speaks only at milestones', () => {
  const { show } = dialogWith(65);
  show();
  const countdown = document.querySelector('.sessionwatch-countdown')!;
  const live = document.querySelector('[aria-live="polite"]')!;
  expect(countdown.getAttribute('aria-hidden')).toBe('true');
  expect(countdown.textContent).toBe('You will be logged out in 1 minute 5 seconds.');
  expect(live.textContent).toBe('');
  const spoken = new Set<string>();
  const observer = () => live.textContent && spoken.add(live.textContent);
  for (let i = 0; i < 65; i++) {
    jest.advanceTimersByTime(1000);
    observer();
  }
  expect(countdown.textContent).toBe('You will be logged out in 0 seconds.');
  expect([...spoken]).toEqual([
    'You will be logged out in 1 minute.',
    'You will be logged out in 30 seconds.',
    'You will be logged out in 10 seconds.',
  ]);
});

test('texts are overridable, including the countdown', () => {
  const view = createWarningDialog({
    texts: { ...DEFAULT_TEXTS, warningTitle: 'Toujours là ?', stay: 'Rester', countdown: (s) => `Déconnexion dans ${s} s` },
    onStay: () => undefined,
    onLogout: () => undefined,
  });
  view.show(() => Date.now() + 20_000);
  expect(dialog().textContent).toContain('Toujours là ?');
  expect(dialog().textContent).toContain('Déconnexion dans 20 s');
  expect(document.activeElement!.textContent).toBe('Rester');
});

test('the lock screen hides and disables the page, then gives it back', () => {
  const lock = createLockScreen({ texts: DEFAULT_TEXTS });
  lock.lock('checking', '/login');
  const main = document.querySelector('main')!;
  expect(document.documentElement.classList.contains(LOCKED_CLASS)).toBe(true);
  expect(main.hasAttribute('inert')).toBe(true);
  expect(main.getAttribute('aria-hidden')).toBe('true');
  lock.lock('expired', '/login?next=%2F&reason=expired');
  const panel = document.querySelector('.sessionwatch-lock [role="alertdialog"]')!;
  expect(panel.textContent).toContain('You have been logged out');
  expect(panel.querySelector('a')!.getAttribute('href')).toBe('/login?next=%2F&reason=expired');
  expect(document.querySelectorAll('.sessionwatch-lock')).toHaveLength(1);
  lock.unlock();
  expect(document.documentElement.classList.contains(LOCKED_CLASS)).toBe(false);
  expect(main.hasAttribute('inert')).toBe(false);
  expect(main.hasAttribute('aria-hidden')).toBe(false);
});

test('a CSP nonce is set on the stylesheet', () => {
  document.getElementById(STYLE_ELEMENT_ID)?.remove();
  const lock = createLockScreen({ texts: DEFAULT_TEXTS, nonce: 'abc123' });
  lock.lock('expired', '/login');
  expect((document.getElementById(STYLE_ELEMENT_ID) as HTMLStyleElement).nonce).toBe('abc123');
  lock.destroy();
});

test('before the absolute end: the dialog says it cannot be extended; its main button and Escape close it, never extend', () => {
  const { view, onStay } = dialogWith(60);
  const deadline = Date.now() + 60_000;
  view.show(() => deadline, false);
  const el = dialog();
  expect(document.getElementById(el.getAttribute('aria-labelledby')!)!.textContent).toBe(DEFAULT_TEXTS.finalWarningTitle);
  expect(document.getElementById(el.getAttribute('aria-describedby')!)!.textContent).toBe(DEFAULT_TEXTS.finalWarningMessage);
  expect(document.activeElement!.textContent).toBe(DEFAULT_TEXTS.finalWarningDismiss);
  press('Escape');
  expect(view.visible).toBe(false);
  view.show(() => deadline, false);
  (document.querySelector('[data-sessionwatch-action="stay"]') as HTMLButtonElement).click();
  expect(view.visible).toBe(false);
  expect(onStay).not.toHaveBeenCalled();
  // An idle warning afterwards is extendable again.
  view.show(() => deadline);
  expect(document.activeElement!.textContent).toBe(DEFAULT_TEXTS.stay);
  press('Escape');
  expect(onStay).toHaveBeenCalledTimes(1);
});

test('the connection notice: a polite status, empty (and hidden) once the server answers again', () => {
  const notice = createConnectionNotice({ texts: DEFAULT_TEXTS });
  notice.set(true);
  const el = document.querySelector('.sessionwatch-notice')!;
  expect([el.getAttribute('role'), el.textContent]).toEqual(['status', DEFAULT_TEXTS.connectionLost]);
  notice.set(false);
  expect(el.textContent).toBe('');
  notice.destroy();
  expect(document.querySelector('.sessionwatch-notice')).toBeNull();
});
