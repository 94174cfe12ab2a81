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

const HOW_TO_ALLOW = 'add it to the trustedOrigins option if that origin is yours (a dev server: see "A single-page app" in the README)';

/**
 * Rejects cross-site state-changing requests (CSRF), with `403 forbidden`:
 * - any `Sec-Fetch-Site` value (case-insensitive; every value of a repeated header) other than
 *   `same-origin` or `none` — `cross-site`, or `same-site` (a sibling subdomain or another port
 *   is another origin for us) — unless the `Origin` is in `trustedOrigins`;
 * - an `Origin` header that is neither the app's own origin (protocol and host, which honour
 *   `app.proxy` and X-Forwarded-Proto/Host) nor in `trustedOrigins`.
 * The message names the refused origin, says whether it is same-site or cross-site when that is
 * known, and names `trustedOrigins`.
 * Requests without either header (curl, server-to-server, old browsers) pass: the session cookie
 * should also be `SameSite=Lax`, which browsers enforce on their own.
 */
export function assertSameOrigin(ctx: Context, trustedOrigins: ReadonlySet<string>): void {
  if (SAFE_METHODS.has(ctx.method)) return;
  const origin = ctx.get('origin');
  // Not `ctx.origin`: Koa 3 answers the Origin header there when present.
  const ownOrigin = `${ctx.protocol}://${ctx.host}`;
  const listed = origin !== '' && trustedOrigins.has(origin);
  const from = origin === '' ? 'without an Origin header' : `from Origin ${origin}`;
  const foreign = fetchSites(ctx).filter((site) => !OWN_SITE_VALUES.has(site));
  if (foreign.length && !listed) {
    const kind = foreign.includes('same-site') && foreign.every((site) => site === 'same-site') ? 'Same-site' : 'Cross-site';
    throw new SessionWatchHttpError(
      ERROR.forbidden,
      `${kind} request refused (Sec-Fetch-Site: ${foreign.join(', ')}, ${from}; this app is ${ownOrigin}): ${HOW_TO_ALLOW}`,
    );
  }
  if (origin !== '' && origin !== ownOrigin && !listed) {
    throw new SessionWatchHttpError(
      ERROR.forbidden,
      `Cross-origin request refused: Origin ${origin} is ${relation(origin, ownOrigin)}, not this app's ${ownOrigin}; ${HOW_TO_ALLOW}`,
    );
  }
}
