/**
 * The HTTP protocol between the server and the browser client: paths, payloads, error codes.
 * Plain data and types, safe to bundle anywhere; both sides import it from here.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_API_PREFIX,
  ROUTES,
  apiPath,
  ERROR,
  ERROR_STATUS,
  END_REASONS,
  END_REASON_ERROR,
  endReasonOfError,
  isEndReason,
  SESSION_LIST_LIMIT,
  ADMIN_SESSION_LIST_LIMIT,
  HISTORY_LIMIT,
  SECURITY_EVENT_TYPES,
  REVOKED_BY,
  MAX_IDLE_FOR,
  MAX_BODY_BYTES,
  DEFAULT_WARN_AFTER,
  DEFAULT_EXPIRE_AFTER,
  SESSION_ENDED_HEADER,
  EXPIRY_TOLERANCE_S,
  type ErrorCode,
  type ErrorBody,
  type EndReason,
  type DeviceType,
  type NamedVersion,
  type Location,
  type SessionInfo,
  type SecurityEventType,
  type RevokedBy,
  type SecurityEvent,
  type HistoryResponse,
  type AdminSecurityEvent,
  type AdminHistoryResponse,
  type SessionListResponse,
  type AdminSessionInfo,
  type AdminSessionListResponse,
  type RevokeOthersResponse,
  type PingRequest,
  type LogoutRequest,
  type PingResponse,
} from './protocol';
export { safeNextPath, MAX_NEXT_LENGTH } from './next-path';
