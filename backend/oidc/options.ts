/**
 * The `backChannelLogout` option (OpenID Connect Back-Channel Logout 1.0): the OpenID providers
 * whose logout tokens end this app's sessions. Validated once at construction; every rule throws a
 * TypeError naming the field.
 */
import { closestKey, describeValue } from '../../shared/option-checks';

/** One OpenID provider whose back-channel logout tokens sessionwatch accepts. */
export interface BackChannelLogoutProvider {
  /**
   * The provider's issuer identifier, exactly as its discovery document and its tokens say it
   * (`iss`, compared as a string: `https://idp.example` and `https://idp.example/` are two issuers).
   * An `https:` (or, for development, `http:`) URL without query or fragment.
   */
  issuer: string;
  /** This app's client id at the provider: the logout token's audience (`aud`). */
  clientId: string;
  /**
   * The provider's JWKS URL. Default: the `jwks_uri` of `{issuer}/.well-known/openid-configuration`,
   * read on the first logout token and kept.
   */
  jwksUri?: string;
}

/** The `backChannelLogout` option: one provider or several (`null` or absent: off). */
export type BackChannelLogoutOptions = BackChannelLogoutProvider | BackChannelLogoutProvider[];

/** A provider of the option, validated. */
export interface ResolvedBackChannelLogoutProvider {
  issuer: string;
  clientId: string;
  /** null: discovered from the issuer. */
  jwksUri: string | null;
}

/** The option validated: the providers, or null when off. */
export type ResolvedBackChannelLogout = { providers: ResolvedBackChannelLogoutProvider[] } | null;

const KNOWN = ['issuer', 'clientId', 'jwksUri'] as const;

/** An `http:` / `https:` URL without credentials or fragment (and, for an issuer, without query); else the reason. */
function urlProblem(value: string, issuer: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https: (or http:) URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (value.includes('#')) return 'must not have a fragment';
  // OpenID Connect Discovery 1.0: the issuer is a URL "with no query or fragment components".
  if (issuer && value.includes('?')) return 'must not have a query';
  return undefined;
}

function provider(value: unknown, name: string): ResolvedBackChannelLogoutProvider {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`sessionwatch: option "${name}" must be { issuer, clientId, jwksUri? } (got ${describeValue(value)})`);
  }
  for (const key of Object.keys(value)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      const guess = closestKey(key, KNOWN);
      throw new TypeError(
        `sessionwatch: option "${name}" has no field ${describeValue(key)}` +
          (guess ? ` (did you mean "${guess}"?)` : ` (known: ${KNOWN.join(', ')})`),
      );
    }
  }
  const { issuer, clientId, jwksUri } = value as Record<string, unknown>;
  if (typeof issuer !== 'string' || issuer === '') {
    throw new TypeError(`sessionwatch: option "${name}.issuer" must be the provider's issuer URL (got ${describeValue(issuer)})`);
  }
  const issuerProblem = urlProblem(issuer, true);
  if (issuerProblem) throw new TypeError(`sessionwatch: option "${name}.issuer" ${issuerProblem} (got ${describeValue(issuer)})`);
  if (typeof clientId !== 'string' || clientId === '') {
    throw new TypeError(
      `sessionwatch: option "${name}.clientId" must be a non-empty string: this app's client id (got ${describeValue(clientId)})`,
    );
  }
  if (jwksUri !== undefined) {
    const problem = typeof jwksUri === 'string' ? urlProblem(jwksUri, false) : 'must be a URL string';
    if (problem) throw new TypeError(`sessionwatch: option "${name}.jwksUri" ${problem} (got ${describeValue(jwksUri)})`);
  }
  return { issuer, clientId, jwksUri: (jwksUri as string | undefined) ?? null };
}

/** Validates the option at construction; throws a TypeError naming the bad field. */
export function resolveBackChannelLogout(value: unknown): ResolvedBackChannelLogout {
  // null, like undefined, is "off" (`backChannelLogout: env.OIDC_ISSUER ? { … } : null`).
  if (value === undefined || value === null) return null;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    throw new TypeError('sessionwatch: option "backChannelLogout" is an empty list: give at least one provider, or leave the option out');
  }
  const providers = list.map((entry, i) => provider(entry, Array.isArray(value) ? `backChannelLogout[${i}]` : 'backChannelLogout'));
  // A logout token names its issuer: two entries for one would leave it unsaid which client id
  // (audience) and keys apply.
  const seen = new Set<string>();
  for (const [i, { issuer }] of providers.entries()) {
    if (seen.has(issuer)) {
      throw new TypeError(
        `sessionwatch: option "backChannelLogout[${i}].issuer" repeats ${describeValue(issuer)}: give each provider once`,
      );
    }
    seen.add(issuer);
  }
  return { providers };
}
