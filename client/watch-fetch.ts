/**
 * Fetch watching: a response of the app's own origin that says the session ended ends it in every
 * tab, without waiting for the next ping. The `Session-Ended` header is sessionwatch's own word
 * (set on the request whose session it ended): trusted. A `401 session_revoked` / `session_expired`
 * body alone may be another API's answer that the app relays: the tabs ask the server first.
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

/** What a response says of the session: it ended, for `reason`; `confirmed` when sessionwatch said so (the header). */
export interface AnnouncedEnd {
  reason: EndReason;
  /** The `Session-Ended` header: the server ended it. False: only a 401 body says so, to be checked with the server. */
  confirmed: boolean;
}

/**
 * The end a same-origin response announces, or null: the `Session-Ended` header (any response of a
 * request whose session sessionwatch just ended, app routes included; confirmed), else a 401
 * `session_revoked` / `session_expired` / `session_lost` body (not confirmed). Reads a clone: the
 * app still gets an unread body.
 */
export async function endOf(response: Response): Promise<AnnouncedEnd | null> {
  if (!sameOrigin(response.url)) return null;
  const header = response.headers.get(SESSION_ENDED_HEADER);
  if (isEndReason(header)) return { reason: header, confirmed: true };
  if (response.status !== 401 || !(response.headers.get('content-type') ?? '').includes('json')) return null;
  try {
    const reason = endReasonOfError(((await response.clone().json()) as { error?: unknown })?.error);
    // `unauthenticated` can mean "not logged in yet" on app routes: only the explicit ends count.
    return reason === null || reason === 'logged-out' ? null : { reason, confirmed: false };
  } catch {
    return null;
  }
}

/** Wraps a fetch function: same behaviour, plus `onEnded(end)` when a response announces the end. */
export function wrapFetch(fetchImpl: typeof fetch, onEnded: (end: AnnouncedEnd) => void): typeof fetch {
  return async function watchedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const response = await fetchImpl(input, init);
    // Whatever the response is made of (a polyfill, a mock), watching never breaks the app's fetch.
    void endOf(response).then(
      (end) => end && onEnded(end),
      () => undefined,
    );
    return response;
  };
}
