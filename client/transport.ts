/**
 * How the client talks to the server: `POST {apiPrefix}/ping` and `POST {apiPrefix}/logout`. A
 * {@link Transport} never throws and never hangs past its timeout: every outcome is a value, so a
 * network failure, a 5xx, an HTML error page or garbage can never end a session by itself.
 */
import {
  apiPath,
  endReasonOfError,
  isEndReason,
  MAX_IDLE_FOR,
  ROUTES,
  SESSION_ENDED_HEADER,
  type EndReason,
  type ErrorBody,
  type LogoutRequest,
  type PingRequest,
} from '../shared/protocol';
import type { SessionIdentity } from './state';

/** Outcome of a ping. */
export type PingResult =
  /** The server's view after merging our idle time, and its settings. */
  | { kind: 'ok'; idleFor: number; warnAfter: number; expireAfter: number; maxAgeLeft: number | null; session: SessionIdentity | null }
  /**
   * The server says the session is gone (401 with a known error code); `endedFor`: seconds since
   * it ended, when the server knows.
   */
  | { kind: 'ended'; reason: EndReason; endedFor?: number }
  /** Offline, timeout, 5xx, unexpected body…: try again later. */
  | { kind: 'failed'; status?: number; error: string };

/**
 * Outcome of a logout: `ok` also when the session was already gone; then `ended` says why, when
 * the server says so (its `Session-Ended` header, or a 401's reason): a tab confirming an end it
 * decided offline takes the server's reason, as the other tabs do.
 */
export type LogoutResult = { kind: 'ok'; ended?: EndReason } | { kind: 'failed'; status?: number; error: string };

/** The server API as the client needs it. */
export interface Transport {
  /** Reports `idleFor` seconds of inactivity; the answer is the server's view after merging it. */
  ping(idleFor: number): Promise<PingResult>;
  /**
   * Ends the session on the server, so its cookie is refused at once. `reason: 'expired'`: the
   * client's deadline passed (the server records it as expired if its own idle time agrees).
   */
  logout(reason?: 'expired'): Promise<LogoutResult>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Reads a `200` ping body; anything unexpected (HTML, truncated JSON, wrong fields) is a failure. */
export function parsePingResponse(text: string): PingResult {
  const body = parseJson(text) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null) return { kind: 'failed', status: 200, error: 'response is not JSON' };
  const { idleFor, warnAfter, expireAfter } = body;
  // Absent from servers older than the field: no absolute end known.
  const maxAgeLeft = body.maxAgeLeft ?? null;
  if (
    !isSeconds(idleFor) ||
    !isSeconds(warnAfter) ||
    !isSeconds(expireAfter) ||
    warnAfter <= 0 ||
    expireAfter <= warnAfter ||
    !(maxAgeLeft === null || isSeconds(maxAgeLeft))
  ) {
    return { kind: 'failed', status: 200, error: 'unexpected response body' };
  }
  // Absent from servers older than the fields: the session is not known (no in-place unlock).
  const createdAt = typeof body.createdAt === 'string' ? Date.parse(body.createdAt) : NaN;
  const user = typeof body.user === 'string' ? body.user : null;
  const session = typeof body.session === 'string' && Number.isFinite(createdAt) ? { id: body.session, createdAt, user } : null;
  return { kind: 'ok', idleFor, warnAfter, expireAfter, maxAgeLeft, session };
}

/** Reads a `401` body: a known error code ends the session; anything else (a proxy's page…) is a failure. */
export function parseUnauthorized(text: string): PingResult {
  const body = parseJson(text) as Partial<ErrorBody> | undefined;
  const reason = endReasonOfError(body?.error);
  if (!reason) return { kind: 'failed', status: 401, error: 'unexpected 401 response' };
  return isSeconds(body?.endedFor) ? { kind: 'ended', reason, endedFor: body.endedFor } : { kind: 'ended', reason };
}

/**
 * A logout's success, with the reason the session had already ended for (`ended`), if the server
 * says one: `logged-out` is what every logout says, so it tells nothing.
 */
function loggedOut(ended: string | null): LogoutResult {
  return isEndReason(ended) && ended !== 'logged-out' ? { kind: 'ok', ended } : { kind: 'ok' };
}

export interface FetchTransportOptions {
  apiPrefix: string;
  timeoutMs: number;
  /** Default the page's `fetch` as it is when the transport is created (before any watching). */
  fetch?: typeof fetch;
}

/** The real transport, on `fetch` with the page's cookies. */
export function createFetchTransport({ apiPrefix, timeoutMs, fetch: fetchImpl }: FetchTransportOptions): Transport {
  const doFetch = fetchImpl ?? globalThis.fetch.bind(globalThis);

  async function post(route: string, body?: unknown): Promise<{ status: number; text: string; ended: string | null } | { error: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await doFetch(apiPath(apiPrefix, route), {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      // Reading the body is under the same timeout (a server can stall mid-body).
      return { status: res.status, text: await res.text(), ended: res.headers?.get(SESSION_ENDED_HEADER) ?? null };
    } catch (err) {
      return { error: controller.signal.aborted ? 'timeout' : String((err as Error)?.message ?? err) };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async ping(idleFor) {
      const request: PingRequest = { idleFor: Math.min(MAX_IDLE_FOR, Math.max(0, Math.round(idleFor * 1000) / 1000)) };
      const res = await post(ROUTES.ping, request);
      if ('error' in res) return { kind: 'failed', error: res.error };
      if (res.status === 200) return parsePingResponse(res.text);
      if (res.status === 401) return parseUnauthorized(res.text);
      return { kind: 'failed', status: res.status, error: `HTTP ${res.status}` };
    },
    async logout(reason) {
      const res = await post(ROUTES.logout, reason ? ({ reason } satisfies LogoutRequest) : undefined);
      if ('error' in res) return { kind: 'failed', error: res.error };
      if (res.status >= 200 && res.status < 300) return loggedOut(res.ended);
      // 401: the session is already gone, which is what we wanted; its body may say why.
      if (res.status === 401) {
        const answer = parseUnauthorized(res.text);
        return loggedOut(res.ended ?? (answer.kind === 'ended' ? answer.reason : null));
      }
      return { kind: 'failed', status: res.status, error: `HTTP ${res.status}` };
    },
  };
}
