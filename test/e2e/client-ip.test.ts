/**
 * The IP a session records: only a valid IPv4 or IPv6 address, never what a client wrote into
 * `X-Forwarded-For`; behind one trusted proxy (the example: `app.proxy`, `app.maxIpsCount = 1`)
 * the address that proxy appended. On SQLite and Postgres through the example app. (Which
 * strings `recordedIp` keeps: backend/tracking/records.test.ts.)
 */
import { DATABASE_KINDS } from '../support/databases';
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient } from '../support/http-client';
import type { SessionListResponse } from '../../shared/protocol';
import { UNKNOWN_IP } from '../../backend/tracking/records';

describe.each(DATABASE_KINDS)('recorded IP behind a trusted proxy on %s', (kind) => {
  let server: RunningExample;

  beforeAll(async () => {
    server = await startExample(kind, { proxy: true });
  });
  afterAll(async () => {
    await server.stop();
  });

  async function ipAfterLogin(forwardedFor: string): Promise<string> {
    const c = new TestClient(server.url);
    const headers = { 'x-forwarded-for': forwardedFor };
    expect((await c.post('/login', { json: { username: 'johndoe', password: 'johndoe' }, headers })).status).toBe(200);
    const res = await c.get<SessionListResponse>('/session/sessions', { headers });
    const [current] = res.body.sessions;
    expect(current.current).toBe(true);
    // What the database holds is what the list shows.
    expect((await server.sw.store.findById(current.id))!.ip).toBe(current.ip);
    return current.ip;
  }

  test.each([
    ['markup', '<script>alert(1)</script>'],
    ['a 300-digit number', '1'.repeat(300)],
    ['a hostname', 'evil.example'],
  ])('%s in X-Forwarded-For is never stored: the IP is recorded as unknown', async (_name, value) => {
    expect(await ipAfterLogin(value)).toBe(UNKNOWN_IP);
  });

  test('the proxy-appended (rightmost) address is recorded, not the leftmost a client chose', async () => {
    expect(await ipAfterLogin('198.51.100.66, 203.0.113.7')).toBe('203.0.113.7');
    expect(await ipAfterLogin('<b>x</b>, 2001:db8::7')).toBe('2001:db8::7');
  });
});
