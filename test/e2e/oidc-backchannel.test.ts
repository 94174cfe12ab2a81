/**
 * OpenID Connect over HTTP, on real SQLite and real Postgres: sign-ins through a real provider
 * (oidc-provider in a child process, test/support/oidc-idp-process.mjs) with openid-client are tracked
 * with the provider's issuer, subject and sid, and the provider's back-channel logout (Back-Channel
 * Logout 1.0: `POST /session/backchannel-logout`) revokes exactly the sessions of that provider
 * session, `by: 'idp'`; a sub-only token all of that user's. Bad tokens — forged, for another
 * audience or issuer, replayed, with a nonce, expired, malformed — get a 400 and change nothing.
 */
import { connect, KnexStore, type SessionRecord } from '../../backend';
import type { ErrorBody, SessionListResponse } from '../../shared/protocol';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases';
import { TestClient } from '../support/http-client';
import { anyNumber, anyString, objectContaining, stringMatching } from '../support/matchers';
import { startMiniApp } from '../support/mini-app';
import { rpClient, startIdp, type TestIdp } from '../support/oidc-idp';
import { OidcBrowser, reserveServer, startOidcRp, type OidcRp } from '../support/oidc-rp';

const CLIENT_ID = 'the-rp';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** POSTs `body` (a logout token, or a whole form) to the back-channel logout route of `url`. */
function postLogout(url: string, body: string, headers: Record<string, string> = FORM) {
  return new TestClient(url).post<ErrorBody>('/session/backchannel-logout', {
    body: body.includes('=') ? body : `logout_token=${encodeURIComponent(body)}`,
    headers,
  });
}

describe.each(DATABASE_KINDS)('OpenID Connect back-channel logout on %s', (kind) => {
  let db: TestDatabase;
  let idp: TestIdp;
  let rp: OidcRp;
  /** Reads the records as stored. */
  let store: KnexStore;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const reserved = await reserveServer();
    idp = await startIdp([rpClient(reserved.url, CLIENT_ID, 'the-rp-secret')]);
    const knex = connect(db.url, { schema: db.schema });
    store = new KnexStore(knex, { schema: db.schema });
    rp = await startOidcRp(reserved, {
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      clientSecret: 'the-rp-secret',
      sessionwatch: { database: knex, schema: db.schema },
    });
  });
  afterAll(async () => {
    await rp?.stop();
    await idp?.stop();
    await db?.drop();
  });

  /** A browser signed in as `user` through the provider, and its record. */
  async function signedIn(user: string): Promise<{ browser: OidcBrowser; record: SessionRecord }> {
    const browser = new OidcBrowser(rp.url, idp.issuer);
    await browser.login(user);
    const list = await browser.rp.get<SessionListResponse>('/session/sessions');
    const id = list.body.sessions.find((s) => s.current)!.id;
    return { browser, record: (await store.findById(id))! };
  }
  const live = async (record: SessionRecord) => (await store.findById(record.id))!.endedAt === null;
  const token = (claims: Record<string, unknown>, options?: Parameters<TestIdp['logoutToken']>[2]) =>
    idp.logoutToken(CLIENT_ID, claims, options);

  test('a sign-in through the provider is tracked with its issuer, subject and sid', async () => {
    const { record } = await signedIn('alice');
    const { sid } = rp.claims.get('alice')!;
    expect(sid).toEqual(anyString());
    expect(record).toMatchObject({ userId: 'alice', endedAt: null, idp: { issuer: idp.issuer, subject: 'alice', sid } });
  });

  test("the provider's logout ends that provider session's session only, by 'idp'; its cookie is logged out; the same token again is refused", async () => {
    const a = await signedIn('carol');
    const b = await signedIn('carol'); // the same user in another browser: another provider session
    const c = await signedIn('dave');
    expect(b.record.idp!.sid).not.toBe(a.record.idp!.sid);
    rp.ended.length = 0;
    const delivered = idp.deliveries.length;

    await a.browser.logoutAtIdp();

    // The provider delivered its token (it waits for the answer before its own): 200.
    expect(idp.deliveries.slice(delivered)).toEqual([{ ok: true, clientId: CLIENT_ID, sid: a.record.idp!.sid, detail: anyString() }]);
    expect(await store.findById(a.record.id)).toMatchObject({ endReason: 'revoked', endedAt: anyNumber() });
    expect(await live(b.record)).toBe(true);
    expect(await live(c.record)).toBe(true);
    expect(rp.ended).toEqual([objectContaining({ reason: 'revoked', by: 'idp', session: objectContaining({ id: a.record.id }) })]);
    const { events } = await rp.sw.history('carol');
    expect(events.find((e) => e.sessionId === a.record.id && e.type === 'revoked')).toMatchObject({
      by: 'idp',
      bySessionId: null,
      byUserId: null,
    });

    // The revoked cookie's next request: logged out, and told why.
    const after = await a.browser.rp.get<ErrorBody>('/session/sessions');
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('session_revoked');
    expect((await a.browser.rp.get('/me')).status).toBe(401);
    expect((await b.browser.rp.get('/me')).status).toBe(200);

    // The very token the provider sent, replayed: refused, nothing changes.
    const replay = await postLogout(rp.url, idp.deliveries[delivered].detail);
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({ error: 'bad_request', message: stringMatching(/already received \(jti replayed\)/) });
    expect(rp.ended).toHaveLength(1);
  });

  test("a token with a sub only ends all of that user's sessions signed in through the provider", async () => {
    const sessions = [await signedIn('erin'), await signedIn('erin')];
    const other = await signedIn('frank');
    rp.ended.length = 0;
    const res = await postLogout(rp.url, await token({ sub: 'erin' }));
    expect(res.status).toBe(200);
    for (const { record } of sessions) expect(await live(record)).toBe(false);
    expect(await live(other.record)).toBe(true);
    expect(rp.ended.map((e) => [e.session.id, e.by]).sort()).toEqual(sessions.map((s) => [s.record.id, 'idp']).sort());
  });

  test("a token naming a sid and a sub ends a session only when both are its own (another user's sid: nothing)", async () => {
    const alice = await signedIn('hana');
    const bob = await signedIn('ivan');
    expect((await postLogout(rp.url, await token({ sub: 'hana', sid: bob.record.idp!.sid }))).status).toBe(200);
    expect([await live(alice.record), await live(bob.record)]).toEqual([true, true]);
    expect((await postLogout(rp.url, await token({ sub: 'ivan', sid: bob.record.idp!.sid }))).status).toBe(200);
    expect([await live(alice.record), await live(bob.record)]).toEqual([true, false]);
  });

  test('a token never ends sign-ins made after it was issued (a replay on another instance cannot log the user out again)', async () => {
    // A token issued two minutes ago (still young enough), delivered now: gina signed in twice since.
    const issued = Math.floor(Date.now() / 1000) - 120;
    const before = await signedIn('gina');
    const since = await signedIn('gina');
    const res = await postLogout(rp.url, await token({ sub: 'gina', iat: issued, exp: issued + 300 }));
    expect(res.status).toBe(200);
    expect(await live(before.record)).toBe(true);
    expect(await live(since.record)).toBe(true);
    const now = await postLogout(rp.url, await token({ sub: 'gina' }));
    expect(now.status).toBe(200);
    expect([await live(before.record), await live(since.record)]).toEqual([false, false]);
  });

  test('a good token that matches no session: 200, no-store, an empty body, no cookie; nothing ends', async () => {
    const { record } = await signedIn('gina');
    const res = await postLogout(rp.url, await token({ sid: 'no-such-sid', sub: 'gina' }));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await live(record)).toBe(true);
  });

  describe('a bad token: 400 with what is wrong, and nothing changes', () => {
    let victim: SessionRecord;
    beforeAll(async () => {
      victim = (await signedIn('hugo')).record;
    });
    afterEach(async () => expect(await live(victim)).toBe(true));

    const sidOf = () => ({ sid: victim.idp!.sid, sub: 'hugo' });
    test.each<[string, () => Promise<string>, RegExp]>([
      ['forged (another key)', () => token(sidOf(), { key: 'forged' }), /signature does not verify/],
      ['for another audience', () => idp.logoutToken('another-client', sidOf()), /"aud"/],
      [
        'from another issuer',
        () => token({ ...sidOf(), iss: 'https://elsewhere.example' }),
        /issuer "https:\/\/elsewhere.example" is not a provider/,
      ],
      ['with a nonce', () => token({ ...sidOf(), nonce: 'n' }), /must not contain a "nonce"/],
      ['expired', () => token({ ...sidOf(), iat: Math.floor(Date.now() / 1000) - 300, exp: Math.floor(Date.now() / 1000) - 120 }), /"exp"/],
      ['without the logout event', () => token({ ...sidOf(), events: { 'https://other/event': {} } }), /"events"/],
      ['with neither sid nor sub', () => token({}), /neither a "sid" nor a "sub"/],
      ['not a JWT', async () => 'not-a-token', /not a signed JWT/],
    ])('%s', async (_name, make, message) => {
      const res = await postLogout(rp.url, await make());
      expect(res.status).toBe(400);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ error: 'bad_request', message: stringMatching(message) });
    });

    test('replayed: the first delivery is handled, the second refused', async () => {
      const first = await token({ sid: 'an-ended-provider-session' });
      expect((await postLogout(rp.url, first)).status).toBe(200);
      const again = await postLogout(rp.url, first);
      expect(again.status).toBe(400);
      expect(again.body.message).toMatch(/replayed/);
    });

    test.each<[string, string, Record<string, string>, RegExp]>([
      ['no logout_token', 'token=abc', FORM, /logout_token is required/],
      ['two logout_tokens', 'logout_token=a&logout_token=b', FORM, /logout_token is repeated/],
      ['an empty body', '', FORM, /logout_token is required/],
      [
        'JSON',
        '{"logout_token":"a.b.c"}',
        { 'content-type': 'application/json' },
        /Content-Type must be application\/x-www-form-urlencoded/,
      ],
      ['no content type', 'logout_token=a.b.c', {}, /Content-Type must be/],
    ])('malformed: %s', async (_name, body, headers, message) => {
      const res = await new TestClient(rp.url).post<ErrorBody>('/session/backchannel-logout', { body, headers });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'bad_request', message: stringMatching(message) });
    });

    test('a body over the limit is refused without reading it all', async () => {
      const res = await postLogout(rp.url, `logout_token=${'a'.repeat(20_000)}`);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/Body exceeds 16384 bytes/);
    });

    test('no same-origin check (the provider posts from its server), but a bad token from any origin is still a 400', async () => {
      const res = await postLogout(rp.url, await token(sidOf(), { key: 'forged' }), { ...FORM, origin: 'https://evil.example' });
      expect(res.status).toBe(400);
    });
  });

  test('only POST: another method is a 405, as on every route', async () => {
    const res = await new TestClient(rp.url).get<ErrorBody>('/session/backchannel-logout');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('without a database service', () => {
  test('without the option the route does not exist: 404, as any unknown path', async () => {
    const app = await startMiniApp();
    try {
      const res = await postLogout(app.url, 'a.b.c');
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('route_not_found');
    } finally {
      await app.stop();
    }
  });

  test('a provider whose keys cannot be discovered: 503 (the provider may retry), said once in the log', async () => {
    const errors: string[] = [];
    const unreachable = 'http://127.0.0.1:9'; // the discard port: nothing listens
    const app = await startMiniApp({
      backChannelLogout: { issuer: unreachable, clientId: CLIENT_ID },
      logger: { error: (message: string) => void errors.push(message) },
    });
    const idp = await startIdp([]);
    try {
      const logoutToken = await idp.logoutToken(CLIENT_ID, { sid: 's', iss: unreachable });
      for (let i = 0; i < 2; i++) {
        const res = await postLogout(app.url, logoutToken);
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ error: 'unavailable' });
      }
      expect(errors).toEqual([stringMatching(/cannot discover the keys of http:\/\/127.0.0.1:9 from .*openid-configuration/)]);
    } finally {
      await app.stop();
      await idp.stop();
    }
  });
});
