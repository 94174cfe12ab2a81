/**
 * Which records an OpenID provider's back-channel logout ends (`Store.endAllOfIdp`), the one
 * rule of every store: checked here so that no store can be asked to end "everything of that
 * issuer" by a match that names nothing.
 */
import type { IdpMatch, SessionRecord } from './types';

/** The match of `Store.endAllOfIdp`, checked: a sid, or a subject, or both (then both must match). */
export interface CheckedIdpMatch extends IdpMatch {
  issuer: string;
}

const isName = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * Checks the arguments of `Store.endAllOfIdp`; throws a TypeError when the issuer is empty,
 * or when neither a sid nor a subject is given (an empty match would end every session of the
 * provider: never what a logout token asks).
 */
export function checkIdpMatch(issuer: string, match: IdpMatch): CheckedIdpMatch {
  if (!isName(issuer)) throw new TypeError('endAllOfIdp: the issuer must be a non-empty string');
  const { sid, subject, createdBefore } = match ?? {};
  if (sid !== undefined && !isName(sid)) throw new TypeError('endAllOfIdp: match.sid must be a non-empty string');
  if (subject !== undefined && !isName(subject)) throw new TypeError('endAllOfIdp: match.subject must be a non-empty string');
  if (sid === undefined && subject === undefined) throw new TypeError('endAllOfIdp: the match needs a sid or a subject');
  if (createdBefore !== undefined && !Number.isFinite(createdBefore))
    throw new TypeError('endAllOfIdp: match.createdBefore must be a number');
  return {
    issuer,
    ...(sid !== undefined && { sid }),
    ...(subject !== undefined && { subject }),
    ...(createdBefore !== undefined && { createdBefore }),
  };
}

/** The rule as a predicate on records, for stores that filter in memory (`MemoryStore`). */
export function idpMatcher(issuer: string, match: IdpMatch): (record: SessionRecord) => boolean {
  const { sid, subject, createdBefore } = checkIdpMatch(issuer, match);
  return ({ idp, createdAt }) =>
    idp !== null &&
    idp.issuer === issuer &&
    (sid === undefined || idp.sid === sid) &&
    (subject === undefined || idp.subject === subject) &&
    (createdBefore === undefined || createdAt < createdBefore);
}
