import crypto, { randomBytes } from 'node:crypto';

/** A new opaque public session id: 128 random bits, URL-safe (22 characters). */
export function newPublicId(): string {
  return randomBytes(16).toString('base64url');
}

/** A new secret session token: 256 random bits, kept only inside the session data. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of a string, hex. Every request hashes its token, so this takes Node's one-shot
 * `crypto.hash` (Node ≥ 20.12: no Hash object, half the time of `createHash().update().digest()`),
 * else the streaming API of older Node 20 releases.
 */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** The database only ever sees the token's SHA-256, so a leaked table cannot be replayed as sessions. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** Shape of ids produced by {@link newPublicId}; anything else cannot name a session. */
export const PUBLIC_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
