/**
 * A real OpenID provider for the tests: panva's oidc-provider, an ES module only, run in its own
 * Node process (Jest's CommonJS runtime cannot load it; test/support/oidc-idp.ts starts this file).
 *
 * Input: one JSON argument `{ clients, jwks }` — the registered clients (with their
 * `backchannel_logout_uri`) and the signing keys (private JWKs, so that the tests can sign tokens
 * with the provider's own key).
 * Output on stdout, one line each: `ready <issuer>` once listening on a free loopback port;
 * `backchannel <ok|error> <clientId> <sid> <logout token | message>` for every back-channel logout
 * the provider delivered or failed to.
 *
 * Sign-in: `GET /interaction/:uid` is a login form (`#username`, `#password` ignored, a submit
 * button of `form[action="/login"]`, as the browser tests' helper expects); `POST /login` signs
 * that user in and grants the client what it asked (no consent page). Sign-out: oidc-provider's
 * own `GET /session/end`, whose page has a "Yes, sign me out" button (`#logout-yes`); confirming
 * it sends the back-channel logouts before it answers.
 */
import http from 'node:http';
import Provider from 'oidc-provider';

const { clients, jwks } = JSON.parse(process.argv[2]);

const page = (title, body) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks,
  cookies: { keys: ['oidc-idp-test-cookie-key'] },
  findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // No external stylesheet (the default pages import web fonts): the browser tests are offline.
      logoutSource: (ctx, form) => {
        ctx.body = page(
          'Sign out',
          `${form}<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`,
        );
      },
      postLogoutSuccessSource: (ctx) => {
        ctx.body = page('Signed out', '<p id="signed-out">You are signed out.</p>');
      },
    },
  },
  renderError: (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
  // oidc-provider refuses outgoing requests to loopback addresses (SSRF protection, its own
  // dispatcher): the relying parties of the tests are on the loopback. And every back-channel
  // logout token is reported, so that a test can replay the very token the provider sent.
  fetch: (url, { dispatcher: _dispatcher, ...options }) => {
    const token = options.body instanceof URLSearchParams ? options.body.get('logout_token') : null;
    if (token) pendingTokens.set(String(url), token);
    return fetch(url, options);
  },
});

/** The last logout token sent to each back-channel URL, until its delivery is reported. */
const pendingTokens = new Map();

provider.on('backchannel.success', (_ctx, client, _accountId, sid) => {
  console.log(`backchannel ok ${client.clientId} ${sid} ${pendingTokens.get(client.backchannelLogoutUri) ?? '-'}`);
});
provider.on('backchannel.error', (_ctx, err, client, _accountId, sid) => {
  console.log(`backchannel error ${client.clientId} ${sid} ${String(err.message).replace(/\s+/g, ' ')}`);
});

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const url = new URL(req.url, issuer);
  if (req.method === 'GET' && url.pathname.startsWith('/interaction/')) {
    const { uid, prompt } = await provider.interactionDetails(req, res);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      page(
        `Sign in (${prompt.name})`,
        `<form action="/login" method="post"><input type="hidden" name="uid" value="${uid}">` +
          '<input id="username" name="username" autocomplete="off"><input id="password" name="password" type="password">' +
          '<button type="submit">Sign in</button></form>',
      ),
    );
    return;
  }
  if (req.method === 'POST' && url.pathname === '/login') {
    const form = await readForm(req);
    // Found by its uid: the interaction cookie's path is /interaction/<uid>, not this one.
    const found = await provider.Interaction.find(form.get('uid') ?? '');
    const accountId = form.get('username');
    if (!found || !accountId) {
      res.statusCode = 400;
      res.end('unknown interaction or no username');
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: found.params.client_id });
    grant.addOIDCScope(String(found.params.scope ?? 'openid'));
    found.result = { login: { accountId }, consent: { grantId: await grant.save() } };
    await found.save(found.exp - Math.floor(Date.now() / 1000));
    res.statusCode = 303;
    res.setHeader('location', found.returnTo);
    res.end();
    return;
  }
  return false;
}

const callback = provider.callback();
server.on('request', (req, res) => {
  interaction(req, res).then(
    (handled) => {
      if (handled === false) callback(req, res);
    },
    (err) => {
      res.statusCode = 500;
      res.end(String(err?.stack ?? err));
    },
  );
});

console.log(`ready ${issuer}`);
