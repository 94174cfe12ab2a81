/**
 * Options of the browser client: the type first, the defaults in one place, validated once by
 * {@link resolveClientOptions} (TypeError / RangeError naming the option).
 */
import { assertKnownKeys, assertWarnBeforeExpire, failOption as fail, positiveSeconds as seconds } from '../shared/option-checks';
import { DEFAULT_API_PREFIX, type EndReason } from '../shared/protocol';
import type { Transport } from './transport';
import { DEFAULT_TEXTS, type SessionWatchTexts } from './ui/texts';

/** Which forms are kept as drafts when a tab is logged out. */
export interface DraftOptions {
  /** Containers whose fields are kept (default `form`). */
  selector?: string;
  /**
   * Who the drafts belong to (e.g. the user id): a draft is only restored for the same owner,
   * so a shared computer never shows one user's text to the next.
   */
  owner?: string;
}

/** Options of {@link createSessionWatchClient}; all optional. Times are in seconds. */
export interface SessionWatchClientOptions {
  /** Mount point of the server API. Default `/session` (the server's `apiPrefix`). */
  apiPrefix?: string;
  /** Seconds of inactivity before the warning. Default: the server's, from the first ping. */
  warnAfter?: number;
  /** Seconds of inactivity before the session ends. Default: the server's. Give both or neither. */
  expireAfter?: number;
  /** Seconds between two pings while the user is active. Default `min(60, warnAfter / 4)`. */
  pingInterval?: number;
  /**
   * Seconds between two checks of an idle session by the leader tab (a ping that reports the idle
   * time, so it never counts as activity): how fast an idle tab learns that its session was
   * revoked elsewhere. `false` turns it off. Default 60.
   */
  checkInterval?: number | false;
  /** Seconds before a ping or logout request counts as failed. Default 10. */
  pingTimeout?: number;
  /** Seconds between two activity reports of one tab (activity is only timestamped in between). Default 0.5. */
  activityInterval?: number;
  /** Name of the cross-tab channel. Default from the origin and `apiPrefix`. */
  channelName?: string;
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
  /** The login page. Default `/`. */
  loginUrl?: string;
  /**
   * Where a tab goes once its session ended. Default `{loginUrl}?next={current path}&reason={reason}`.
   */
  endUrl?: (reason: EndReason, next: string) => string;
  /** Called instead of navigating to `endUrl` once the session ended (and the server knows). */
  onEnd?: (reason: EndReason) => void;
  /**
   * What a tab does once its session ended as `expired`, `revoked` or `lost` (a logout always
   * leaves). `'in-place'`: the page stays where it is, locked, until the same user signs in again
   * — from the lock's "Sign in again" (a popup window on `endUrl`), in any other tab, or through
   * the app's own login UI followed by `client.resume()` — then every tab unlocks, nothing lost;
   * another user signing in reloads the locked tabs instead. `'navigate'`: the tab goes to `endUrl`
   * (or calls `onEnd`). Default `'in-place'` with the lock screen and no `onEnd`, else `'navigate'`.
   */
  relogin?: 'in-place' | 'navigate';
  /**
   * Watch every `fetch` of the page: a 401 `session_revoked` / `session_expired` answer ends the
   * session in all tabs at once. Default false (see also `SessionWatchClient.fetch`).
   */
  watchFetch?: boolean;
  /** Talks to the server; default the `fetch` one. For tests and custom setups. */
  transport?: Transport;
  /** Leader election tuning, in milliseconds (broadcast-channel's options). */
  election?: { responseTime?: number; fallbackInterval?: number };
}

/** Options after validation, with defaults applied; times in milliseconds. */
export interface ResolvedClientOptions {
  apiPrefix: string;
  /** Fixed settings from the options, or null to take the server's. */
  settings: { warnAfter: number; expireAfter: number } | null;
  /** Fixed ping interval, or null for the default derived from `warnAfter`. */
  pingIntervalMs: number | null;
  /** Idle-session check interval, or null when off. */
  checkIntervalMs: number | null;
  pingTimeoutMs: number;
  activityIntervalMs: number;
  channelName: string;
  ui: boolean;
  lock: boolean;
  texts: SessionWatchTexts;
  nonce: string | null;
  drafts: { selector: string; owner: string | null } | null;
  loginUrl: string;
  endUrl: (reason: EndReason, next: string) => string;
  onEnd: ((reason: EndReason) => void) | null;
  relogin: 'in-place' | 'navigate';
  watchFetch: boolean;
  transport: Transport | null;
  election: { responseTime: number; fallbackInterval: number };
}

export const DEFAULTS = {
  pingTimeout: 10,
  checkInterval: 60,
  activityInterval: 0.5,
  loginUrl: '/',
  /** Fast takeover when the leader tab goes (Web Locks make it immediate where available). */
  election: { responseTime: 100, fallbackInterval: 500 },
} as const;

/** The default ping interval: often enough for the server to keep up, at most once a minute. */
export function defaultPingInterval(warnAfter: number): number {
  return Math.min(60, warnAfter / 4);
}

/** The ping interval in ms for the given settings. */
export function pingIntervalMs(options: ResolvedClientOptions, warnAfter: number): number {
  return options.pingIntervalMs ?? defaultPingInterval(warnAfter) * 1000;
}

function optionalFunction<T>(name: string, value: unknown): T | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') fail(name, 'a function', value);
  return value as T;
}

function nonEmptyString(name: string, value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value === '') fail(name, 'a non-empty string', value);
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(name, 'true or false', value);
  return value;
}

function resolveTexts(texts: unknown): SessionWatchTexts {
  if (texts === undefined) return DEFAULT_TEXTS;
  if (typeof texts !== 'object' || texts === null) fail('texts', 'an object of texts', texts);
  const merged = { ...DEFAULT_TEXTS } as Record<string, unknown>;
  for (const [key, value] of Object.entries(texts)) {
    if (value === undefined) continue;
    const expected = typeof (DEFAULT_TEXTS as unknown as Record<string, unknown>)[key];
    if (expected === 'undefined') fail(`texts.${key}`, `one of ${Object.keys(DEFAULT_TEXTS).join(', ')}`, key);
    if (typeof value !== expected) fail(`texts.${key}`, expected === 'function' ? 'a function' : 'a string', value);
    merged[key] = value;
  }
  return merged as unknown as SessionWatchTexts;
}

function resolveDrafts(drafts: unknown): ResolvedClientOptions['drafts'] {
  if (drafts === undefined || drafts === false) return null;
  if (drafts === true) return { selector: 'form', owner: null };
  if (typeof drafts === 'string') return { selector: drafts || 'form', owner: null };
  if (typeof drafts !== 'object' || drafts === null) fail('drafts', 'true, a selector or { selector, owner }', drafts);
  assertKnownKeys(drafts, ['selector', 'owner']);
  const { selector = 'form', owner } = drafts as DraftOptions;
  if (typeof selector !== 'string') fail('drafts.selector', 'a CSS selector', selector);
  if (owner !== undefined && typeof owner !== 'string') fail('drafts.owner', 'a string', owner);
  return { selector, owner: owner ?? null };
}

/** The current path and query, as given to `endUrl` (`next`). */
export function currentPath(): string {
  const loc = globalThis.location;
  return loc ? loc.pathname + loc.search : '/';
}

/** True when `path` (default the current page) is the login page `loginUrl` (same path, query ignored). */
export function isLoginPage(loginUrl: string, path: string = currentPath()): boolean {
  const base = globalThis.location?.href ?? 'http://localhost/';
  try {
    const login = new URL(loginUrl, base);
    const page = new URL(path, base);
    return login.origin === page.origin && login.pathname === page.pathname;
  } catch {
    return false;
  }
}

/** Every option key, so that a misspelt one is refused (the type keeps this list complete). */
const OPTION_KEYS = Object.keys({
  apiPrefix: 1,
  warnAfter: 1,
  expireAfter: 1,
  pingInterval: 1,
  checkInterval: 1,
  pingTimeout: 1,
  activityInterval: 1,
  channelName: 1,
  ui: 1,
  lock: 1,
  texts: 1,
  nonce: 1,
  drafts: 1,
  loginUrl: 1,
  endUrl: 1,
  onEnd: 1,
  relogin: 1,
  watchFetch: 1,
  transport: 1,
  election: 1,
} satisfies Record<keyof SessionWatchClientOptions, 1>);

/** Validates options once and applies defaults. Throws TypeError / RangeError naming the option. */
export function resolveClientOptions(options: SessionWatchClientOptions = {}): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('sessionwatch: options must be an object');
  assertKnownKeys(options, OPTION_KEYS);
  const apiPrefix = options.apiPrefix ?? DEFAULT_API_PREFIX;
  if (typeof apiPrefix !== 'string' || !/^\/[^?#\s]*$/.test(apiPrefix)) fail('apiPrefix', 'a path such as "/session"', apiPrefix);

  const warnAfter = seconds('warnAfter', options.warnAfter);
  const expireAfter = seconds('expireAfter', options.expireAfter);
  if ((warnAfter === undefined) !== (expireAfter === undefined)) {
    throw new TypeError('sessionwatch: options "warnAfter" and "expireAfter" must be given together (or both left to the server)');
  }
  if (warnAfter !== undefined) assertWarnBeforeExpire(warnAfter, expireAfter!);
  const pingInterval = seconds('pingInterval', options.pingInterval);
  const loginUrl = options.loginUrl ?? DEFAULTS.loginUrl;
  if (typeof loginUrl !== 'string' || loginUrl === '') fail('loginUrl', 'a URL', loginUrl);
  const channelName = options.channelName ?? `sessionwatch|${globalThis.location?.origin ?? ''}|${apiPrefix}`;
  if (typeof channelName !== 'string' || channelName === '') fail('channelName', 'a non-empty string', channelName);
  const election = options.election ?? {};
  if (typeof election !== 'object' || election === null) fail('election', 'an object', election);
  assertKnownKeys(election, ['responseTime', 'fallbackInterval']);
  const ui = flag('ui', options.ui, true);
  const transport = options.transport;
  if (
    transport !== undefined &&
    (typeof transport !== 'object' || transport === null || typeof transport.ping !== 'function' || typeof transport.logout !== 'function')
  ) {
    fail('transport', 'an object with ping() and logout()', transport);
  }

  const endUrl =
    optionalFunction<ResolvedClientOptions['endUrl']>('endUrl', options.endUrl) ??
    ((reason, next) => {
      const sep = loginUrl.includes('?') ? '&' : '?';
      // `next` never points at the login page itself (nor nests one `next` in another).
      const back = isLoginPage(loginUrl, next) ? '' : `next=${encodeURIComponent(next)}&`;
      return `${loginUrl}${sep}${back}reason=${encodeURIComponent(reason)}`;
    });

  const lock = flag('lock', options.lock, ui);
  const onEnd = optionalFunction<(reason: EndReason) => void>('onEnd', options.onEnd);
  const relogin = options.relogin ?? (lock && !onEnd ? 'in-place' : 'navigate');
  if (relogin !== 'in-place' && relogin !== 'navigate') fail('relogin', '"in-place" or "navigate"', relogin);

  return {
    apiPrefix,
    settings: warnAfter === undefined ? null : { warnAfter, expireAfter: expireAfter! },
    pingIntervalMs: pingInterval === undefined ? null : pingInterval * 1000,
    checkIntervalMs:
      options.checkInterval === false ? null : (seconds('checkInterval', options.checkInterval) ?? DEFAULTS.checkInterval) * 1000,
    pingTimeoutMs: (seconds('pingTimeout', options.pingTimeout) ?? DEFAULTS.pingTimeout) * 1000,
    activityIntervalMs: (seconds('activityInterval', options.activityInterval) ?? DEFAULTS.activityInterval) * 1000,
    channelName,
    ui,
    lock,
    texts: resolveTexts(options.texts),
    nonce: nonEmptyString('nonce', options.nonce),
    drafts: resolveDrafts(options.drafts),
    loginUrl,
    endUrl,
    onEnd,
    relogin,
    watchFetch: flag('watchFetch', options.watchFetch, false),
    transport: transport ?? null,
    election: {
      responseTime: seconds('election.responseTime', election.responseTime, 'milliseconds') ?? DEFAULTS.election.responseTime,
      fallbackInterval:
        seconds('election.fallbackInterval', election.fallbackInterval, 'milliseconds') ?? DEFAULTS.election.fallbackInterval,
    },
  };
}
