/** @jest-environment jsdom */
import { defaultUi } from '.';
import { STYLE_ELEMENT_ID } from './styles';
import { DEFAULT_TEXTS, resolveTexts } from './texts';

const host = { doc: document, onStay: () => undefined, onLogout: () => undefined };

afterEach(() => {
  document.body.innerHTML = '';
  document.getElementById(STYLE_ELEMENT_ID)?.remove();
});

test('draws the dialog, the notice and the lock screen, and says it locks the page', () => {
  const ui = defaultUi();
  expect(ui.locks).toBe(true);
  const views = ui.views(host);
  expect(views.warning && views.notice && views.lock).toBeTruthy();
});

test('dialog: false and lock: false leave those views out', () => {
  const noDialog = defaultUi({ dialog: false }).views(host);
  expect(noDialog).toMatchObject({ warning: null, notice: null });
  expect(noDialog.lock).not.toBeNull();
  const noLock = defaultUi({ lock: false });
  expect(noLock.locks).toBe(false);
  expect(noLock.views(host).lock).toBeNull();
});

test('the nonce goes on the stylesheet, the texts into the views', () => {
  const { warning } = defaultUi({ nonce: 'r4nd0m', texts: { stay: 'Rester connecté' } }).views(host);
  warning!.show(() => Date.now() + 30_000);
  expect((document.getElementById(STYLE_ELEMENT_ID) as HTMLStyleElement).nonce).toBe('r4nd0m');
  expect(document.querySelector('[data-sessionwatch-action="stay"]')!.textContent).toBe('Rester connecté');
  warning!.destroy();
});

test('texts are merged over the defaults', () => {
  const countdown = (s: number) => `${s}s`;
  const texts = resolveTexts({ stay: 'Rester connecté', countdown });
  expect(texts.stay).toBe('Rester connecté');
  expect(texts.countdown).toBe(countdown);
  expect(texts.logout).toBe(DEFAULT_TEXTS.logout);
  expect(resolveTexts(undefined)).toEqual(DEFAULT_TEXTS);
});

test.each([
  [{ texts: 'fr' }, /"texts" must be an object of texts/],
  [{ texts: { stay: 42 } }, /"texts.stay" must be a string/],
  [{ nonce: '' }, /"nonce" must be a non-empty string/],
  [{ lock: 'no' }, /"lock" must be true or false/],
  [{ dialg: false }, /did you mean "dialog"\?/],
])('rejects %p', (options, message) => {
  expect(() => defaultUi(options as never)).toThrow(TypeError);
  expect(() => defaultUi(options as never)).toThrow(message);
});
