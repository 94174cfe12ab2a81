/**
 * Options of the headless core (`sessionwatch/client/core`): the type first, the defaults in one
 * place, validated once by {@link resolveClientOptions} (TypeError / RangeError naming the
 * option). The default UI and drafts come in as plug-ins (`ui`, `drafts`); `sessionwatch/client`
 * turns its own options into these (`with-defaults.ts`).
 */
import {
  assertKnownKeys,
  assertWarnBeforeExpire,
  describeValue,
  failOption as fail,
  positiveSeconds as seconds,
} from '../shared/option-checks';
import { safeNextPath } from '../shared/next-path';
import { DEFAULT_API_PREFIX, type EndReason } from '../shared/protocol';
import { flag, optionalFunction, optionalObject } from './option-values';
import type { SessionWatchDrafts, SessionWatchUi } from './plugins';
import type { Transport } from './transport';

/** Options of the headless `createSessionWatchClient` (`sessionwatch/client/core`); all optional. Times are in seconds. */
export interface SessionWatchCoreOptions {
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
  /**
   * A tab coming back into view (`visibilitychange` to visible: the user switched to it, or restored
   * its window) counts as activity: it dismisses the warning and extends the session with no input.
   * Default `false`: only the user's input counts (see "What counts as activity" in the README), so
   * an idle limit (PCI DSS 8.2.8: 15 minutes) means what it says.
   */
  activityOnVisible?: boolean;
  /** Name of the cross-tab channel. Default from the origin and `apiPrefix`. */
  channelName?: string;
  /**
   * The views: `defaultUi()` from `sessionwatch/client/ui` (the warning dialog, the connection
   * notice, the lock screen). Default none: headless, the app follows the events.
   */
  ui?: SessionWatchUi | false;
  /** Keep form drafts across a logout: `keepDrafts()` from `sessionwatch/client/drafts`. Default none. */
  drafts?: SessionWatchDrafts | false;
  /** The login page: where a tab goes once its session ended. Default `/`. */
  loginUrl?: string;
  /**
   * This page is the login page (a page of its own, as `/login`): the client stops quietly at
   * once, whatever the browser's session — no ping (typing into the login form is no activity of
   * the session), no warning, no lock over the form, out of the tabs' election. Default `false`:
   * a single-page app whose login form and signed-in pages share `loginUrl` is a page of the
   * session there. In a layout shared by every page: `loginPage: location.pathname === '/login'`.
   */
  loginPage?: boolean;
  /**
   * Where a tab goes once its session ended. Default `{loginUrl}?next={current path}&reason={reason}`.
   * `next` is the current path and query as one path of the origin (`safeNextPath`).
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
   * (or calls `onEnd`). Default `'in-place'` with a lock screen (`ui`) and no `onEnd`, else `'navigate'`.
   */
  relogin?: 'in-place' | 'navigate';
  /**
   * Watch every `fetch` of the page: an answer with the `Session-Ended` header ends the session in
   * all tabs at once; a 401 `session_revoked` / `session_expired` answer without it (maybe another
   * API's, relayed by the app) once the server confirms it. Default false (see also
   * `SessionWatchClient.fetch`).
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
  /** The `activityOnVisible` option: a tab coming into view counts as activity. */
  activityOnVisible: boolean;
  channelName: string;
  ui: SessionWatchUi | null;
  drafts: SessionWatchDrafts | null;
  loginUrl: string;
  /** The `loginPage` option: this page is the login page. */
  loginPage: boolean;
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

/**
 * The longest ping interval (ms) for the given settings: half of `warnAfter`. Longer, the server's
 * deadline comes before the next ping, so every tab pings at every activity to keep the session.
 */
export function maxPingIntervalMs(warnAfter: number): number {
  return (warnAfter * 1000) / 2;
}

/** The ping interval in ms for the given settings (an explicit one cut to {@link maxPingIntervalMs}). */
export function pingIntervalMs(options: ResolvedClientOptions, warnAfter: number): number {
  return Math.min(options.pingIntervalMs ?? defaultPingInterval(warnAfter) * 1000, maxPingIntervalMs(warnAfter));
}

/**
 * A plug-in option, `ui` or `drafts`: an object with the method `method` (what `factory()` of
 * `sessionwatch/client/{name}` returns), or none. The factory itself, not called (`ui: defaultUi`),
 * is told to be called.
 */
function resolvePlugin<T>(name: string, value: unknown, method: string, factory: string): T | null {
  if (value === undefined || value === false) return null;
  if (typeof (value as Record<string, unknown> | null)?.[method] !== 'function') {
    const got = typeof value === 'function' ? `a function: call it, e.g. ${factory}()` : describeValue(value);
    throw new TypeError(`sessionwatch: option "${name}" must be ${factory}() (sessionwatch/client/${name}) or false (got ${got})`);
  }
  return value as T;
}

/** The current path and query (the drafts' key). */
export function currentPath(): string {
  const loc = globalThis.location;
  return loc ? loc.pathname + loc.search : '/';
}

/**
 * The current path and query as given to `endUrl` (`next`): one path of the origin, never a host
 * (the path of `https://app.example//evil.example/x` starts with `//`).
 */
export function currentNext(): string {
  return safeNextPath(currentPath());
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
export const OPTION_KEYS = Object.keys({
  apiPrefix: 1,
  warnAfter: 1,
  expireAfter: 1,
  pingInterval: 1,
  checkInterval: 1,
  pingTimeout: 1,
  activityInterval: 1,
  activityOnVisible: 1,
  channelName: 1,
  ui: 1,
  drafts: 1,
  loginUrl: 1,
  loginPage: 1,
  endUrl: 1,
  onEnd: 1,
  relogin: 1,
  watchFetch: 1,
  transport: 1,
  election: 1,
} satisfies Record<keyof SessionWatchCoreOptions, 1>);

/**
 * Options of `sessionwatch/client` that the core takes inside its `ui` plug-in,
 * `defaultUi({ lock, texts, nonce })`: given to the core, they are refused saying so.
 */
export const UI_OPTION_KEYS = ['lock', 'texts', 'nonce'];

/** Throws a TypeError for an unknown key of `options`; the default UI's options are pointed to `defaultUi()`. */
function assertCoreKeys(options: object): void {
  for (const key of UI_OPTION_KEYS) {
    if (Object.hasOwn(options, key)) {
      throw new TypeError(
        `sessionwatch: unknown option "${key}" (it goes into ui: defaultUi({ lock, texts, nonce }), from sessionwatch/client/ui)`,
      );
    }
  }
  assertKnownKeys(options, OPTION_KEYS);
}

/** Validates options once and applies defaults. Throws TypeError / RangeError naming the option. */
export function resolveClientOptions(options: SessionWatchCoreOptions = {}): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('sessionwatch: options must be an object');
  assertCoreKeys(options);
  const apiPrefix = options.apiPrefix ?? DEFAULT_API_PREFIX;
  if (typeof apiPrefix !== 'string' || !/^\/[^?#\s]*$/.test(apiPrefix)) fail('apiPrefix', 'a path such as "/session"', apiPrefix);

  const warnAfter = seconds('warnAfter', options.warnAfter);
  const expireAfter = seconds('expireAfter', options.expireAfter);
  if ((warnAfter === undefined) !== (expireAfter === undefined)) {
    throw new TypeError('sessionwatch: options "warnAfter" and "expireAfter" must be given together (or both left to the server)');
  }
  if (warnAfter !== undefined) assertWarnBeforeExpire(warnAfter, expireAfter!);
  const pingInterval = seconds('pingInterval', options.pingInterval);
  if (pingInterval !== undefined && warnAfter !== undefined && pingInterval * 1000 > maxPingIntervalMs(warnAfter)) {
    throw new RangeError(
      `sessionwatch: option "pingInterval" (${pingInterval}) must be at most half of "warnAfter" (${warnAfter}); both are in seconds`,
    );
  }
  const loginUrl = options.loginUrl ?? DEFAULTS.loginUrl;
  if (typeof loginUrl !== 'string' || loginUrl === '') fail('loginUrl', 'a URL', loginUrl);
  const channelName = options.channelName ?? `sessionwatch|${globalThis.location?.origin ?? ''}|${apiPrefix}`;
  if (typeof channelName !== 'string' || channelName === '') fail('channelName', 'a non-empty string', channelName);
  const election = optionalObject<NonNullable<SessionWatchCoreOptions['election']>>('election', options.election, 'an object', {});
  assertKnownKeys(election, ['responseTime', 'fallbackInterval']);
  const ui = resolvePlugin<SessionWatchUi>('ui', options.ui, 'views', 'defaultUi');
  const transport = options.transport;
  if (
    transport !== undefined &&
    (typeof transport !== 'object' || transport === null || typeof transport.ping !== 'function' || typeof transport.logout !== 'function')
  ) {
    fail('transport', 'an object with ping() and logout()', transport);
  }

  const endUrl =
    optionalFunction<ResolvedClientOptions['endUrl']>('endUrl', options.endUrl) ??
    ((reason, given) => {
      const sep = loginUrl.includes('?') ? '&' : '?';
      // Whoever calls it: the login route redirects to `next`, so it is never another host.
      const next = safeNextPath(given);
      // `next` never points at the login page itself (nor nests one `next` in another).
      const back = isLoginPage(loginUrl, next) ? '' : `next=${encodeURIComponent(next)}&`;
      return `${loginUrl}${sep}${back}reason=${encodeURIComponent(reason)}`;
    });

  const onEnd = optionalFunction<(reason: EndReason) => void>('onEnd', options.onEnd);
  const relogin = options.relogin ?? (ui?.locks && !onEnd ? 'in-place' : 'navigate');
  if (relogin !== 'in-place' && relogin !== 'navigate') fail('relogin', '"in-place" or "navigate"', relogin);

  return {
    apiPrefix,
    settings: warnAfter === undefined ? null : { warnAfter, expireAfter: expireAfter! },
    pingIntervalMs: pingInterval === undefined ? null : pingInterval * 1000,
    checkIntervalMs:
      options.checkInterval === false ? null : (seconds('checkInterval', options.checkInterval) ?? DEFAULTS.checkInterval) * 1000,
    pingTimeoutMs: (seconds('pingTimeout', options.pingTimeout) ?? DEFAULTS.pingTimeout) * 1000,
    activityIntervalMs: (seconds('activityInterval', options.activityInterval) ?? DEFAULTS.activityInterval) * 1000,
    activityOnVisible: flag('activityOnVisible', options.activityOnVisible, false),
    channelName,
    ui,
    drafts: resolvePlugin<SessionWatchDrafts>('drafts', options.drafts, 'keeper', 'keepDrafts'),
    loginUrl,
    loginPage: flag('loginPage', options.loginPage, false),
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
