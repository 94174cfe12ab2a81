import { createHash, randomBytes } from 'node:crypto';

/** A new opaque public session id: 128 random bits, URL-safe (22 characters). */
export function newPublicId(): string {
  return randomBytes(16).toString('base64url');
}

/** A new secret session token: 256 random bits, kept only inside the session data. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The database only ever sees the token's SHA-256, so a leaked table cannot be replayed as sessions. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Shape of ids produced by {@link newPublicId}; anything else cannot name a session. */
export const PUBLIC_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
