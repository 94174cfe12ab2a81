/** @jest-environment jsdom */
import { RELOGIN_WINDOW } from '../relogin';
import { createLockScreen, LOCKED_CLASS } from './lock';
import { DEFAULT_TEXTS } from './texts';

beforeEach(() => {
  document.head.innerHTML = '';
  document.body.innerHTML = '<main><textarea id="body"></textarea><p>Secret data</p></main>';
});

const main = () => document.querySelector('main')!;
const button = () => document.querySelector<HTMLAnchorElement>('.sessionwatch-lock a')!;

test('in place: the page is kept but inert, "Sign in again" opens the login page in the sign-in window, and says what to do next', () => {
  const open = jest.spyOn(window, 'open').mockReturnValue({ focus() {} } as Window);
  const lock = createLockScreen({ texts: DEFAULT_TEXTS });
  lock.lock('expired', '/login?next=%2Fform&reason=expired', true, true);
  expect(main().inert).toBe(true);
  expect(main().getAttribute('aria-hidden')).toBe('true');
  expect(document.documentElement.classList.contains(LOCKED_CLASS)).toBe(true);
  expect(document.activeElement).toBe(button());
  expect(button().textContent).toBe(DEFAULT_TEXTS.signInAgain);
  expect(button().target).toBe(RELOGIN_WINDOW);
  expect(document.querySelector('.sessionwatch-lock')!.textContent).toContain(DEFAULT_TEXTS.reloginMessage);

  const click = new MouseEvent('click', { bubbles: true, cancelable: true });
  button().dispatchEvent(click);
  expect(open).toHaveBeenCalledWith(
    expect.stringContaining('/login?next=%2Fform&reason=expired'),
    RELOGIN_WINDOW,
    expect.stringContaining('popup'),
  );
  // Opened: the link does not also navigate.
  expect(click.defaultPrevented).toBe(true);
  expect(document.querySelector('[role="status"]')!.textContent).toBe(DEFAULT_TEXTS.reloginWaiting);
  open.mockRestore();
});

test("unlocked (the user signed in, maybe in another tab's window): the window this tab opened closes", () => {
  const popup = { focus() {}, close: jest.fn(), closed: false };
  const open = jest.spyOn(window, 'open').mockReturnValue(popup as unknown as Window);
  const lock = createLockScreen({ texts: DEFAULT_TEXTS });
  lock.lock('expired', '/login', false, true);
  button().dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
  lock.unlock();
  expect(popup.close).toHaveBeenCalledTimes(1);
  open.mockRestore();
});

test('a blocked popup: the link itself opens the login page (in a tab named for the sign-in window)', () => {
  const open = jest.spyOn(window, 'open').mockReturnValue(null);
  const lock = createLockScreen({ texts: DEFAULT_TEXTS });
  lock.lock('revoked', '/login', false, true);
  const click = new MouseEvent('click', { bubbles: true, cancelable: true });
  button().dispatchEvent(click);
  expect(click.defaultPrevented).toBe(false);
  open.mockRestore();
});

test('unlocked: the page is back as it was, the focus where the user left it (or where the warning had taken it from)', () => {
  const field = document.querySelector<HTMLTextAreaElement>('#body')!;
  field.focus();
  const lock = createLockScreen({ texts: DEFAULT_TEXTS });
  lock.lock('expired', '/login', false, true);
  expect(document.activeElement).toBe(button());
  lock.unlock();
  expect(main().inert).toBe(false);
  expect(main().hasAttribute('aria-hidden')).toBe(false);
  expect(document.documentElement.classList.contains(LOCKED_CLASS)).toBe(false);
  expect(document.activeElement).toBe(field);

  // The focus was in another view of ours (the warning): it goes back to what that one had taken it from.
  const dialog = document.createElement('div');
  dialog.className = 'sessionwatch-root';
  dialog.innerHTML = '<button>Stay signed in</button>';
  document.body.append(dialog);
  dialog.querySelector('button')!.focus();
  const withWarning = createLockScreen({ texts: DEFAULT_TEXTS, pageFocus: () => field });
  withWarning.lock('checking', '/login');
  withWarning.lock('expired', '/login', false, true);
  dialog.remove();
  withWarning.unlock();
  expect(document.activeElement).toBe(field);
});

test('navigate mode: the lock links to the login page, and says when drafts were kept', () => {
  const lock = createLockScreen({ texts: DEFAULT_TEXTS });
  lock.lock('expired', '/login?reason=expired', true);
  expect(button().textContent).toBe(DEFAULT_TEXTS.loginAgain);
  expect(button().target).toBe('');
  expect(document.querySelector('.sessionwatch-lock')!.textContent).toContain(DEFAULT_TEXTS.draftsKept);
});
