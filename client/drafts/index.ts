/**
 * Draft keeping (`sessionwatch/client/drafts`), as the `drafts` plug-in of the headless core: what
 * the user typed in the page's forms is kept across the end of a session and put back after the next login
 * (see `keeper.ts` for what is kept and how). `sessionwatch/client` adds it with its `drafts`
 * option; with `sessionwatch/client/core`, import it only where you want it.
 *
 * @example
 * ```ts
 * import { createSessionWatchClient } from 'sessionwatch/client/core';
 * import { keepDrafts } from 'sessionwatch/client/drafts';
 *
 * createSessionWatchClient({ drafts: keepDrafts({ selector: '#editor form', owner: userId }) }).start();
 * ```
 * @packageDocumentation
 */
import { assertKnownKeys, failOption } from '../../shared/option-checks';
import { flag } from '../option-values';
import type { SessionWatchDrafts } from '../plugins';
import { createDraftKeeper } from './keeper';

/** Which forms are kept as drafts when a tab is logged out. */
export interface DraftOptions {
  /** Containers whose fields are kept (default `form`). */
  selector?: string;
  /**
   * Who the drafts belong to (e.g. the user id): a draft is only restored for the same owner,
   * so a shared computer never shows one user's text to the next.
   */
  owner?: string;
  /**
   * A logout (the user's own, in any tab) drops every draft the tabs hold instead of keeping one:
   * on a shared computer the next person must not find them in plain text in the tab's
   * sessionStorage. Drafts of an end the user did not ask for (expiry, revocation) are kept all the
   * same. Default true.
   */
  dropOnLogout?: boolean;
}

/** The defaults, in one place. */
export const DRAFT_DEFAULTS = { selector: 'form', owner: null, dropOnLogout: true } as const;

interface ResolvedDraftOptions {
  selector: string;
  owner: string | null;
  dropOnLogout: boolean;
}

/** The options as the keeper takes them: `true` (all forms), a selector, or {@link DraftOptions}. */
function resolveDraftOptions(drafts: true | string | DraftOptions): ResolvedDraftOptions {
  if (drafts === true) return { ...DRAFT_DEFAULTS };
  if (typeof drafts === 'string') return { ...DRAFT_DEFAULTS, selector: drafts || DRAFT_DEFAULTS.selector };
  if (typeof drafts !== 'object' || drafts === null) failOption('drafts', 'true, a selector or { selector, owner, dropOnLogout }', drafts);
  assertKnownKeys(drafts, ['selector', 'owner', 'dropOnLogout']);
  const { selector = DRAFT_DEFAULTS.selector, owner } = drafts;
  if (typeof selector !== 'string') failOption('drafts.selector', 'a CSS selector', selector);
  if (owner !== undefined && typeof owner !== 'string') failOption('drafts.owner', 'a string', owner);
  return { selector, owner: owner ?? null, dropOnLogout: flag('drafts.dropOnLogout', drafts.dropOnLogout, DRAFT_DEFAULTS.dropOnLogout) };
}

/**
 * Draft keeping, for the `drafts` option of `sessionwatch/client/core`: the fields of every form
 * (`true`, the default), of the containers a selector matches, or {@link DraftOptions}. Validated
 * at once (TypeError naming the option).
 */
export function keepDrafts(options: true | string | DraftOptions = true): SessionWatchDrafts {
  const resolved = resolveDraftOptions(options);
  return { keeper: (doc, path) => createDraftKeeper({ ...resolved, path, root: () => doc }) };
}
