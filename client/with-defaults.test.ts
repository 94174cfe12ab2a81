/**
 * @jest-environment jsdom
 *
 * `sessionwatch/client`'s options: the default UI unless `ui: false` (the lock screen follows `ui`
 * unless `lock` says otherwise), drafts by a flag or a selector, every option checked with its name.
 */
import { keepDrafts } from './drafts';
import { resolveClientOptions } from './options';
import { defaultUi } from './ui';
import { withDefaults } from './with-defaults';

/** The views the resolved options would draw in this document. */
function viewsOf(options: Parameters<typeof withDefaults>[0]) {
  const { ui } = resolveClientOptions(withDefaults(options));
  const views = ui?.views({ doc: document, onStay: () => undefined, onLogout: () => undefined });
  return { warning: !!views?.warning, notice: !!views?.notice, lock: !!views?.lock };
}

test('the default UI is on: dialog, notice and lock screen; re-login in place', () => {
  expect(viewsOf({})).toEqual({ warning: true, notice: true, lock: true });
  expect(resolveClientOptions(withDefaults()).relogin).toBe('in-place');
});

test('ui: false is headless and also drops the lock screen, unless asked for', () => {
  expect(withDefaults({ ui: false }).ui).toBe(false);
  expect(resolveClientOptions(withDefaults({ ui: false })).relogin).toBe('navigate');
  expect(viewsOf({ ui: false, lock: true })).toEqual({ warning: false, notice: false, lock: true });
  expect(viewsOf({ lock: false })).toEqual({ warning: true, notice: true, lock: false });
});

test('drafts: off unless true, a selector or an object', () => {
  expect(withDefaults().drafts).toBe(false);
  expect(withDefaults({ drafts: false }).drafts).toBe(false);
  for (const drafts of [true, '#editor', { owner: 'u1' }]) {
    expect(typeof (withDefaults({ drafts }).drafts as { keeper?: unknown }).keeper).toBe('function');
  }
});

test('the core options pass through untouched', () => {
  const onEnd = () => undefined;
  expect(withDefaults({ apiPrefix: '/auth', onEnd, watchFetch: true })).toMatchObject({ apiPrefix: '/auth', onEnd, watchFetch: true });
});

test.each([
  [{ ui: 'yes' }, /"ui" must be true or false/],
  [{ lock: 1 }, /"lock" must be true or false/],
  [{ texts: { stay: 42 } }, /"texts.stay" must be a string/],
  [{ ui: false, texts: { stay: 42 } }, /"texts.stay" must be a string/],
  [{ texts: { countdown: 'soon' } }, /"texts.countdown" must be a function/],
  [{ texts: { nope: 'x' } }, /"texts.nope"/],
  [{ nonce: '' }, /option "nonce" must be a non-empty string/],
  [{ drafts: 3 }, /"drafts" must be true, a selector or \{ selector, owner, dropOnLogout \}/],
  [{ drafts: { selectr: 'form' } }, /did you mean "selector"\?/],
  [{ txts: {} }, /unknown option "txts" \(did you mean "texts"\?\)/],
  [{ expireAftr: 60 }, /unknown option "expireAftr" \(did you mean "expireAfter"\?\)/],
])('rejects %p', (options, message) => {
  expect(() => withDefaults(options as never)).toThrow(TypeError);
  expect(() => withDefaults(options as never)).toThrow(message);
});

test('rejects a non-object', () => {
  expect(() => withDefaults(null as never)).toThrow(new TypeError('sessionwatch: options must be an object'));
});

describe("the headless core's plug-ins given to sessionwatch/client say where they go", () => {
  test('drafts: keepDrafts() (never naming an internal key)', () => {
    const message =
      'sessionwatch: option "drafts" must be true, a selector or { selector, owner, dropOnLogout } (got a plug-in such as keepDrafts()): ' +
      "keepDrafts() is for sessionwatch/client/core; here, give keepDrafts()'s argument itself (drafts: true, '#editor form' or { selector, owner, dropOnLogout })";
    expect(() => withDefaults({ drafts: keepDrafts('#editor') } as never)).toThrow(new TypeError(message));
    expect(() => withDefaults({ drafts: keepDrafts('#editor') } as never)).not.toThrow(/keeper/);
    expect(() => withDefaults({ drafts: keepDrafts } as never)).toThrow(
      new TypeError(message.replace('a plug-in such as keepDrafts()', 'a function')),
    );
  });

  test('ui: defaultUi()', () => {
    const message =
      'sessionwatch: option "ui" must be true or false (got a plug-in such as defaultUi()): defaultUi() is for sessionwatch/client/core; ' +
      'this client has the default UI built in (ui: true; lock, texts and nonce are options of their own)';
    expect(() => withDefaults({ ui: defaultUi({ lock: false }) } as never)).toThrow(new TypeError(message));
    expect(() => withDefaults({ ui: defaultUi } as never)).toThrow(
      new TypeError(message.replace('a plug-in such as defaultUi()', 'a function')),
    );
  });

  test('other wrong values keep their messages', () => {
    expect(() => withDefaults({ ui: {} } as never)).toThrow(
      new TypeError('sessionwatch: option "ui" must be true or false (got [object Object])'),
    );
    expect(() => withDefaults({ drafts: { keeper: 'x' } } as never)).toThrow(
      'unknown option "keeper" (known options: selector, owner, dropOnLogout)',
    );
  });
});
