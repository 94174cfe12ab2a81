/** Which responses announce the end of the session, and that the app still reads them. */
import { SESSION_ENDED_HEADER } from '../shared/protocol';
import { endOf, wrapFetch } from './watch-fetch';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

test.each([
  [
    'a Session-Ended header on any status',
    new Response('<p>login</p>', { status: 200, headers: { [SESSION_ENDED_HEADER]: 'revoked' } }),
    { reason: 'revoked', confirmed: true },
  ],
  [
    "a Session-Ended header on the app's own 401",
    new Response('no', { status: 401, headers: { [SESSION_ENDED_HEADER]: 'logged-out' } }),
    { reason: 'logged-out', confirmed: true },
  ],
  [
    'a Session-Ended header with a 401 body',
    json(401, { error: 'session_expired' }, { [SESSION_ENDED_HEADER]: 'expired' }),
    { reason: 'expired', confirmed: true },
  ],
  // A body alone may be another API's error that the app relays: to be checked with the server.
  ['a 401 session_expired body without the header', json(401, { error: 'session_expired' }), { reason: 'expired', confirmed: false }],
  ['a 401 session_revoked body without the header', json(401, { error: 'session_revoked' }), { reason: 'revoked', confirmed: false }],
  ['a 401 unauthenticated body (maybe not logged in yet)', json(401, { error: 'unauthenticated' }), null],
  ['an unknown header value', new Response('', { status: 200, headers: { [SESSION_ENDED_HEADER]: 'bored' } }), null],
  ['a plain 200', json(200, { ok: true }), null],
  ['a 401 HTML page', new Response('<html>', { status: 401, headers: { 'content-type': 'text/html' } }), null],
])('%s', async (_name, response, end) => {
  expect(await endOf(response)).toEqual(end);
});

test('the watched fetch reports the end and hands the app an unread body', async () => {
  const ended: unknown[] = [];
  const watched = wrapFetch(
    async () => json(401, { error: 'session_revoked' }, { [SESSION_ENDED_HEADER]: 'revoked' }),
    (end) => ended.push(end),
  );
  const res = await watched('/api/orders');
  expect(await res.json()).toEqual({ error: 'session_revoked' });
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(ended).toEqual([{ reason: 'revoked', confirmed: true }]);
});

test('an odd response object (a mock, a polyfill) is ignored, never thrown', async () => {
  const watched = wrapFetch(
    async () => ({ status: 200 }) as Response,
    () => undefined,
  );
  await expect(watched('/x')).resolves.toEqual({ status: 200 });
  await new Promise((resolve) => setTimeout(resolve, 0));
});
