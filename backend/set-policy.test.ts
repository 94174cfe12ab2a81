/**
 * `sw.setPolicy`: a live session's limits changed after login, on a manual clock: what requests,
 * pings and the expiry apply at once, what it refuses, what it never does (revive a session).
 */
import { startMiniApp, type MiniApp } from '../test/support/mini-app';
import { TestClient } from '../test/support/http-client';
import type { PingResponse, SessionListResponse } from '../shared/protocol';
import type { SessionEndedEvent } from './sessionwatch';

let app: MiniApp;
let ended: SessionEndedEvent[];

async function login(user = 'alice'): Promise<TestClient> {
  const c = new TestClient(app.url);
  expect((await c.post(`/login?user=${user}`)).status).toBe(200);
  return c;
}
const ping = async (c: TestClient) => c.post<PingResponse>('/session/ping', { json: { idleFor: 0 } });
const idOf = async (c: TestClient) => (await c.get<SessionListResponse>('/session/sessions')).body.sessions.find((s) => s.current)!.id;

beforeEach(async () => {
  app = await startMiniApp({ warnAfter: 60, expireAfter: 100, touchInterval: 5, maxAge: 1000 });
  ended = [];
  app.sw.on('sessionEnded', (e) => ended.push(e));
});
afterEach(async () => {
  await app.stop();
});

test("every live session of the user gets the new limits at once, nobody else's; null puts them back on the global options", async () => {
  const [a1, a2, bob] = [await login('alice'), await login('alice'), await login('bob')];
  expect(await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30, maxAge: null })).toBe(2);
  for (const c of [a1, a2]) expect((await ping(c)).body).toMatchObject({ warnAfter: 20, expireAfter: 30, maxAgeLeft: null });
  expect((await ping(bob)).body).toMatchObject({ warnAfter: 60, expireAfter: 100 });
  // The new idle limit is the server's own: 30 s + the throttle after the last activity, the session is over.
  app.clock.advance(20);
  expect((await ping(a2)).status).toBe(200);
  app.clock.advance(15);
  expect((await a1.get('/poll')).status).toBe(401);
  expect(ended.map((e) => [e.session.userId, e.reason])).toEqual([['alice', 'expired']]);
  expect(await app.sw.setPolicy('alice', null)).toBe(1);
  expect((await ping(a2)).body).toMatchObject({ warnAfter: 60, expireAfter: 100, maxAgeLeft: 965 });
  app.clock.advance(35);
  expect((await a2.get('/poll')).status).toBe(200);
});

test('a field left out takes the global option, not the session own value (as at login)', async () => {
  const c = await login();
  await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30 });
  await app.sw.setPolicy('alice', { expireAfter: 90 });
  expect((await ping(c)).body).toMatchObject({ warnAfter: 60, expireAfter: 90, maxAgeLeft: 1000 });
});

test("sessionId changes that session only; an unknown, ended or another user's id changes none", async () => {
  const [a1, a2, bob] = [await login('alice'), await login('alice'), await login('bob')];
  const [id1, bobId] = [await idOf(a1), await idOf(bob)];
  expect(await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30 }, { sessionId: id1 })).toBe(1);
  expect([(await ping(a1)).body.expireAfter, (await ping(a2)).body.expireAfter]).toEqual([30, 100]);
  expect(await app.sw.setPolicy('alice', { expireAfter: 200, warnAfter: 100 }, { sessionId: bobId })).toBe(0);
  expect(await app.sw.setPolicy('alice', { expireAfter: 200, warnAfter: 100 }, { sessionId: 'A'.repeat(22) })).toBe(0);
  expect((await ping(bob)).body.expireAfter).toBe(100);
  await app.sw.revokeSession('alice', id1);
  expect(await app.sw.setPolicy('alice', { expireAfter: 200, warnAfter: 100 }, { sessionId: id1 })).toBe(0);
});

test('a shorter limit already past ends the session now, as expired, and counts it', async () => {
  const c = await login();
  app.clock.advance(50);
  expect(await app.sw.setPolicy('alice', { warnAfter: 20, expireAfter: 30 })).toBe(1);
  expect(ended.map((e) => e.reason)).toEqual(['expired']);
  expect((await ping(c)).body).toMatchObject({ error: 'session_expired' });
  expect((await app.sw.history('alice')).events.map((e) => e.type)).toEqual(['expired', 'login']);
});

test('a longer limit never revives a session already past its deadline: it ends as expired, and is not counted', async () => {
  const c = await login();
  app.clock.advance(106); // past expireAfter + touchInterval, not swept yet
  expect(await app.sw.setPolicy('alice', { warnAfter: 3000, expireAfter: 3600 })).toBe(0);
  expect(ended.map((e) => e.reason)).toEqual(['expired']);
  expect((await c.get('/poll')).status).toBe(401);
});

test("a bad policy is refused as a login's is, naming sw.setPolicy, and changes nothing; bad options too", async () => {
  const c = await login();
  await expect(app.sw.setPolicy('alice', { warnAfter: 200 })).rejects.toThrow(
    new RangeError('sessionwatch: policy "warnAfter" (200) must be less than "expireAfter" (100), from sw.setPolicy(…)'),
  );
  await expect(app.sw.setPolicy('alice', { expireAfer: 90 } as never)).rejects.toThrow(
    /unknown policy field "expireAfer" \(did you mean "expireAfter"\?\), from sw\.setPolicy/,
  );
  await expect(app.sw.setPolicy('alice', { maxAge: -1 })).rejects.toThrow(RangeError);
  await expect(app.sw.setPolicy('alice', '900' as never)).rejects.toThrow(TypeError);
  await expect(app.sw.setPolicy('', {})).rejects.toThrow(/userId/);
  await expect(app.sw.setPolicy('alice', {}, null as never)).rejects.toThrow(/setPolicy options must be an object/);
  await expect(app.sw.setPolicy('alice', {}, { session: 'x' } as never)).rejects.toThrow(/unknown option "session"/);
  await expect(app.sw.setPolicy('alice', {}, { sessionId: 5 } as never)).rejects.toThrow(/sessionId must be a string/);
  expect((await ping(c)).body).toMatchObject({ warnAfter: 60, expireAfter: 100, maxAgeLeft: 1000 });
});
