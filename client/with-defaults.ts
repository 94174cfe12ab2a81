/**
 * The options of `sessionwatch/client`, the client with its defaults: the default UI on unless
 * `ui: false`, drafts by a flag or a selector. {@link withDefaults} turns them into the headless
 * core's options, with the default UI and draft keeping as its plug-ins; importing this module is
 * what brings both into a bundle.
 */
import { assertKnownKeys } from '../shared/option-checks';
import { keepDrafts, type DraftOptions } from './drafts';
import { flag } from './option-values';
import { OPTION_KEYS, type SessionWatchCoreOptions } from './options';
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
  /** Keep form drafts across a logout: `true` (all forms), a selector, or {@link DraftOptions}. Default off. */
  drafts?: boolean | string | DraftOptions;
}

/** The keys only this entry has (the core takes the UI's as `defaultUi()` options). */
const UI_KEYS = ['lock', 'texts', 'nonce'];

/** The core's options for these: the default UI and drafts as plug-ins. Throws TypeError naming a bad option. */
export function withDefaults(options: SessionWatchClientOptions = {}): SessionWatchCoreOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('sessionwatch: options must be an object');
  assertKnownKeys(options, [...OPTION_KEYS, ...UI_KEYS]);
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
