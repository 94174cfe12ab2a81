/** Which responses announce the end of the session, and that the app still reads them. */
import { SESSION_ENDED_HEADER } from '../shared/protocol';
import { endReasonOf, wrapFetch } from './watch-fetch';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

test.each([
  [
    'a Session-Ended header on any status',
    new Response('<p>login</p>', { status: 200, headers: { [SESSION_ENDED_HEADER]: 'revoked' } }),
    'revoked',
  ],
  [
    "a Session-Ended header on the app's own 401",
    new Response('no', { status: 401, headers: { [SESSION_ENDED_HEADER]: 'logged-out' } }),
    'logged-out',
  ],
  ['a 401 session_expired body', json(401, { error: 'session_expired' }), 'expired'],
  ['a 401 session_revoked body', json(401, { error: 'session_revoked' }), 'revoked'],
  ['a 401 unauthenticated body (maybe not logged in yet)', json(401, { error: 'unauthenticated' }), null],
  ['an unknown header value', new Response('', { status: 200, headers: { [SESSION_ENDED_HEADER]: 'bored' } }), null],
  ['a plain 200', json(200, { ok: true }), null],
  ['a 401 HTML page', new Response('<html>', { status: 401, headers: { 'content-type': 'text/html' } }), null],
])('%s', async (_name, response, reason) => {
  expect(await endReasonOf(response)).toBe(reason);
});

test('the watched fetch reports the end and hands the app an unread body', async () => {
  const ended: string[] = [];
  const watched = wrapFetch(
    async () => json(401, { error: 'session_revoked' }, { [SESSION_ENDED_HEADER]: 'revoked' }),
    (r) => ended.push(r),
  );
  const res = await watched('/api/orders');
  expect(await res.json()).toEqual({ error: 'session_revoked' });
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(ended).toEqual(['revoked']);
});

test('an odd response object (a mock, a polyfill) is ignored, never thrown', async () => {
  const watched = wrapFetch(
    async () => ({ status: 200 }) as Response,
    () => undefined,
  );
  await expect(watched('/x')).resolves.toEqual({ status: 200 });
  await new Promise((resolve) => setTimeout(resolve, 0));
});
