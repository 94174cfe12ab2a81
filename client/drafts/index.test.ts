/** @jest-environment jsdom */
import { keepDrafts, resolveDraftOptions } from '.';

test('true, a selector, or an object', () => {
  expect(resolveDraftOptions(true)).toEqual({ selector: 'form', owner: null });
  expect(resolveDraftOptions('#editor')).toEqual({ selector: '#editor', owner: null });
  expect(resolveDraftOptions('')).toEqual({ selector: 'form', owner: null });
  expect(resolveDraftOptions({ owner: 'u1' })).toEqual({ selector: 'form', owner: 'u1' });
});

test('the keeper saves the page’s forms under its path', () => {
  document.body.innerHTML = '<form><input name="title"></form><div id="editor"><input name="body"></div>';
  (document.querySelector('[name=title]') as HTMLInputElement).value = 'kept';
  (document.querySelector('[name=body]') as HTMLInputElement).value = 'not in a form';
  sessionStorage.clear();
  expect(
    keepDrafts()
      .keeper(document, () => '/page')
      .save(),
  ).toBe(1);
  expect(sessionStorage.getItem('sessionwatch:draft:/page')).toContain('kept');
  expect(
    keepDrafts('#editor')
      .keeper(document, () => '/other')
      .save(),
  ).toBe(1);
  expect(sessionStorage.getItem('sessionwatch:draft:/other')).toContain('not in a form');
});

test.each([
  [3, /"drafts" must be true, a selector or \{ selector, owner \}/],
  [{ selector: 5 }, /"drafts.selector" must be a CSS selector/],
  [{ owner: 5 }, /"drafts.owner" must be a string/],
  [{ selectr: 'form' }, /did you mean "selector"\?/],
])('rejects %p', (options, message) => {
  expect(() => keepDrafts(options as never)).toThrow(TypeError);
  expect(() => keepDrafts(options as never)).toThrow(message);
});
