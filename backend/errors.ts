import { END_REASON_ERROR, ERROR, ERROR_STATUS, type EndReason, type ErrorCode } from '../shared/protocol';

/**
 * An error that becomes a JSON response `{"error": code, "message"}` with the protocol's status.
 * Thrown by sessionwatch's routes and helpers; never carries internal details.
 */
export class SessionWatchHttpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose = true;

  constructor(code: ErrorCode, message?: string) {
    super(message ?? code);
    this.name = 'SessionWatchHttpError';
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

/**
 * A programming or deployment error of the app, not of the request: koa-session missing or
 * mounted after sessionwatch, the sessions table missing. Answered `500 {"error":"misconfigured",
 * "message"}` with a message saying what to do, and logged once through the `logger` option.
 */
export class SessionWatchConfigError extends SessionWatchHttpError {
  constructor(message: string) {
    super(ERROR.misconfigured, message);
    this.name = 'SessionWatchConfigError';
  }
}

/**
 * The session database failed or timed out. Requests fail closed with
 * `503 {"error":"unavailable"}`: a session that cannot be checked is never treated as valid.
 */
export class StoreUnavailableError extends SessionWatchHttpError {
  readonly cause: unknown;

  constructor(cause: unknown) {
    super(ERROR.unavailable, 'The session database is unavailable; try again shortly.');
    this.name = 'StoreUnavailableError';
    this.cause = cause;
  }
}

/**
 * The 401 of an API request without a live session: the code of why its session ended
 * (`session_revoked`…), or `unauthenticated` when it never had one.
 */
export function unauthenticated(ended: EndReason | undefined): SessionWatchHttpError {
  return new SessionWatchHttpError(ended ? END_REASON_ERROR[ended] : ERROR.unauthenticated);
}
