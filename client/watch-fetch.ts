/**
 * Fetch watching: any response of the app's own API answered `401 session_revoked` or
 * `session_expired` (the sessionwatch middleware's answers) ends the session in every tab at once,
 * without waiting for the next ping.
 */
import { isEndReason, SESSION_ENDED_HEADER, type EndReason } from '../shared/protocol';
import { endReasonOfError } from '../shared/protocol';

function sameOrigin(url: string): boolean {
  const origin = globalThis.location?.origin;
  if (!url || !origin) return true;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/**
 * The end reason a same-origin response announces, or null: the `Session-Ended` header (any
 * response of a request whose session sessionwatch just ended, app routes included), else a 401
 * `session_revoked` / `session_expired` / `session_lost` body. Reads a clone: the app still gets an unread body.
 */
export async function endReasonOf(response: Response): Promise<EndReason | null> {
  if (!sameOrigin(response.url)) return null;
  const header = response.headers.get(SESSION_ENDED_HEADER);
  if (isEndReason(header)) return header;
  if (response.status !== 401 || !(response.headers.get('content-type') ?? '').includes('json')) return null;
  try {
    const reason = endReasonOfError(((await response.clone().json()) as { error?: unknown })?.error);
    // `unauthenticated` can mean "not logged in yet" on app routes: only the explicit ends count.
    return reason === 'logged-out' ? null : reason;
  } catch {
    return null;
  }
}

/** Wraps a fetch function: same behaviour, plus `onEnded(reason)` when a response announces the end. */
export function wrapFetch(fetchImpl: typeof fetch, onEnded: (reason: EndReason) => void): typeof fetch {
  return async function watchedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const response = await fetchImpl(input, init);
    // Whatever the response is made of (a polyfill, a mock), watching never breaks the app's fetch.
    void endReasonOf(response).then(
      (reason) => reason && onEnded(reason),
      () => undefined,
    );
    return response;
  };
}
