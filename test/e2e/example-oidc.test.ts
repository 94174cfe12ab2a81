/**
 * The example app's "Sign in with OpenID Connect" (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)
 * against a real provider (oidc-provider): the sign-in through the provider lands on the demo as
 * its own user, is tracked with the provider's session, and the provider's logout ends it through
 * the documented back-channel logout route; a local account cannot be taken over by a provider's user.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OIDC_CALLBACK_PATH, oidcFromEnv } from '../../example/oidc';
import type { SessionListResponse } from '../../shared/protocol';
import { startExample, type RunningExample } from '../support/example-server';
import { rpClient, startIdp, type TestIdp } from '../support/oidc-idp';
import { OidcBrowser } from '../support/oidc-rp';

/** A free loopback port: the provider's registration needs the demo's URL before the demo starts. */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the example app with OpenID Connect', () => {
  let idp: TestIdp;
  let example: RunningExample;

  beforeAll(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Its back-channel logout at the route the README documents.
    idp = await startIdp([rpClient(url, 'sessionwatch-demo', 'demo-secret', OIDC_CALLBACK_PATH)]);
    const oidc = oidcFromEnv({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: 'sessionwatch-demo', OIDC_CLIENT_SECRET: 'demo-secret' });
    example = await startExample('sqlite', { port, oidc });
  });
  afterAll(async () => {
    await example?.stop();
    await idp?.stop();
  });

  test('the login page offers it; the sign-in is tracked with the provider session, whose logout ends it', async () => {
    expect((await new OidcBrowser(example.url, idp.issuer).rp.get('/')).text).toContain('Sign in with OpenID Connect');
    const host = new URL(idp.issuer).host;
    const browser = new OidcBrowser(example.url, idp.issuer);
    await browser.login('johndoe', { start: '/auth/oidc/login?next=/me', name: `johndoe@${host}` });
    const other = new OidcBrowser(example.url, idp.issuer);
    await other.login('johndoe', { start: '/auth/oidc/login?next=/me', name: `johndoe@${host}` });
    // A provider's "johndoe" is not the demo's johndoe.
    expect((await browser.rp.get('/me')).body).toEqual({ username: `johndoe@${host}` });
    const { sessions } = (await browser.rp.get<SessionListResponse>('/session/sessions')).body;
    expect(sessions).toHaveLength(2);

    await browser.logoutAtIdp();
    const res = await browser.rp.get('/session/sessions');
    expect([res.status, (res.body as { error: string }).error]).toEqual([401, 'session_revoked']);
    expect((await browser.rp.get('/me')).status).toBe(401);
    // The other browser's provider session goes on.
    expect((await other.rp.get('/me')).status).toBe(200);
  });

  test('a callback without a sign-in under way, or with a forged state, is a 400 and logs nobody in', async () => {
    const browser = new OidcBrowser(example.url, idp.issuer);
    const lone = await browser.rp.get(`${OIDC_CALLBACK_PATH}?code=x&state=y`);
    expect(lone.status).toBe(400);
    await browser.rp.get('/auth/oidc/login?next=/');
    const forged = await browser.rp.get(`${OIDC_CALLBACK_PATH}?code=x&state=forged`);
    expect(forged.status).toBe(400);
    expect((await browser.rp.get('/me')).status).toBe(401);
  });

  test('OIDC_* all or none', () => {
    expect(oidcFromEnv({})).toBeUndefined();
    expect(() => oidcFromEnv({ OIDC_ISSUER: 'https://idp.example' })).toThrow(/OIDC_CLIENT_ID and OIDC_CLIENT_SECRET/);
  });
});
