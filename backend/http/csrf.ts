import type { Context } from 'koa';
import { ERROR } from '../../shared/protocol';
import { SessionWatchHttpError } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `Sec-Fetch-Site` values of a request the browser made from this very origin (or the user did). */
const OWN_SITE_VALUES = new Set(['same-origin', 'none']);

/**
 * Every `Sec-Fetch-Site` value of the request, lower-cased. Header values are case-sensitive
 * tokens for browsers, but a forged or proxied request may vary the case, and Node joins a
 * repeated header into `a, b`: each value must pass, not only the first.
 */
function fetchSites(ctx: Context): string[] {
  const raw = ctx.get('sec-fetch-site');
  if (raw === '') return [];
  return raw.split(',').map((value) => value.trim().toLowerCase());
}

/**
 * How `origin` relates to `own`, in words for the 403: `same-site` when only the port differs
 * (a dev server on `localhost:5173` calling an API on `localhost:3000`), `cross-site` when the
 * scheme differs (schemeful same-site), otherwise just "another origin": telling a sibling
 * subdomain from another site would need the Public Suffix List, and the browser's own
 * `Sec-Fetch-Site` says it better when it is there.
 */
function relation(origin: string, own: string): string {
  try {
    const a = new URL(origin);
    const b = new URL(own);
    if (a.protocol !== b.protocol) return 'a cross-site origin';
    if (a.hostname === b.hostname) return 'a same-site origin (another port)';
  } catch {
    return 'an unparsable origin';
  }
  return 'another origin';
}

/** A request's header value as the 403's message shows it: at most 200 characters of what a client sent. */
function shown(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}

const HOW_TO_ALLOW = 'add it to the trustedOrigins option if that origin is yours (a dev server: see "A single-page app" in the README)';

/**
 * Rejects cross-site state-changing requests (CSRF), with `403 forbidden`:
 * - any `Sec-Fetch-Site` value (case-insensitive; every value of a repeated header) other than
 *   `same-origin` or `none` — `cross-site`, or `same-site` (a sibling subdomain or another port
 *   is another origin for us) — unless the `Origin` is in `trustedOrigins`;
 * - an `Origin` header that is neither the app's own origin (see {@link ownOriginOf}) nor in
 *   `trustedOrigins`.
 * The message names the refused origin, says whether it is same-site or cross-site when that is
 * known, and names `trustedOrigins`.
 * Requests without either header (curl, server-to-server, old browsers) pass: the session cookie
 * should also be `SameSite=Lax`, which browsers enforce on their own.
 */
export function assertSameOrigin(ctx: Context, trustedOrigins: ReadonlySet<string>): void {
  if (SAFE_METHODS.has(ctx.method)) return;
  const origin = ctx.get('origin');
  const ownOrigin = ownOriginOf(ctx);
  const listed = origin !== '' && trustedOrigins.has(origin);
  const from = origin === '' ? 'without an Origin header' : `from Origin ${shown(origin)}`;
  const foreign = fetchSites(ctx).filter((site) => !OWN_SITE_VALUES.has(site));
  if (foreign.length && !listed) {
    const kind = foreign.includes('same-site') && foreign.every((site) => site === 'same-site') ? 'Same-site' : 'Cross-site';
    throw new SessionWatchHttpError(
      ERROR.forbidden,
      `${kind} request refused (Sec-Fetch-Site: ${shown(foreign.join(', '))}, ${from}; this app is ${shown(ownOrigin)}): ${HOW_TO_ALLOW}`,
    );
  }
  if (origin !== '' && origin !== ownOrigin && !listed) {
    throw new SessionWatchHttpError(
      ERROR.forbidden,
      `Cross-origin request refused: Origin ${shown(origin)} is ${relation(origin, ownOrigin)}, not this app's ${shown(ownOrigin)}; ` +
        (forwardedHostMatches(ctx, origin) ? FORWARDED_HOST_ADVICE : HOW_TO_ALLOW),
    );
  }
}

/**
 * The app's own origin for this request: its protocol (which honours `app.proxy` and
 * X-Forwarded-Proto: a scheme, never another site) and the `Host` the request came with. Not
 * X-Forwarded-Host, although Koa's `ctx.host` takes it with `app.proxy`: a proxy that passes on a
 * client's X-Forwarded-Host would let any origin call itself ours. (Not `ctx.origin` either: Koa 3
 * answers the Origin header there when present.)
 */
function ownOriginOf(ctx: Context): string {
  const host = (ctx.req.httpVersionMajor >= 2 && ctx.get(':authority')) || ctx.get('host');
  return `${ctx.protocol}://${host.split(/\s*,\s*/, 1)[0]}`;
}

/** True when the request's X-Forwarded-Host names the refused origin's host (a proxy that rewrote Host). */
function forwardedHostMatches(ctx: Context, origin: string): boolean {
  const forwarded = ctx.get('x-forwarded-host').split(/\s*,\s*/, 1)[0];
  try {
    return forwarded !== '' && new URL(origin).host === forwarded;
  } catch {
    return false;
  }
}

const FORWARDED_HOST_ADVICE =
  'X-Forwarded-Host names that origin, but the same-origin check never trusts it: have your proxy pass the ' +
  "browser's Host header (nginx: proxy_set_header Host $http_host;) or add the origin to the trustedOrigins option";
