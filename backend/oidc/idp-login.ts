/**
 * The `idp` login option: which OpenID Connect sign-in a session comes from, so that the
 * provider's back-channel logout can end it.
 */
import type { IdpSession } from '../store/types';

/**
 * The OpenID Connect sign-in of a login (`sw.login(ctx, userId, { idp })`): the ID token's claims
 * as openid-client gives them (`tokens.claims()`): `iss` and `sub`, and `sid` when the provider
 * sends one (it must for a logout of that one session rather than all of the user's). Other
 * claims are ignored.
 */
export interface IdpLogin {
  iss: string;
  sub: string;
  sid?: string;
  [claim: string]: unknown;
}

/** Longest issuer, subject or sid stored (the columns' size). */
const MAX_CLAIM_LENGTH = 255;

function claim(name: string, value: unknown, required: boolean): string | null {
  // An absent sid may come as null from claims an app assembled itself.
  if ((value === undefined || value === null) && !required) return null;
  if (typeof value !== 'string' || value === '' || value.length > MAX_CLAIM_LENGTH) {
    throw new TypeError(
      `sessionwatch: login option "idp.${name}" must be a non-empty string of at most ${MAX_CLAIM_LENGTH} characters` +
        ' (pass the ID token claims: `{ idp: tokens.claims() }`)',
    );
  }
  return value;
}

/** The stored form of the `idp` login option; throws a TypeError naming the bad claim. */
export function idpSessionOf(value: unknown): IdpSession {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('sessionwatch: login option "idp" must be the ID token claims { iss, sub, sid? } (`tokens.claims()`)');
  }
  const claims = value as Record<string, unknown>;
  return { issuer: claim('iss', claims.iss, true)!, subject: claim('sub', claims.sub, true)!, sid: claim('sid', claims.sid, false) };
}
