/**
 * The back-channel logout route of an app whose `jose` is not installed: the option is accepted
 * (it is checked at construction without loading anything), and a logout token is answered
 * `500 misconfigured` saying what to install, said once in the log. (The route with a real
 * provider: test/e2e/oidc-backchannel.test.ts.)
 */
import { startMiniApp, type MiniApp } from '../../test/support/mini-app';
import { TestClient } from '../../test/support/http-client';

// As if jose were not installed: requiring it fails as a missing module does.
jest.mock('jose', () => {
  throw Object.assign(new Error("Cannot find module 'jose'"), { code: 'MODULE_NOT_FOUND' });
});

let app: MiniApp;
const errors: string[] = [];

beforeAll(async () => {
  app = await startMiniApp(
    {
      backChannelLogout: { issuer: 'https://idp.example', clientId: 'app' },
      logger: { error: (message: string) => void errors.push(message) },
    },
    // An app that did not wait for migrate(), or went on after its rejection.
    { migrate: false },
  );
});
afterAll(() => app.stop());

test('migrate() rejects saying to install jose', async () => {
  await expect(app.sw.migrate()).rejects.toThrow('sessionwatch: option "backChannelLogout" needs the jose package: npm install jose');
});

test('a logout token without jose installed: 500 misconfigured, "npm install jose", said once in the log', async () => {
  for (let i = 0; i < 2; i++) {
    const res = await new TestClient(app.url).post('/session/backchannel-logout', {
      body: 'logout_token=a.b.c',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: 'misconfigured',
      message: 'sessionwatch: option "backChannelLogout" needs the jose package: npm install jose',
    });
  }
  expect(errors).toEqual(['sessionwatch: option "backChannelLogout" needs the jose package: npm install jose']);
});
