/** @jest-environment jsdom */
import { act, createElement, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { createDraftKeeper, DRAFT_KEY_PREFIX, DRAFT_MAX_AGE_MS, DRAFT_RESTORE_WAIT_MS, LOGOUT_MARK_KEY } from './keeper';
import type { DraftKeeper } from '../plugins';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const FORM = `
  <form id="f">
    <input name="title" value="">
    <textarea name="body"></textarea>
    <select name="category"><option>General</option><option>Sales</option><option>Support</option></select>
    <select name="tags" multiple><option>a</option><option>b</option><option>c</option></select>
    <input type="checkbox" name="urgent">
    <input type="radio" name="size" value="s" checked><input type="radio" name="size" value="l">
    <input type="password" name="secret">
    <input type="hidden" name="csrf" value="token">
    <input type="file" name="upload">
    <input name="otp" autocomplete="one-time-code">
    <input name="card" autocomplete="cc-number">
    <div data-sessionwatch-ignore><input name="private"></div>
    <input name="untouched" value="server value">
  </form>
  <form data-sessionwatch-ignore><input name="search"></form>`;

let path = '/form';
const keepers: DraftKeeper[] = [];
/** A keeper watching the page (as a started client's is); unwatched after each test. */
function keeper(owner: string | null = 'u1', dropOnLogout = true): DraftKeeper {
  const k = createDraftKeeper({ selector: 'form', owner, path: () => path, dropOnLogout });
  k.watch();
  keepers.push(k);
  return k;
}
afterEach(() => keepers.splice(0).forEach((k) => k.unwatch()));
/** What a user's typing does: the value changes, then `input` fires. */
function type(el: HTMLInputElement | HTMLTextAreaElement, text: string): void {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, text);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}
const field = <T extends Element = HTMLInputElement>(name: string) => document.querySelector(`#f [name="${name}"]`) as unknown as T;

function fill(): void {
  field('title').value = 'Report';
  field<HTMLTextAreaElement>('body').value = 'Line 1\nLine 2';
  field<HTMLSelectElement>('category').value = 'Support';
  const tags = field<HTMLSelectElement>('tags');
  tags.options[0].selected = true;
  tags.options[2].selected = true;
  field('urgent').checked = true;
  (document.querySelector('#f [value="l"]') as HTMLInputElement).checked = true;
  field('secret').value = 'hunter2';
  field('otp').value = '123456';
  field('card').value = '4111111111111111';
  field('private').value = 'diary';
  (document.querySelector('[name="search"]') as HTMLInputElement).value = 'query';
}

beforeEach(() => {
  sessionStorage.clear();
  localStorage.clear();
  document.body.innerHTML = FORM;
  path = '/form';
});

test('saves what the user changed, never secrets, and restores it on the same page', () => {
  fill();
  expect(keeper().save()).toBe(7);
  const stored = sessionStorage.getItem(`${DRAFT_KEY_PREFIX}/form`)!;
  expect(stored).not.toMatch(/hunter2|123456|4111|diary|token|query|server value/);

  document.body.innerHTML = FORM; // the page after logging in again
  const changes: string[] = [];
  document.addEventListener('input', (e) => changes.push((e.target as HTMLInputElement).name));
  expect(keeper().restore()).toBe(7);
  expect(field('title').value).toBe('Report');
  expect(field<HTMLTextAreaElement>('body').value).toBe('Line 1\nLine 2');
  expect(field<HTMLSelectElement>('category').value).toBe('Support');
  expect(Array.from(field<HTMLSelectElement>('tags').selectedOptions).map((o) => o.value)).toEqual(['a', 'c']);
  expect(field('urgent').checked).toBe(true);
  expect((document.querySelector('#f [value="l"]') as HTMLInputElement).checked).toBe(true);
  expect(field('secret').value).toBe('');
  expect(field('untouched').value).toBe('server value');
  expect(changes).toContain('title');
  // Restored once, then deleted.
  expect(sessionStorage.length).toBe(0);
  expect(keeper().restore()).toBe(0);
});

test('a draft belongs to its page and its owner, and goes stale', () => {
  fill();
  keeper().save();
  document.body.innerHTML = FORM;
  path = '/other';
  expect(keeper().restore()).toBe(0);
  path = '/form';
  expect(keeper('someone else').restore()).toBe(0);
  expect(field('title').value).toBe('');

  fill();
  keeper().save();
  document.body.innerHTML = FORM;
  jest.spyOn(Date, 'now').mockReturnValue(Date.now() + DRAFT_MAX_AGE_MS + 1);
  expect(keeper().restore()).toBe(0);
  jest.restoreAllMocks();
});

test("a logout keeps nothing: this page's draft is not saved, and the tab's other drafts are dropped (a shared computer)", () => {
  // A draft kept at an earlier expiry, on another page of this tab, and the app's own storage.
  fill();
  path = '/earlier';
  expect(keeper().save('expired')).toBe(7);
  sessionStorage.setItem('app:theme', 'dark');
  path = '/form';
  expect(keeper().save('logged-out')).toBe(0);
  expect(Object.keys(sessionStorage)).toEqual(['app:theme']);
  // Kept for what drafts are for: an end the user did not ask for.
  for (const reason of ['expired', 'revoked', 'lost'] as const) expect(keeper().save(reason)).toBe(7);
});

test("a logout in another tab reaches this tab's drafts: dropped when the tab hears it (storage event), never restored after it", () => {
  // This tab (on the login page, out of the tabs' channel) keeps a draft from an expiry.
  fill();
  expect(keeper().save('expired')).toBe(7);
  const draft = sessionStorage.getItem(`${DRAFT_KEY_PREFIX}/form`)!;
  // Another tab logs out: it marks the logout for the origin; this one hears the storage event.
  localStorage.setItem(LOGOUT_MARK_KEY, String(Date.now() + 1));
  window.dispatchEvent(new StorageEvent('storage', { key: LOGOUT_MARK_KEY }));
  expect(sessionStorage.getItem(`${DRAFT_KEY_PREFIX}/form`)).toBeNull();
  // Had it not heard (no event), the draft saved before the logout is still never restored.
  sessionStorage.setItem(`${DRAFT_KEY_PREFIX}/form`, draft);
  document.body.innerHTML = FORM;
  expect(keeper().restore()).toBe(0);
  expect(field('title').value).toBe('');
  // A draft saved after the logout is restored as usual; the logout's own tab marks it.
  jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 10);
  fill();
  expect(keeper().save('expired')).toBe(7);
  document.body.innerHTML = FORM;
  expect(keeper().restore()).toBe(7);
  jest.restoreAllMocks();
  keeper().save('logged-out');
  expect(Number(localStorage.getItem(LOGOUT_MARK_KEY))).toBeGreaterThan(0);
});

test('dropOnLogout: false keeps the draft across a logout too', () => {
  fill();
  expect(keeper('u1', false).save('logged-out')).toBe(7);
  expect(sessionStorage.getItem(`${DRAFT_KEY_PREFIX}/form`)).not.toBeNull();
});

test('nothing changed: nothing stored', () => {
  expect(keeper().save()).toBe(0);
  expect(sessionStorage.length).toBe(0);
});

test('a changed page structure restores only matching fields; garbage in storage is ignored', () => {
  jest.useFakeTimers(); // the fields that do not match are awaited a while
  fill();
  keeper().save();
  // Fields are matched by position, name and type: only the title still matches.
  document.body.innerHTML = '<form id="f"><input name="title"><input name="other"><textarea name="body"></textarea></form>';
  expect(keeper().restore()).toBe(1);
  expect(field('title').value).toBe('Report');
  sessionStorage.setItem(`${DRAFT_KEY_PREFIX}/form`, '{not json');
  expect(keeper().restore()).toBe(0);
  jest.advanceTimersByTime(DRAFT_RESTORE_WAIT_MS);
  jest.useRealTimers();
});

describe('framework-controlled fields and fields that appear later', () => {
  let root: Root | null = null;
  afterEach(async () => {
    if (root) {
      await act(async () => {
        root!.unmount();
      });
    }
    root = null;
    jest.useRealTimers();
  });

  /** A React form whose textarea and checkbox are controlled; it renders its state next to them. */
  function Editor() {
    const [body, setBody] = useState('');
    const [urgent, setUrgent] = useState(false);
    return createElement(
      'form',
      { id: 'f' },
      createElement('textarea', { name: 'body', value: body, onChange: (e: { target: HTMLTextAreaElement }) => setBody(e.target.value) }),
      createElement('input', {
        type: 'checkbox',
        name: 'urgent',
        checked: urgent,
        onChange: (e: { target: HTMLInputElement }) => setUrgent(e.target.checked),
      }),
      createElement('output', { id: 'state' }, `${body.length} ${urgent}`),
    );
  }
  async function mountEditor(): Promise<void> {
    const el = document.createElement('div');
    document.body.replaceChildren(el);
    root = createRoot(el);
    await act(async () => {
      root!.render(createElement(Editor));
    });
  }
  const state = () => document.getElementById('state')!.textContent;

  test('a React-controlled textarea and checkbox: saved although React keeps their defaults in sync, restored into React state', async () => {
    await mountEditor();
    const k = keeper();
    await act(async () => {
      type(field<HTMLTextAreaElement>('body'), 'Typed in React');
      field('urgent').click();
    });
    expect(state()).toBe('14 true');
    // React mirrors the value into the default value: only the user's typing tells it changed.
    expect(field<HTMLTextAreaElement>('body').defaultValue).toBe('Typed in React');
    expect(k.save()).toBe(2);
    await act(async () => {
      root!.unmount();
    });

    await mountEditor(); // after logging in again
    expect(state()).toBe('0 false');
    await act(async () => {
      keeper().restore();
    });
    expect(field<HTMLTextAreaElement>('body').value).toBe('Typed in React');
    expect(field('urgent').checked).toBe(true);
    expect(state()).toBe('14 true'); // React's state has it, not only the DOM
  });

  test('fields that mount after the restore are restored when they appear; the event contract of v-model holds', async () => {
    fill();
    keeper().save();
    document.body.innerHTML = '<div id="app"></div>';
    const k = keeper();
    expect(k.restore()).toBe(0); // nothing rendered yet
    expect(sessionStorage.length).toBe(0); // read once
    // A client stopped and started again meanwhile (React's StrictMode) still restores them.
    k.unwatch();
    expect(k.restore()).toBe(0);
    k.watch();
    const seen: string[] = [];
    // What Vue's v-model listens to: `input` (and `change` with .lazy), with the value already set.
    document.addEventListener('input', (e) =>
      seen.push(`input ${(e.target as HTMLInputElement).name}=${(e.target as HTMLInputElement).value}`),
    );
    document.addEventListener('change', (e) => seen.push(`change ${(e.target as HTMLInputElement).name}`));
    document.getElementById('app')!.innerHTML = FORM;
    await Promise.resolve(); // mutation observers run as a microtask
    expect(field('title').value).toBe('Report');
    expect(field<HTMLTextAreaElement>('body').value).toBe('Line 1\nLine 2');
    expect(field('urgent').checked).toBe(true);
    expect(seen).toEqual(expect.arrayContaining(['input title=Report', 'change title', 'input body=Line 1\nLine 2', 'change body']));
  });

  test("the wait for missing fields ends after a while, and at the user's first input", async () => {
    jest.useFakeTimers();
    fill();
    keeper().save();
    document.body.innerHTML = '<div id="app"></div>';
    keeper().restore();
    jest.advanceTimersByTime(DRAFT_RESTORE_WAIT_MS + 1);
    document.getElementById('app')!.innerHTML = FORM;
    await Promise.resolve();
    expect(field('title').value).toBe('');

    document.body.innerHTML = FORM;
    fill();
    keeper().save();
    document.body.innerHTML = '<div id="app"><input name="search"></div>';
    keeper().restore();
    type(document.querySelector('[name="search"]') as HTMLInputElement, 'x'); // the user is at work
    document.getElementById('app')!.innerHTML = FORM;
    await Promise.resolve();
    expect(field('title').value).toBe('');
  });

  test('a field the user or the app already filled keeps its value', async () => {
    fill();
    keeper().save();
    document.body.innerHTML = FORM;
    const k = keeper();
    field('title').value = 'Set by the app';
    type(field<HTMLTextAreaElement>('body'), 'Typed first');
    expect(k.restore()).toBe(5);
    expect(field('title').value).toBe('Set by the app');
    expect(field<HTMLTextAreaElement>('body').value).toBe('Typed first');
    expect(field<HTMLSelectElement>('category').value).toBe('Support');
  });
});
