/**
 * The README's integration example runs as pasted: it is extracted, pointed at this checkout
 * instead of the installed package, started, and used over HTTP.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readmeCodeBlock, ROOT as root, waitForServer } from '../support/readme';
import type { SessionListResponse } from '../../shared/protocol';
import { rpClient, startIdp } from '../support/oidc-idp';
import { OidcBrowser } from '../support/oidc-rp';

test('the README integration example works as pasted', async () => {
  expect(
    readmeCodeBlock('## Add it to your Koa app')
      .split('\n')
      .filter((l) => l.trim()).length,
  ).toBeLessThanOrEqual(25);
  await runReadmeBlock('## Add it to your Koa app', async (base, dir) => {
    const login = await fetch(`${base}/login?user=42&next=${encodeURIComponent('/orders?id=3')}`, { method: 'POST', redirect: 'manual' });
    expect([login.status, login.headers.get('location')]).toEqual([302, '/orders?id=3']);
    // `next` is only ever a path of the site (safeNextPath): never another host.
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
      const other = await fetch(`${base}/login?user=43&next=${encodeURIComponent(next)}`, { method: 'POST', redirect: 'manual' });
      expect(new URL(other.headers.get('location')!, base).origin).toBe(base);
    }
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const list = await fetch(`${base}/session/sessions`, { headers: { cookie } });
    expect(list.status).toBe(200);
    expect(((await list.json()) as SessionListResponse).sessions).toHaveLength(1);
    expect((await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } })).status).toBe(204);
    expect((await fetch(`${base}/session/sessions`, { headers: { cookie } })).status).toBe(401);
    expect(fs.existsSync(path.join(dir, 'data', 'sessions.sqlite'))).toBe(true);
  });
}, 40000);

/** Runs a README block as a TypeScript file in a fresh folder, pointed at this checkout, then `run` against it. */
async function runReadmeBlock(
  heading: string,
  run: (base: string, dir: string) => Promise<void>,
  { port = 20000 + Math.floor(Math.random() * 20000), env = {} }: { port?: number; env?: Record<string, string> } = {},
): Promise<void> {
  const code = readmeCodeBlock(heading);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionwatch-readme-'));
  const file = path.join(dir, 'app.ts');
  fs.writeFileSync(file, code.replace("from 'sessionwatch'", `from ${JSON.stringify(path.join(root, 'backend'))}`));
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', file], {
    cwd: dir,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      NODE_PATH: path.join(root, 'node_modules'),
      TS_NODE_PROJECT: path.join(root, 'tsconfig.json'),
    },
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForServer(base, child, () => output);
    await run(base, dir);
  } finally {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the README koa-passport example works as pasted: logins tracked, a revoked cookie refused, ctx.logout() ends it', async () => {
  await runReadmeBlock('### With koa-passport', async (base) => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const logIn = async (password = 'alice') => {
      const res = await fetch(`${base}/login`, {
        method: 'POST',
        headers: form,
        body: `username=alice&password=${password}`,
        redirect: 'manual',
      });
      const cookie = res.headers
        .getSetCookie()
        .filter((c) => !/expires=Thu, 01 Jan 1970/i.test(c))
        .map((c) => c.split(';')[0])
        .join('; ');
      return { location: res.headers.get('location'), cookie };
    };
    expect((await logIn('wrong')).location).toBe('/login');
    const a = await logIn();
    const b = await logIn();
    expect(a.location).toBe('/');
    const me = (await (await fetch(`${base}/`, { headers: { cookie: a.cookie } })).json()) as { user: string; session: string };
    expect(me).toEqual({ user: 'alice', session: expect.any(String) as string });
    const { sessions } = (await (await fetch(`${base}/session/sessions`, { headers: { cookie: a.cookie } })).json()) as SessionListResponse;
    expect(sessions).toHaveLength(2);
    const other = sessions.find((s) => !s.current)!;
    const revoke = await fetch(`${base}/session/sessions/${other.id}`, { method: 'DELETE', headers: { cookie: a.cookie, origin: base } });
    expect(revoke.status).toBe(204);
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/`, { headers: { cookie: b.cookie } })).status).toBe(401);
    const out = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie: a.cookie }, redirect: 'manual' });
    expect(out.headers.get('location')).toBe('/login');
    expect((await fetch(`${base}/session/sessions`, { headers: { cookie: a.cookie } })).status).toBe(401);
    expect((await fetch(`${base}/`, { headers: { cookie: a.cookie } })).status).toBe(401);
  });
}, 40000);

test("the README OpenID Connect example works as pasted: signed in through a real provider, ended by the provider's back-channel logout", async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const idp = await startIdp([rpClient(url, 'readme-app', 'readme-secret', '/callback')]);
  try {
    const env = { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: 'readme-app', OIDC_CLIENT_SECRET: 'readme-secret', APP_URL: url };
    await runReadmeBlock(
      '### With OpenID Connect',
      async (base) => {
        const browser = new OidcBrowser(base, idp.issuer);
        await browser.login('alice', { start: '/login' });
        const other = new OidcBrowser(base, idp.issuer);
        await other.login('alice', { start: '/login' });
        expect((await browser.rp.get<SessionListResponse>('/session/sessions')).body.sessions).toHaveLength(2);
        await browser.logoutAtIdp();
        expect((await browser.rp.get('/session/sessions')).status).toBe(401);
        expect((await browser.rp.get('/')).body).toEqual({ user: null });
        expect((await other.rp.get('/')).body).toEqual({ user: 'alice' });
      },
      { port, env },
    );
  } finally {
    await idp.stop();
  }
}, 60000);
