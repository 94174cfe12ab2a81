import { ERROR, ERROR_STATUS, type ErrorCode } from '../shared/protocol';

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
