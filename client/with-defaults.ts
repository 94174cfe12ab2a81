/**
 * The options of `sessionwatch/client`, the client with its defaults: the default UI on unless
 * `ui: false`, drafts by a flag or a selector. {@link withDefaults} turns them into the headless
 * core's options, with the default UI and draft keeping as its plug-ins; importing this module is
 * what brings both into a bundle.
 */
import { assertKnownKeys } from '../shared/option-checks';
import { keepDrafts, type DraftOptions } from './drafts';
import { flag } from './option-values';
import { OPTION_KEYS, UI_OPTION_KEYS, type SessionWatchCoreOptions } from './options';
import { defaultUi } from './ui';
import type { SessionWatchTexts } from './ui/texts';

/** Options of {@link createSessionWatchClient}; all optional. Times are in seconds. */
export interface SessionWatchClientOptions extends Omit<SessionWatchCoreOptions, 'ui' | 'drafts'> {
  /** Show the default warning dialog and lock screen. `false`: headless, events only. Default true. */
  ui?: boolean;
  /** Hide the page behind a lock screen once the session ends. Default: same as `ui`. */
  lock?: boolean;
  /** Texts of the default UI (i18n). */
  texts?: Partial<SessionWatchTexts>;
  /**
   * CSP nonce given to the default UI's `<style>` element, for a policy such as
   * `style-src 'nonce-…'` (the UI sets no inline `style` attributes in markup).
   */
  nonce?: string;
  /**
   * Keep form drafts across the end of a session: `true` (all forms), a selector, or
   * {@link DraftOptions} (a logout drops them unless `dropOnLogout: false`). Default off.
   */
  drafts?: boolean | string | DraftOptions;
}

/**
 * Refuses a headless core's plug-in (`defaultUi()`, `keepDrafts()`: an object with `method`), or its
 * factory, given to this entry, which builds its own: the TypeError says where plug-ins go.
 */
function refusePlugin(name: string, expected: string, value: unknown, method: string, factory: string, instead: string): void {
  const isFactory = typeof value === 'function';
  if (!isFactory && typeof (value as Record<string, unknown> | null | undefined)?.[method] !== 'function') return;
  throw new TypeError(
    `sessionwatch: option "${name}" must be ${expected} (got ${isFactory ? 'a function' : `a plug-in such as ${factory}()`}): ` +
      `${factory}() is for sessionwatch/client/core; ${instead}`,
  );
}

/** The core's options for these: the default UI and drafts as plug-ins. Throws TypeError naming a bad option. */
export function withDefaults(options: SessionWatchClientOptions = {}): SessionWatchCoreOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('sessionwatch: options must be an object');
  assertKnownKeys(options, [...OPTION_KEYS, ...UI_OPTION_KEYS]);
  refusePlugin(
    'ui',
    'true or false',
    options.ui,
    'views',
    'defaultUi',
    'this client has the default UI built in (ui: true; lock, texts and nonce are options of their own)',
  );
  refusePlugin(
    'drafts',
    'true, a selector or { selector, owner, dropOnLogout }',
    options.drafts,
    'keeper',
    'keepDrafts',
    "here, give keepDrafts()'s argument itself (drafts: true, '#editor form' or { selector, owner, dropOnLogout })",
  );
  const { ui: dialog, lock: lockGiven, texts, nonce, drafts, ...core } = options;
  const ui = flag('ui', dialog, true);
  const lock = flag('lock', lockGiven, ui);
  // Built (so checked) even when nothing shows: a bad text is a bug whatever the flags.
  const views = defaultUi({ texts, nonce, dialog: ui, lock });
  return {
    ...core,
    ui: ui || lock ? views : false,
    drafts: drafts === undefined || drafts === false ? false : keepDrafts(drafts),
  };
}
