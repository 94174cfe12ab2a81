/**
 * Starts the tests' OpenID provider (oidc-provider in a child process: test/support/oidc-idp-process.mjs)
 * with its clients and a signing key made here, so that tests can also sign logout tokens with
 * the provider's own key (or with another: a forgery), and hear of every back-channel logout it
 * delivered, with the token it sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import * as jose from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../backend/oidc/logout-token';

/** A client registered at the provider (OAuth / OpenID Connect dynamic registration metadata). */
export interface IdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
}

/**
 * The registration of a relying party at `url` whose sessionwatch serves the default `apiPrefix`:
 * its redirect URI (`redirectPath`) and its back-channel logout URL, with the sid required.
 */
export function rpClient(url: string, clientId: string, clientSecret: string, redirectPath = '/auth/callback'): IdpClient {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [`${url}${redirectPath}`],
    backchannel_logout_uri: `${url}/session/backchannel-logout`,
    backchannel_logout_session_required: true,
  };
}

/** A back-channel logout the provider made: to which client, for which sid, and the token (or the error). */
export interface Delivery {
  ok: boolean;
  clientId: string;
  sid: string;
  /** The logout token when delivered, the error message when not. */
  detail: string;
}

export interface TestIdp {
  issuer: string;
  /** Back-channel logouts in the order the provider reported them. */
  deliveries: Delivery[];
  /**
   * A logout token signed with the provider's key (`key: 'forged'`: another key under the same
   * key id), for `aud`; `claims` change or (undefined) remove the defaults.
   */
  logoutToken(aud: string, claims?: Record<string, unknown>, options?: { key?: 'idp' | 'forged'; typ?: string }): Promise<string>;
  stop(): Promise<void>;
}

const SCRIPT = path.join(__dirname, 'oidc-idp-process.mjs');
const KID = 'test-idp-key';

/** Starts a provider with `clients`; resolves once it listens. */
export async function startIdp(clients: IdpClient[]): Promise<TestIdp> {
  const pair = await jose.generateKeyPair('RS256', { extractable: true });
  const forged = await jose.generateKeyPair('RS256');
  const privateJwk = { ...(await jose.exportJWK(pair.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify({ clients, jwks: { keys: [privateJwk] } })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const deliveries: Delivery[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the test IdP did not start within 15 s: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`the test IdP exited (${code}): ${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const [kind, ...rest] = line.split(' ');
        if (kind === 'ready') {
          clearTimeout(timer);
          resolve(rest[0]);
        } else if (kind === 'backchannel') {
          const [status, clientId, sid, ...detail] = rest;
          deliveries.push({ ok: status === 'ok', clientId, sid, detail: detail.join(' ') });
        }
      }
    });
  });
  return {
    issuer,
    deliveries,
    async logoutToken(aud, claims = {}, { key = 'idp', typ = 'logout+jwt' } = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        aud,
        iat: now,
        exp: now + 120,
        jti: randomUUID(),
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        ...claims,
      };
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
      return new jose.SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: KID, typ })
        .sign(key === 'idp' ? pair.privateKey : forged.privateKey);
    },
    stop: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill();
  });
}
