/**
 * The default UI (`sessionwatch/client/ui`): the warning dialog, the connection notice and the lock
 * screen, as the `ui` plug-in of the headless core. `sessionwatch/client` adds it for you; with
 * `sessionwatch/client/core`, import it only where you want it, so an app with its own UI never
 * ships this one.
 *
 * @example
 * ```ts
 * import { createSessionWatchClient } from 'sessionwatch/client/core';
 * import { defaultUi } from 'sessionwatch/client/ui';
 *
 * createSessionWatchClient({ ui: defaultUi({ texts: { stay: 'Keep working' } }) }).start();
 * ```
 * @packageDocumentation
 */
import { assertKnownKeys } from '../../shared/option-checks';
import { flag, nonEmptyString, optionalObject } from '../option-values';
import type { SessionWatchUi } from '../plugins';
import { createWarningDialog } from './dialog';
import { createLockScreen } from './lock';
import { createConnectionNotice } from './notice';
import { resolveTexts, type SessionWatchTexts } from './texts';

/** Options of {@link defaultUi}; all optional. */
export interface DefaultUiOptions {
  /** Texts of the views (i18n), merged over {@link DEFAULT_TEXTS}. */
  texts?: Partial<SessionWatchTexts>;
  /**
   * CSP nonce given to the UI's `<style>` element, for a policy such as `style-src 'nonce-…'`
   * (the UI sets no inline `style` attributes in markup).
   */
  nonce?: string;
  /** The warning dialog and the connection notice. Default true. */
  dialog?: boolean;
  /** Hide the page behind a lock screen once the session ends. Default true. */
  lock?: boolean;
}

/**
 * The default UI, for the `ui` option of `sessionwatch/client/core`. Options are validated at
 * once (TypeError naming the option).
 */
export function defaultUi(options: DefaultUiOptions = {}): SessionWatchUi {
  const given = optionalObject<DefaultUiOptions>('ui', options, 'an object', {});
  assertKnownKeys(given, ['texts', 'nonce', 'dialog', 'lock']);
  const texts = resolveTexts(given.texts);
  const nonce = nonEmptyString('nonce', given.nonce);
  const dialog = flag('dialog', given.dialog, true);
  const lock = flag('lock', given.lock, true);
  return {
    locks: lock,
    views({ doc, onStay, onLogout }) {
      const warning = dialog ? createWarningDialog({ texts, onStay, onLogout, doc, nonce }) : null;
      return {
        warning,
        notice: dialog ? createConnectionNotice({ texts, doc, nonce }) : null,
        lock: lock ? createLockScreen({ texts, doc, nonce, pageFocus: () => warning?.returnFocus ?? null }) : null,
      };
    },
  };
}

export { DEFAULT_TEXTS } from './texts';
export type { SessionWatchTexts } from './texts';
