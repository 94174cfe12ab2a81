/**
 * Verifies OpenID Connect back-channel logout tokens (Back-Channel Logout 1.0, 2.6) with the
 * optional `jose` package: signed by a key of the provider's JWKS (discovered from its issuer once,
 * and kept), for this app (`aud`), young (`iat`, `exp`), a logout event, no `nonce`, a `sid` or a
 * `sub`, and a `jti` not seen before (see `replay.ts`).
 */
import { describeValue } from '../../shared/option-checks';
import type { ResolvedBackChannelLogoutProvider } from './options';
import { SeenTokens } from './replay';

/** The member of `events` that makes a JWT a logout token. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * Oldest logout token accepted (seconds since its `iat`), whatever its `exp`: providers send them
 * at once (oidc-provider's live 2 minutes), and a bound on age is what lets the replay memory
 * forget a token.
 */
export const MAX_TOKEN_AGE_S = 600;
/** Clock difference tolerated between the provider and this server, in seconds. */
export const CLOCK_TOLERANCE_S = 30;

/** Least time between two fetches of a provider's keys for a token whose key is not in them. */
export const JWKS_COOLDOWN_MS = 5_000;
/** Longest a discovery document or JWKS request may take. */
export const FETCH_TIMEOUT_MS = 5000;
/** After a failed discovery, how long logout tokens of that provider are answered 503 before it is tried again. */
export const DISCOVERY_RETRY_MS = 10_000;
/** Longest logout token read (a signed JWT of a few claims is well under 2 KB). */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Algorithms a logout token may be signed with: the asymmetric ones a JWKS publishes. Never
 * `none`, and no HMAC (`HS*`, keyed with the client secret, which sessionwatch does not hold).
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** `typ` header values accepted: the spec's `logout+jwt`, or a plain JWT ("MAY" omit explicit typing). */
const TYPES = new Set(['logout+jwt', 'jwt']);

/** A logout token that is not acceptable: answered `400 bad_request` with this message. */
export class LogoutTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogoutTokenError';
  }
}

/** The provider's keys cannot be had (discovery or JWKS failed): answered `503`; the provider may retry. */
export class ProviderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/** What a verified logout token asks. */
export interface LogoutRequest {
  issuer: string;
  /** The provider session to end (present in most tokens). */
  sid?: string;
  /** The provider's user: with no `sid`, all of that user's sessions end. */
  subject?: string;
  jti: string;
  /** When the provider issued the token (its `iat`, epoch ms). */
  issuedAt: number;
}

/** The part of `jose` used here (an optional peer, loaded on first use; its own types are not needed to build). */
interface Jose {
  jwtVerify(
    token: string,
    key: KeySet,
    options: {
      issuer: string;
      audience: string;
      algorithms: string[];
      requiredClaims: string[];
      maxTokenAge: number;
      clockTolerance: number;
      currentDate: Date;
    },
  ): Promise<{ payload: Record<string, unknown>; protectedHeader: { typ?: string } }>;
  createRemoteJWKSet(url: URL, options: { timeoutDuration: number; cooldownDuration: number }): KeySet;
  decodeJwt(token: string): Record<string, unknown>;
}

type KeySet = (header: unknown, token: unknown) => Promise<unknown>;

/**
 * A real `import()`, which the CommonJS build keeps (tsc turns a written `import()` into
 * `require`). Made only when needed: under `node --disallow-code-generation-from-strings` making it
 * throws, which must not stop sessionwatch from loading.
 */
function nativeImport(specifier: string): Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body: the only way to keep import() in CommonJS output
  return (new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>)(specifier);
}

let loading: Promise<Jose> | undefined;

/**
 * Loads `jose` once (an optional peer dependency: only apps with the `backChannelLogout` option
 * need it). Rejects with a TypeError that says to install it.
 */
export function loadJose(): Promise<Jose> {
  loading ??= importJose().catch((err: unknown) => {
    loading = undefined; // installed meanwhile: the next call tries again
    throw err;
  });
  return loading;
}

async function importJose(): Promise<Jose> {
  let mod: unknown;
  try {
    mod = await import('jose');
  } catch (err) {
    // jose is an ES module only: the CommonJS build's require() loads it on Node ≥ 20.19 (and in
    // Jest, through its transform); on earlier Node a real import() does.
    if ((err as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw missingJose(err);
    try {
      mod = await nativeImport('jose');
    } catch (again) {
      throw missingJose(again);
    }
  }
  const jose = ((mod as { default?: Jose }).default?.jwtVerify ? (mod as { default: Jose }).default : mod) as Jose;
  if (typeof jose.jwtVerify !== 'function' || typeof jose.createRemoteJWKSet !== 'function') {
    throw new TypeError('sessionwatch: option "backChannelLogout" needs jose 5 or 6; the installed jose has no jwtVerify');
  }
  return jose;
}

function missingJose(cause: unknown): TypeError {
  return new TypeError('sessionwatch: option "backChannelLogout" needs the jose package: npm install jose', { cause });
}

/** What a verifier says about a provider that cannot be reached (`key`: once per kind). */
export type VerifierLog = (key: string, message: string) => void;

export interface LogoutTokenVerifierOptions {
  /** Clock in epoch milliseconds (the `now` option). */
  now: () => number;
  log: VerifierLog;
  /** For tests: another loader of jose. */
  loadJose?: () => Promise<Jose>;
  /** For tests: another {@link FETCH_TIMEOUT_MS}. */
  fetchTimeoutMs?: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isName = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A claim as the error message shows it, cut short (a token is the sender's text). */
const shown = (value: unknown) => describeValue(value).slice(0, 100);

/**
 * Verifies logout tokens of the configured providers; keeps each provider's key set and the
 * tokens already accepted.
 *
 * @internal
 */
export class LogoutTokenVerifier {
  private readonly providers: Map<string, ResolvedBackChannelLogoutProvider>;
  private readonly keySets = new Map<string, { keys: Promise<KeySet>; failedAt?: number }>();
  private readonly seen: SeenTokens;
  private readonly load: () => Promise<Jose>;
  private readonly timeoutMs: number;

  constructor(
    providers: ResolvedBackChannelLogoutProvider[],
    private readonly options: LogoutTokenVerifierOptions,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.issuer, provider]));
    this.seen = new SeenTokens(options.now);
    this.load = options.loadJose ?? loadJose;
    this.timeoutMs = options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS;
  }

  /** Loads jose; rejects with the TypeError that says to install it (`migrate()` may await it). */
  async ready(): Promise<void> {
    await this.load();
  }

  /**
   * Verifies `token` and, when it is acceptable and new, runs `action` with what it asks. A token
   * whose `action` fails (the session database is down) is forgotten, so that the provider's
   * retry is accepted. Throws {@link LogoutTokenError} for a token that is not acceptable (a
   * replay included), {@link ProviderUnavailableError} when the provider's keys cannot be had,
   * and the TypeError of {@link loadJose} without jose.
   */
  async handle<T>(token: unknown, action: (request: LogoutRequest) => Promise<T>): Promise<T> {
    const { request, rememberUntil } = await this.verify(token);
    const key = `${request.issuer}\u0000${request.jti}`;
    if (!this.seen.reserve(key)) throw new LogoutTokenError('the logout token was already received (jti replayed)');
    let result: T;
    try {
      result = await action(request);
    } catch (err) {
      this.seen.release(key);
      throw err;
    }
    this.seen.done(key, rememberUntil);
    return result;
  }

  /** The checks of {@link handle}, replay aside; `rememberUntil`: past it (epoch ms) the token is too old anyway. */
  async verify(token: unknown): Promise<{ request: LogoutRequest; rememberUntil: number }> {
    const jose = await this.load();
    if (typeof token !== 'string' || token === '') throw new LogoutTokenError('logout_token is required');
    if (token.length > MAX_TOKEN_LENGTH) throw new LogoutTokenError(`logout_token exceeds ${MAX_TOKEN_LENGTH} characters`);
    const parts = token.split('.').length;
    if (parts === 5)
      throw new LogoutTokenError('encrypted logout tokens are not supported: register the client without id_token encryption');
    if (parts !== 3) throw new LogoutTokenError('logout_token is not a signed JWT');
    let unverified: Record<string, unknown>;
    try {
      unverified = jose.decodeJwt(token);
    } catch {
      throw new LogoutTokenError('logout_token is not a signed JWT');
    }
    // The issuer picks the keys and the audience; it is verified with the signature below.
    const provider = typeof unverified.iss === 'string' ? this.providers.get(unverified.iss) : undefined;
    if (!provider) {
      const configured = [...this.providers.keys()].map((issuer) => JSON.stringify(issuer)).join(', ');
      throw new LogoutTokenError(
        `the logout token's issuer ${shown(unverified.iss)} is not a provider of the backChannelLogout option (${configured}: issuers are compared exactly, a trailing slash included)`,
      );
    }
    const now = this.options.now();
    let verified: Awaited<ReturnType<Jose['jwtVerify']>>;
    try {
      verified = await jose.jwtVerify(token, await this.keysOf(jose, provider), {
        issuer: provider.issuer,
        audience: provider.clientId,
        algorithms: ALGORITHMS,
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: MAX_TOKEN_AGE_S,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(now),
      });
    } catch (err) {
      throw this.failure(err);
    }
    const { payload, protectedHeader } = verified;
    // Everything below is about a token the provider signed.
    const typ = protectedHeader.typ;
    // Media types are case-insensitive, and `application/` may be left out (RFC 7515, 4.1.9).
    const type =
      typ === undefined
        ? undefined
        : String(typ)
            .toLowerCase()
            .replace(/^application\//, '');
    if (type !== undefined && !TYPES.has(type)) {
      throw new LogoutTokenError(`the logout token's typ header ${shown(typ)} is neither "logout+jwt" nor "JWT"`);
    }
    const events = payload.events;
    if (
      !isObject(events) ||
      !Object.prototype.hasOwnProperty.call(events, BACKCHANNEL_LOGOUT_EVENT) ||
      !isObject(events[BACKCHANNEL_LOGOUT_EVENT])
    ) {
      throw new LogoutTokenError(
        `the logout token's "events" claim must hold the member "${BACKCHANNEL_LOGOUT_EVENT}" with an object value`,
      );
    }
    // A nonce would make it an ID token: a logout token must not carry one (2.4).
    if ('nonce' in payload) throw new LogoutTokenError('a logout token must not contain a "nonce" claim');
    const { sid, sub, jti, iat, exp } = payload;
    if (sid !== undefined && !isName(sid)) throw new LogoutTokenError('the logout token\'s "sid" claim must be a non-empty string');
    if (sub !== undefined && !isName(sub)) throw new LogoutTokenError('the logout token\'s "sub" claim must be a non-empty string');
    if (sid === undefined && sub === undefined) throw new LogoutTokenError('the logout token has neither a "sid" nor a "sub" claim');
    if (!isName(jti)) throw new LogoutTokenError('the logout token\'s "jti" claim must be a non-empty string');
    // Past the earlier of exp and iat + the max age (with the tolerance), jose refuses the token.
    const lastSecond = Math.min(typeof exp === 'number' ? exp : Infinity, (iat as number) + MAX_TOKEN_AGE_S) + CLOCK_TOLERANCE_S;
    return {
      request: {
        issuer: provider.issuer,
        jti,
        issuedAt: (iat as number) * 1000,
        ...(sid !== undefined && { sid }),
        ...(sub !== undefined && { subject: sub }),
      },
      rememberUntil: Math.max(now, lastSecond * 1000),
    };
  }

  /** jose's verdict as one of ours: the provider's keys could not be had (503), or the token is bad (400). */
  private failure(err: unknown): Error {
    if (err instanceof ProviderUnavailableError) return err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_J')) {
      if (code === 'ERR_JWKS_NO_MATCHING_KEY')
        return new LogoutTokenError(
          'no key of the provider matches the logout token (forged, or signed with a key the provider does not publish)',
        );
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return new LogoutTokenError("the logout token's signature does not verify");
      return new LogoutTokenError(`invalid logout token: ${(err as Error).message}`);
    }
    return err as Error;
  }

  /** The provider's key set: from its `jwksUri`, else discovered (once; a failure is retried after {@link DISCOVERY_RETRY_MS}). */
  private async keysOf(jose: Jose, provider: ResolvedBackChannelLogoutProvider): Promise<KeySet> {
    let entry = this.keySets.get(provider.issuer);
    if (entry?.failedAt !== undefined && Date.now() - entry.failedAt >= DISCOVERY_RETRY_MS) entry = undefined;
    if (!entry) {
      const created = { keys: this.keySetOf(jose, provider) } as { keys: Promise<KeySet>; failedAt?: number };
      created.keys.catch(() => (created.failedAt = Date.now()));
      this.keySets.set(provider.issuer, (entry = created));
    }
    const keys = await entry.keys;
    // jose fetches the JWKS on the first token and again for a key it does not know (rotation):
    // its failures are the provider's unavailability, not the token's fault.
    return async (header, token) => {
      try {
        return await keys(header, token);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
        const message = err instanceof Error ? err.message : String(err);
        this.options.log(
          `oidc-jwks:${provider.issuer}:${message}`,
          `sessionwatch: back-channel logout: cannot read the JWKS of ${provider.issuer} (${message}); its logout tokens are answered 503`,
        );
        throw new ProviderUnavailableError(`the keys of ${provider.issuer} cannot be fetched`);
      }
    };
  }

  private async keySetOf(jose: Jose, provider: ResolvedBackChannelLogoutProvider): Promise<KeySet> {
    const jwksUri = provider.jwksUri ?? (await this.discoverJwksUri(provider.issuer));
    // A token signed with a key the set does not hold makes jose fetch the set again, at most once
    // per cooldown: short, so that a provider's key rotation costs its logouts a few seconds at most.
    return jose.createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: this.timeoutMs, cooldownDuration: JWKS_COOLDOWN_MS });
  }

  /** The `jwks_uri` of the provider's discovery document (OpenID Connect Discovery 1.0, 4). */
  private async discoverJwksUri(issuer: string): Promise<string> {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const fail = (reason: string): never => {
      this.options.log(
        `oidc-discovery:${issuer}:${reason}`,
        `sessionwatch: back-channel logout: cannot discover the keys of ${issuer} from ${url} (${reason}); ` +
          `its logout tokens are answered 503 (tried again after ${DISCOVERY_RETRY_MS / 1000} s), or give the option's jwksUri`,
      );
      throw new ProviderUnavailableError(`the keys of ${issuer} cannot be discovered`);
    };
    let status: number;
    let document: unknown;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      status = response.status;
      document = status === 200 ? await response.json() : undefined;
    } catch (err) {
      return fail((err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err as Error).message);
    }
    if (status !== 200) return fail(`HTTP ${status}`);
    if (!isObject(document)) return fail('not a JSON object');
    // Discovery 4.3: the document's issuer must be the one asked for, else its keys are another's.
    if (document.issuer !== issuer) return fail(`its issuer is ${shown(document.issuer)}`);
    const jwksUri = document.jwks_uri;
    if (typeof jwksUri !== 'string' || !/^https?:\/\//i.test(jwksUri)) return fail(`its jwks_uri is ${shown(jwksUri)}`);
    return jwksUri;
  }
}
