/**
 * `LogoutTokenVerifier`: back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0, 2.6)
 * signed with jose by a provider on a loopback server (its discovery document and JWKS), each
 * rule broken once; replays; discovery kept, failing, timing out; jose missing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  CLOCK_TOLERANCE_S,
  DISCOVERY_RETRY_MS,
  LogoutTokenError,
  LogoutTokenVerifier,
  MAX_TOKEN_AGE_S,
  ProviderUnavailableError,
  loadJose,
  type LogoutRequest,
} from './logout-token';
import type { ResolvedBackChannelLogoutProvider } from './options';

/** The provider: its discovery document and JWKS, with counts and switches for each test. */
const idp = {
  server: undefined as http.Server | undefined,
  issuer: '',
  requests: { discovery: 0, jwks: 0 },
  /** What the discovery endpoint answers: the real document, another status, or nothing at all. */
  discovery: 'ok' as 'ok' | 500 | 'hang' | 'other-issuer',
  jwksStatus: 200,
  keys: [] as jose.JWK[],
};

let signingKey: CryptoKey;
let otherKey: CryptoKey;
const KID = 'key-1';
const CLIENT_ID = 'the-app';
let clock = Date.now();
const logged: Array<[string, string]> = [];

beforeAll(async () => {
  const pair = await jose.generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  otherKey = (await jose.generateKeyPair('RS256')).privateKey;
  idp.keys = [{ ...(await jose.exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }];
  idp.server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      idp.requests.discovery++;
      if (idp.discovery === 'hang') return; // never answers
      if (idp.discovery === 500) return void res.writeHead(500).end();
      const issuer = idp.discovery === 'other-issuer' ? `${idp.issuer}/other` : idp.issuer;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${idp.issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      idp.requests.jwks++;
      res.writeHead(idp.jwksStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: idp.keys }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => idp.server!.listen(0, '127.0.0.1', resolve));
  idp.issuer = `http://127.0.0.1:${(idp.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  idp.server!.closeAllConnections();
  await new Promise((resolve) => idp.server!.close(resolve));
});
beforeEach(() => {
  clock = Date.now();
  logged.length = 0;
  Object.assign(idp, { discovery: 'ok', jwksStatus: 200, requests: { discovery: 0, jwks: 0 } });
});
afterEach(() => jest.restoreAllMocks());

const provider = (overrides: Partial<ResolvedBackChannelLogoutProvider> = {}): ResolvedBackChannelLogoutProvider => ({
  issuer: idp.issuer,
  clientId: CLIENT_ID,
  jwksUri: null,
  ...overrides,
});

function verifier(providers = [provider()], options: { fetchTimeoutMs?: number } = {}): LogoutTokenVerifier {
  return new LogoutTokenVerifier(providers, { now: () => clock, log: (key, message) => logged.push([key, message]), ...options });
}

/** A logout token as a provider signs it, with `claims` and `header` changed (undefined: left out). */
async function token(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key: CryptoKey | Uint8Array = signingKey,
): Promise<string> {
  const now = Math.floor(clock / 1000);
  const payload: Record<string, unknown> = {
    iss: idp.issuer,
    aud: CLIENT_ID,
    iat: now,
    exp: now + 120,
    jti: randomUUID(),
    sub: 'alice',
    sid: 'sid-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const protectedHeader = { alg: 'RS256', kid: KID, typ: 'logout+jwt', ...header } as jose.JWTHeaderParameters;
  for (const [name, value] of Object.entries(protectedHeader))
    if (value === undefined) delete (protectedHeader as Record<string, unknown>)[name];
  return new jose.SignJWT(payload).setProtectedHeader(protectedHeader).sign(key);
}

const requestOf = async (v: LogoutTokenVerifier, t: unknown) => (await v.verify(t)).request;
const refused = (v: LogoutTokenVerifier, t: unknown) => expect(requestOf(v, t)).rejects.toThrow(LogoutTokenError);

describe('a good token', () => {
  test('asks to end its sid (and names its subject); the keys are discovered once, and kept', async () => {
    const v = verifier();
    const t = await token({ jti: 'j-1' });
    expect(await requestOf(v, t)).toEqual<LogoutRequest>({
      issuer: idp.issuer,
      sid: 'sid-1',
      subject: 'alice',
      jti: 'j-1',
      issuedAt: Math.floor(clock / 1000) * 1000,
    });
    for (let i = 0; i < 3; i++) await requestOf(v, await token());
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  test('with a sub only, or a sid only', async () => {
    const v = verifier();
    expect(await requestOf(v, await token({ sid: undefined }))).toMatchObject({ subject: 'alice' });
    expect(await requestOf(v, await token({ sid: undefined }))).not.toHaveProperty('sid');
    expect(await requestOf(v, await token({ sub: undefined }))).not.toHaveProperty('subject');
  });

  test('typ logout+jwt (also as application/logout+jwt), JWT, or none; not another type', async () => {
    const v = verifier();
    for (const typ of ['logout+jwt', 'application/logout+jwt', 'JWT', undefined]) await requestOf(v, await token({}, { typ }));
    await expect(requestOf(v, await token({}, { typ: 'at+jwt' }))).rejects.toThrow(/typ header "at\+jwt"/);
  });

  test('an audience list that holds the client id; an events value with members of its own; no exp (iat within the max age)', async () => {
    const v = verifier();
    await requestOf(v, await token({ aud: ['another', CLIENT_ID] }));
    await requestOf(v, await token({ events: { [BACKCHANNEL_LOGOUT_EVENT]: { extra: 1 }, 'https://other/event': {} } }));
    await requestOf(v, await token({ exp: undefined, iat: Math.floor(clock / 1000) - MAX_TOKEN_AGE_S + 5 }));
  });

  test('a clock difference within the tolerance: iat a little ahead, exp just past', async () => {
    const v = verifier();
    const now = Math.floor(clock / 1000);
    await requestOf(v, await token({ iat: now + CLOCK_TOLERANCE_S - 2 }));
    await requestOf(v, await token({ iat: now - 200, exp: now - CLOCK_TOLERANCE_S + 2 }));
  });

  test('the jwksUri of the option, without discovery', async () => {
    const v = verifier([provider({ jwksUri: `${idp.issuer}/jwks` })]);
    idp.discovery = 500;
    await requestOf(v, await token());
    expect(idp.requests).toEqual({ discovery: 0, jwks: 1 });
  });
});

describe('a bad token is a LogoutTokenError, with what is wrong', () => {
  test.each<[string, Record<string, unknown>, RegExp]>([
    ['another issuer', { iss: 'https://elsewhere.example' }, /issuer "https:\/\/elsewhere.example" is not a provider/],
    ['no issuer', { iss: undefined }, /issuer undefined is not a provider/],
    ['another audience', { aud: 'another-app' }, /"aud"/],
    ['no audience', { aud: undefined }, /"aud"/],
    ['no iat', { iat: undefined }, /"iat"/],
    ['an iat older than the max age', { iat: Math.floor(Date.now() / 1000) - MAX_TOKEN_AGE_S - CLOCK_TOLERANCE_S - 5 }, /"iat"/],
    ['an iat in the future', { iat: Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_S + 60 }, /"iat"/],
    ['expired', { exp: Math.floor(Date.now() / 1000) - CLOCK_TOLERANCE_S - 1 }, /"exp"/],
    ['no jti', { jti: undefined }, /"jti"/],
    ['an empty jti', { jti: '' }, /"jti" claim must be a non-empty string/],
    ['no events', { events: undefined }, /"events" claim must hold the member/],
    ['events without the logout event', { events: { 'https://other/event': {} } }, /"events" claim/],
    ['the logout event with a value that is not an object', { events: { [BACKCHANNEL_LOGOUT_EVENT]: true } }, /"events" claim/],
    ['the logout event as a list', { events: { [BACKCHANNEL_LOGOUT_EVENT]: [] } }, /"events" claim/],
    ['events as a list', { events: [BACKCHANNEL_LOGOUT_EVENT] }, /"events" claim/],
    ['a nonce', { nonce: 'n-1' }, /must not contain a "nonce"/],
    ['neither sid nor sub', { sid: undefined, sub: undefined }, /neither a "sid" nor a "sub"/],
    ['a sid that is not a string', { sid: 42 }, /"sid" claim must be a non-empty string/],
    ['an empty sub', { sub: '', sid: undefined }, /"sub" claim must be a non-empty string/],
  ])('%s', async (_name, claims, message) => {
    await expect(requestOf(verifier(), await token(claims))).rejects.toThrow(message);
  });

  test('signed with another key: under the provider key id, or under an unknown one', async () => {
    const v = verifier();
    await expect(requestOf(v, await token({}, {}, otherKey))).rejects.toThrow(/signature does not verify/);
    await expect(requestOf(v, await token({}, { kid: 'forged' }, otherKey))).rejects.toThrow(/no key of the provider matches/);
  });

  test('alg none (unsigned), and HS256 keyed with a guessable secret, are refused before any key is used', async () => {
    const v = verifier();
    const unsigned = new jose.UnsecuredJWT({
      iss: idp.issuer,
      aud: CLIENT_ID,
      iat: Math.floor(clock / 1000),
      jti: 'x',
      sid: 's',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    }).encode();
    await expect(requestOf(v, unsigned)).rejects.toThrow(LogoutTokenError);
    await expect(requestOf(v, await token({}, { alg: 'HS256', kid: undefined }, new TextEncoder().encode('s'.repeat(32))))).rejects.toThrow(
      /alg/,
    );
    expect(idp.requests.jwks).toBe(0);
  });

  test('not a JWT: missing, empty, garbage, encrypted (five parts), too long', async () => {
    const v = verifier();
    for (const t of [undefined, '', 'abc', 'a.b.c', `${'a'.repeat(9000)}.b.c`]) await refused(v, t);
    await expect(requestOf(v, 'a.b.c.d.e')).rejects.toThrow(/encrypted logout tokens are not supported/);
  });
});

describe('replay', () => {
  const revoked: LogoutRequest[] = [];
  const revoke = async (request: LogoutRequest) => void revoked.push(request);
  beforeEach(() => (revoked.length = 0));

  test('a token is handled once; the second delivery is refused, a new token of the same sid is not', async () => {
    const v = verifier();
    const t = await token();
    await v.handle(t, revoke);
    await expect(v.handle(t, revoke)).rejects.toThrow(/already received \(jti replayed\)/);
    await v.handle(await token(), revoke);
    expect(revoked).toHaveLength(2);
  });

  test('two deliveries at once: one is handled', async () => {
    const v = verifier();
    const t = await token();
    const results = await Promise.allSettled([v.handle(t, revoke), v.handle(t, revoke)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(revoked).toHaveLength(1);
  });

  test('a token whose revocation failed is accepted again (the provider retries)', async () => {
    const v = verifier();
    const t = await token();
    await expect(v.handle(t, () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    await v.handle(t, revoke);
    expect(revoked).toHaveLength(1);
  });

  test('a bad token is not remembered: it fills no memory and blocks nothing', async () => {
    const v = verifier();
    const jti = randomUUID();
    await expect(v.handle(await token({ jti }, {}, otherKey), revoke)).rejects.toThrow(/signature/);
    await v.handle(await token({ jti }), revoke);
    expect(revoked).toHaveLength(1);
  });

  test('remembered until it is too old to be accepted anyway, then forgotten', async () => {
    const v = verifier();
    const t = await token();
    await v.handle(t, revoke);
    const seen = (v as unknown as { seen: { size: number } }).seen;
    expect(seen.size).toBe(1);
    clock += (120 + CLOCK_TOLERANCE_S + 1) * 1000; // past exp and the tolerance
    await expect(v.handle(t, revoke)).rejects.toThrow(/"exp"/);
    await v.handle(await token(), revoke); // purges the old entry
    expect(seen.size).toBe(1);
  });
});

describe('the provider', () => {
  test('discovery that fails is a ProviderUnavailableError, said in the log; tried again after a while, not at every token', async () => {
    const v = verifier();
    idp.discovery = 500;
    await expect(requestOf(v, await token())).rejects.toThrow(ProviderUnavailableError);
    await expect(requestOf(v, await token())).rejects.toThrow(ProviderUnavailableError);
    expect(idp.requests.discovery).toBe(1);
    expect(logged).toEqual([
      [
        expect.stringContaining('oidc-discovery'),
        expect.stringMatching(/cannot discover the keys of .* from .*openid-configuration \(HTTP 500\)/),
      ],
    ]);
    idp.discovery = 'ok';
    const later = Date.now() + DISCOVERY_RETRY_MS;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    await requestOf(v, await token());
    expect(idp.requests.discovery).toBe(2);
  });

  test("a discovery document of another issuer is refused (its keys are not this provider's)", async () => {
    idp.discovery = 'other-issuer';
    await expect(requestOf(verifier(), await token())).rejects.toThrow(ProviderUnavailableError);
    expect(logged[0][1]).toMatch(/its issuer is ".*\/other"/);
  });

  test('discovery that does not answer times out', async () => {
    idp.discovery = 'hang';
    const started = Date.now();
    await expect(requestOf(verifier([provider()], { fetchTimeoutMs: 200 }), await token())).rejects.toThrow(ProviderUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(logged[0][1]).toMatch(/no answer within 200 ms/);
  });

  test('a JWKS that cannot be read is a ProviderUnavailableError, said in the log', async () => {
    idp.jwksStatus = 503;
    await expect(requestOf(verifier(), await token())).rejects.toThrow(ProviderUnavailableError);
    expect(logged[0][1]).toMatch(/cannot read the JWKS of/);
  });

  test("several providers: each token is checked with its own issuer's keys and client id", async () => {
    const second = { issuer: `${idp.issuer}/tenant`, clientId: 'other-client', jwksUri: `${idp.issuer}/jwks` };
    const v = verifier([provider(), second]);
    expect(await requestOf(v, await token({ iss: second.issuer, aud: 'other-client' }))).toMatchObject({ issuer: second.issuer });
    await expect(requestOf(v, await token({ iss: second.issuer }))).rejects.toThrow(/"aud"/);
  });
});

describe('jose', () => {
  test('loads once (an ES module, through the CommonJS build)', async () => {
    const first = loadJose();
    expect(loadJose()).toBe(first);
    expect(typeof (await first).jwtVerify).toBe('function');
  });

  test('missing: every call rejects with the TypeError that says to install it', async () => {
    const missing = () =>
      Promise.reject(new TypeError('sessionwatch: option "backChannelLogout" needs the jose package: npm install jose'));
    const v = new LogoutTokenVerifier([provider()], { now: () => clock, log: () => {}, loadJose: missing });
    await expect(v.ready()).rejects.toThrow(/npm install jose/);
    await expect(v.handle(await token(), async () => {})).rejects.toThrow(TypeError);
  });
});
