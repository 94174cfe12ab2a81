import { endReasonOfError, type PingRequest } from '../shared/protocol';
import { createFetchTransport, parsePingResponse } from './transport';

type FetchArgs = [RequestInfo | URL, RequestInit | undefined];

function transportAnswering(respond: (...args: FetchArgs) => Promise<Response>, timeoutMs = 1000) {
  const calls: FetchArgs[] = [];
  const fetch = jest.fn(async (...args: FetchArgs) => {
    calls.push(args);
    return respond(...args);
  }) as unknown as typeof globalThis.fetch;
  return { transport: createFetchTransport({ apiPrefix: '/api/session/', timeoutMs, fetch }), calls };
}

const json = (status: number, body: unknown) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

test('ping posts the idle time as JSON to {apiPrefix}/ping and reads the answer', async () => {
  const { transport, calls } = transportAnswering(async () => json(200, { idleFor: 12.5, warnAfter: 30, expireAfter: 60 }));
  // A server older than `maxAgeLeft` and the session's identity: no absolute end, no session known.
  expect(await transport.ping(12.3456789)).toEqual({
    kind: 'ok',
    idleFor: 12.5,
    warnAfter: 30,
    expireAfter: 60,
    maxAgeLeft: null,
    session: null,
  });
  const [url, init] = calls[0];
  expect(url).toBe('/api/session/ping');
  expect(init).toMatchObject({ method: 'POST', credentials: 'same-origin', cache: 'no-store' });
  expect(JSON.parse(init!.body as string)).toEqual({ idleFor: 12.346 });
  expect((init!.headers as Record<string, string>)['content-type']).toBe('application/json');
});

test('idleFor is clamped into the range the server accepts', async () => {
  const { transport, calls } = transportAnswering(async () => json(200, { idleFor: 0, warnAfter: 1, expireAfter: 2 }));
  await transport.ping(-3);
  await transport.ping(1e12);
  expect(calls.map(([, init]) => (JSON.parse(init!.body as string) as PingRequest).idleFor)).toEqual([0, 365 * 24 * 3600]);
});

test.each([
  ['session_revoked', 'revoked'],
  ['session_expired', 'expired'],
  ['unauthenticated', 'logged-out'],
])('a 401 %s ends the session (%s)', async (code, reason) => {
  const { transport } = transportAnswering(async () => json(401, { error: code }));
  expect(await transport.ping(1)).toEqual({ kind: 'ended', reason });
});

test.each([
  ['500 JSON', async () => json(500, { error: 'internal' })],
  ['503 unavailable', async () => json(503, { error: 'unavailable' })],
  ['HTML 200', async () => new Response('<!doctype html><p>Login', { status: 200, headers: { 'content-type': 'text/html' } })],
  ['garbage 200', async () => json(200, 'garbage{')],
  ['wrong fields', async () => json(200, { idleFor: '3', warnAfter: 30, expireAfter: 60 })],
  ['inconsistent settings', async () => json(200, { idleFor: 3, warnAfter: 60, expireAfter: 30 })],
  ['JSON null', async () => json(200, 'null')],
  ['401 from a proxy', async () => new Response('<html>auth</html>', { status: 401 })],
  ['401 unknown code', async () => json(401, { error: 'nope' })],
  ['network error', async () => Promise.reject(new TypeError('Failed to fetch'))],
  ['body that fails to read', async () => ({ status: 200, text: () => Promise.reject(new Error('reset')) }) as unknown as Response],
])('%s is a failure, never a throw nor an end', async (_, respond) => {
  const { transport } = transportAnswering(respond);
  expect(await transport.ping(1)).toMatchObject({ kind: 'failed' });
});

test('a server that never answers fails after the timeout', async () => {
  jest.useFakeTimers();
  try {
    const { transport } = transportAnswering(
      (_, init) =>
        new Promise((_resolve, reject) => {
          init!.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
      2000,
    );
    const result = transport.ping(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(await result).toEqual({ kind: 'failed', error: 'timeout' });
  } finally {
    jest.useRealTimers();
  }
});

test('logout posts to {apiPrefix}/logout; 204 and 401 are both done, anything else fails', async () => {
  const statuses = [204, 401, 500];
  const { transport, calls } = transportAnswering(async () => new Response(null, { status: statuses.shift()! }));
  expect(await transport.logout()).toEqual({ kind: 'ok' });
  expect(await transport.logout()).toEqual({ kind: 'ok' });
  expect(await transport.logout()).toMatchObject({ kind: 'failed', status: 500 });
  expect(calls[0][0]).toBe('/api/session/logout');
  const offline = transportAnswering(async () => Promise.reject(new TypeError('offline'))).transport;
  expect(await offline.logout()).toMatchObject({ kind: 'failed' });
});

test('a logout of a session that had ended already says why: the Session-Ended header, or the 401 body', async () => {
  const answers = [
    new Response(null, { status: 204, headers: { 'Session-Ended': 'revoked' } }),
    json(401, { error: 'session_expired', endedFor: 3 }),
    new Response(JSON.stringify({ error: 'session_revoked' }), { status: 401, headers: { 'Session-Ended': 'lost' } }),
    // What every logout of a live session says: no news.
    new Response(null, { status: 204, headers: { 'Session-Ended': 'logged-out' } }),
    new Response(null, { status: 204, headers: { 'Session-Ended': 'bored' } }),
    json(401, { error: 'unauthenticated' }),
  ];
  const { transport } = transportAnswering(async () => answers.shift()!);
  const results = [];
  for (let i = 0; i < 6; i++) results.push(await transport.logout());
  expect(results).toEqual([
    { kind: 'ok', ended: 'revoked' },
    { kind: 'ok', ended: 'expired' },
    { kind: 'ok', ended: 'lost' },
    { kind: 'ok' },
    { kind: 'ok' },
    { kind: 'ok' },
  ]);
});

test('error codes map to end reasons through the shared protocol', () => {
  expect(endReasonOfError('session_revoked')).toBe('revoked');
  expect(endReasonOfError('not_found')).toBeNull();
  expect(parsePingResponse('{"idleFor":0,"warnAfter":1,"expireAfter":2}')).toMatchObject({ kind: 'ok' });
});

test("the session's identity is read: its id, creation time and the opaque user tag (null when the server has none)", async () => {
  const answer = (extra: Record<string, unknown>) =>
    transportAnswering(async () => json(200, { idleFor: 1, warnAfter: 30, expireAfter: 60, maxAgeLeft: null, ...extra })).transport.ping(1);
  const createdAt = '2030-01-01T12:00:00.000Z';
  expect(await answer({ session: 'abc', createdAt, user: 'tag' })).toMatchObject({
    session: { id: 'abc', createdAt: Date.parse(createdAt), user: 'tag' },
  });
  expect(await answer({ session: 'abc', createdAt, user: null })).toMatchObject({ session: { id: 'abc', user: null } });
  // Half an identity is none: never a session that cannot be compared.
  expect(await answer({ session: 'abc', createdAt: 'yesterday', user: 'tag' })).toMatchObject({ kind: 'ok', session: null });
  expect(await answer({ session: 42, createdAt, user: 'tag' })).toMatchObject({ kind: 'ok', session: null });
});

test('the absolute end (maxAgeLeft) is read, and a malformed one is a failure, never an end', async () => {
  const answer = (maxAgeLeft: unknown) =>
    transportAnswering(async () => json(200, { idleFor: 1, warnAfter: 30, expireAfter: 60, maxAgeLeft })).transport.ping(1);
  expect(await answer(42.5)).toEqual({ kind: 'ok', idleFor: 1, warnAfter: 30, expireAfter: 60, maxAgeLeft: 42.5, session: null });
  expect(await answer(null)).toMatchObject({ kind: 'ok', maxAgeLeft: null });
  for (const bad of [-1, 'soon', {}]) expect(await answer(bad)).toMatchObject({ kind: 'failed' });
});
