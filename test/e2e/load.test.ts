/**
 * Mixed traffic from many sessions at once (pages, pings with random idleFor, lists, revokes of
 * their own other sessions), on SQLite and Postgres: no 5xx, nothing lost or resurrected, and
 * lastActivity never moves backwards. The 30-second, 500-session version runs in `npm run bench`.
 */
import { DATABASE_KINDS } from '../support/databases';
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient } from '../support/http-client';
import type { SessionListResponse } from '../../shared/protocol';

const SESSIONS = 100;
const DURATION_MS = 5000;

interface VirtualUser {
  client: TestClient;
  id: string;
  /** Time the DELETE that revoked this session returned; no 2xx may be sent after it. */
  revokedAt?: number;
}

describe.each(DATABASE_KINDS)('load on %s', (kind) => {
  let server: RunningExample;

  beforeAll(async () => {
    server = await startExample(kind);
  });
  afterAll(async () => {
    await server.stop();
  });

  test(`${SESSIONS} sessions, mixed traffic for ${DURATION_MS / 1000} s`, async () => {
    const users: VirtualUser[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const client = new TestClient(server.url);
      let id = '';
      server.sw.once('sessionCreated', ({ session }) => (id = session.id));
      expect((await client.login(i % 2 ? 'johndoe' : 'janedoe')).status).toBe(200);
      users.push({ client, id });
    }
    const byId = new Map(users.map((u) => [u.id, u]));
    const statuses = new Map<number, number>();
    const resurrections: string[] = [];
    const regressions: string[] = [];
    const lastSeen = new Map<string, number>();
    const deadline = Date.now() + DURATION_MS;

    async function act(user: VirtualUser): Promise<void> {
      const sentAt = Date.now();
      const roll = Math.random();
      let res;
      if (roll < 0.4) res = await user.client.get('/me');
      else if (roll < 0.7) res = await user.client.post('/session/ping', { json: { idleFor: Math.random() * 30 } });
      else if (roll < 0.95) res = await user.client.get('/session/sessions');
      else {
        const list = await user.client.get<SessionListResponse>('/session/sessions');
        statuses.set(list.status, (statuses.get(list.status) ?? 0) + 1);
        const others = list.status === 200 ? list.body.sessions.filter((s) => !s.current) : [];
        if (!others.length) return;
        const target = others[Math.floor(Math.random() * others.length)].id;
        res = await user.client.delete(`/session/sessions/${target}`);
        if (res.status === 204 && byId.has(target)) byId.get(target)!.revokedAt ??= Date.now();
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (user.revokedAt !== undefined && sentAt > user.revokedAt && res.status < 300) {
        resurrections.push(`${user.id} got ${res.status} after its revocation`);
      }
    }

    async function sampleActivity(): Promise<void> {
      while (Date.now() < deadline) {
        for (const user of users.slice(0, 20)) {
          const record = await server.sw.store.findById(user.id);
          if (!record) continue;
          const previous = lastSeen.get(user.id) ?? 0;
          if (record.lastActivity < previous) regressions.push(`${user.id}: ${previous} → ${record.lastActivity}`);
          lastSeen.set(user.id, record.lastActivity);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    await Promise.all([
      sampleActivity(),
      ...users.map(async (user) => {
        while (Date.now() < deadline) await act(user);
      }),
    ]);

    const serverErrors = [...statuses].filter(([status]) => status >= 500);
    expect(serverErrors).toEqual([]);
    expect(resurrections).toEqual([]);
    expect(regressions).toEqual([]);
    expect(statuses.get(200)).toBeGreaterThan(SESSIONS);
    expect(statuses.get(204)).toBeGreaterThan(0); // some revocations happened
    // Every revoked session is refused afterwards, and the list never shows it.
    for (const user of users.filter((u) => u.revokedAt !== undefined)) {
      expect((await user.client.get('/me')).status).toBe(401);
      expect((await server.sw.store.findById(user.id))?.endedAt).not.toBeNull();
    }
  }, 60000);
});
