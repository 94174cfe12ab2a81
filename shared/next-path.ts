/**
 * The `next` parameter of a login URL (where to go back to once signed in), made safe to redirect
 * to: a path on the app's own origin, whatever the browser sent. Both sides use it: the client for
 * the `next` it puts in the login URL, the server's login route for its redirect.
 */

/** The longest `next` kept (longer ones are someone's payload, not a page of the app). */
export const MAX_NEXT_LENGTH = 2048;

/**
 * Characters that make a URL leave the path: backslashes (browsers read `\` as `/`, so `/\evil`
 * is `//evil`, another host), ASCII controls and whitespace (URL parsers strip tabs and newlines
 * anywhere, so `/\t/evil` is `//evil`; in a `Location` header they split it).
 */
// eslint-disable-next-line no-control-regex -- the control characters are what is refused
const UNSAFE = /[\\\u0000-\u0020\u007f]/;
/**
 * What matters in the path decoded: a backslash, and what URL parsers strip from within (tab,
 * newline); other controls and spaces only make a page that does not exist (`/my%20files` does).
 */
const UNSAFE_DECODED = /[\\\t\n\r]/;
/** How often the path is decoded for the check (a router or a proxy may decode it once more). */
const DECODE_ROUNDS = 3;

/**
 * `value` if it is a path of this origin (one leading `/`, then anything that cannot leave it), with
 * a run of leading slashes made one (the path of `https://app.example//evil.example/x` is `/evil.example/x`
 * of the app); else `fallback` (itself checked: `'/'` when it is not such a path). Refused: anything
 * but a string (an array of repeated `?next=`), longer than {@link MAX_NEXT_LENGTH}, not starting with
 * `/`, a scheme or a host (`javascript:…`, `https://…`, `//host`), backslashes, controls and
 * whitespace anywhere, and a path that becomes one of these once percent-decoded (`/%2F%2Fhost`,
 * `/%5Chost`) or cannot be decoded.
 *
 * @example
 * ```ts
 * ctx.redirect(safeNextPath(ctx.query.next)); // your login route, once signed in
 * ```
 */
export function safeNextPath(value: unknown, fallback = '/'): string {
  const path = sameOriginPath(value);
  if (path !== null) return path;
  return sameOriginPath(fallback) ?? '/';
}

/**
 * The path as a browser resolves its dot segments (RFC 3986's remove_dot_segments): `/..//evil`
 * is `//evil`, a path of the origin that reads as a host once it is a page's path again.
 */
function withoutDots(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && out.length > 1) out.pop();
      if (last) out.push('');
    } else out.push(segment);
  });
  return out.join('/');
}

/** True when the path, dot segments resolved, starts with two slashes. */
const opensAHost = (path: string) => withoutDots(path).startsWith('//');

/** `value` as a same-origin path (leading slashes made one), or null. */
function sameOriginPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_NEXT_LENGTH || UNSAFE.test(value) || !value.startsWith('/')) return null;
  const path = value.replace(/^\/+/, '/');
  // What follows the path (query, fragment) cannot change the origin; the path, decoded again by
  // someone down the line, must still be one of this origin.
  let decoded = path.split(/[?#]/, 1)[0];
  if (opensAHost(decoded)) return null;
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return null;
    }
    if (next === decoded) return path;
    if (next.startsWith('//') || opensAHost(next) || UNSAFE_DECODED.test(next)) return null;
    decoded = next;
  }
  // Still encoded after that many rounds: nobody's page.
  return null;
}
