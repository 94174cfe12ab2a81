/** @jest-environment jsdom */
import { keepDrafts } from '.';

/** What `keepDrafts(options)` saves of this page, as stored: owner and the fields' names. */
function saved(options?: Parameters<typeof keepDrafts>[0]): { owner: string | null; names: string[] } | null {
  sessionStorage.clear();
  keepDrafts(options)
    .keeper(document, () => '/page')
    .save();
  const raw = sessionStorage.getItem('sessionwatch:draft:/page');
  if (!raw) return null;
  const draft = JSON.parse(raw) as { owner: string | null; containers: { fields: { name: string }[] }[] };
  return { owner: draft.owner, names: draft.containers.flatMap((c) => c.fields.map((f) => f.name)) };
}

beforeEach(() => {
  document.body.innerHTML = '<form><input name="title"></form><div id="editor"><input name="body"></div>';
  (document.querySelector('[name=title]') as HTMLInputElement).value = 'in the form';
  (document.querySelector('[name=body]') as HTMLInputElement).value = 'in the editor';
});

test('every form by default (or true, or an empty selector), no owner', () => {
  for (const options of [undefined, true as const, '', {}]) expect(saved(options)).toEqual({ owner: null, names: ['title'] });
});

test('a selector, or { selector, owner }', () => {
  expect(saved('#editor')).toEqual({ owner: null, names: ['body'] });
  expect(saved({ selector: '#editor', owner: 'u1' })).toEqual({ owner: 'u1', names: ['body'] });
  expect(saved({ owner: 'u1' })).toEqual({ owner: 'u1', names: ['title'] });
});

test('dropOnLogout: on by default, off with false', () => {
  const keeper = (options?: Parameters<typeof keepDrafts>[0]) => keepDrafts(options).keeper(document, () => '/page');
  sessionStorage.clear();
  expect(keeper().save('logged-out')).toBe(0);
  expect(keeper({ owner: 'u1' }).save('logged-out')).toBe(0);
  expect(keeper({ dropOnLogout: false }).save('logged-out')).toBe(1);
  expect(keeper({ dropOnLogout: true }).save('expired')).toBe(1);
});

test.each([
  [{ dropOnLogout: 'yes' }, /"drafts.dropOnLogout" must be true or false/],
  [3, /"drafts" must be true, a selector or \{ selector, owner, dropOnLogout \}/],
  [null, /"drafts" must be true, a selector or \{ selector, owner, dropOnLogout \}/],
  [{ selector: 5 }, /"drafts.selector" must be a CSS selector/],
  [{ owner: 5 }, /"drafts.owner" must be a string/],
  [{ selectr: 'form' }, /did you mean "selector"\?/],
])('rejects %p', (options, message) => {
  expect(() => keepDrafts(options as never)).toThrow(TypeError);
  expect(() => keepDrafts(options as never)).toThrow(message);
});
