/** @jest-environment jsdom */
import { createDraftKeeper, DRAFT_KEY_PREFIX, DRAFT_MAX_AGE_MS } from './drafts';

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
const keeper = (owner: string | null = 'u1') => createDraftKeeper({ selector: 'form', owner, path: () => path });
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

test('nothing changed: nothing stored', () => {
  expect(keeper().save()).toBe(0);
  expect(sessionStorage.length).toBe(0);
});

test('a changed page structure restores only matching fields; garbage in storage is ignored', () => {
  fill();
  keeper().save();
  // Fields are matched by position, name and type: only the title still matches.
  document.body.innerHTML = '<form id="f"><input name="title"><input name="other"><textarea name="body"></textarea></form>';
  expect(keeper().restore()).toBe(1);
  expect(field('title').value).toBe('Report');
  sessionStorage.setItem(`${DRAFT_KEY_PREFIX}/form`, '{not json');
  expect(keeper().restore()).toBe(0);
});
