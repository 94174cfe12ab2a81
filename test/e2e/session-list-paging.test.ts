/**
 * Paging of the session list: `GET {apiPrefix}/sessions?limit=&cursor=` and `listSessionsPage()`, on
 * SQLite and Postgres through the example app (real HTTP).
 */
import { SESSION_LIST_LIMIT, type SessionListResponse } from '../../shared/protocol';
import { DATABASE_KINDS } from '../support/databases';
import { startExample, type RunningExample } from '../support/example-server';
import { TestClient } from '../support/http-client';
import { stringMatching } from '../support/matchers';

/** Query strings that `GET {apiPrefix}/sessions` must refuse with 400. */
const BAD_QUERIES = [
  '?limit=0',
  '?limit=201',
  '?limit=-1',
  '?limit=1.5',
  '?limit=abc',
  '?limit=',
  '?limit=1e2',
  '?limit=1&limit=2',
  '?cursor=',
  '?cursor=not-a-cursor',
  `?cursor=${Buffer.from('1.5.short').toString('base64url')}`,
  `?cursor=${Buffer.from(`2.5.${'A'.repeat(22)}`).toString('base64url')}`,
  `?cursor=${'A'.repeat(500)}`,
  '?cursor=a&cursor=b',
  '?cursor=%00%ff',
];

describe.each(DATABASE_KINDS)('session list paging on %s', (kind) => {
  let server: RunningExample;
  let clients: TestClient[];
  let userId: string;

  beforeAll(async () => {
    server = await startExample(kind);
    clients = [];
    for (let i = 0; i < 7; i++) {
      const c = new TestClient(server.url);
      expect((await c.login('janedoe')).status).toBe(200);
      clients.push(c);
      // Distinct activity times, so the order is the newest login first.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [{ id }] = (await clients[0].get<SessionListResponse>('/session/sessions')).body.sessions;
    userId = (await server.sw.store.findById(id))!.userId;
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Follows `nextCursor` from the first page; returns every page's ids. */
  async function pages(c: TestClient, limit: number): Promise<string[][]> {
    const result: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const res = await c.get<SessionListResponse>(`/session/sessions${query}`);
      expect(res.status).toBe(200);
      result.push(res.body.sessions.map((s) => s.id));
      cursor = res.body.nextCursor;
      expect(cursor === null || typeof cursor === 'string').toBe(true);
    } while (cursor !== null);
    return result;
  }

  test('without parameters one page holds every session (the default limit), nextCursor null', async () => {
    const res = await clients[0].get<SessionListResponse>('/session/sessions');
    expect(res.body.sessions).toHaveLength(7);
    expect(res.body.nextCursor).toBeNull();
    expect(SESSION_LIST_LIMIT.default).toBe(100);
  });

  test.each([1, 2, 3, 7])('pages of %i: the current session first, then newest activity first, each once', async (limit) => {
    const c = clients[3];
    const all = (await c.get<SessionListResponse>('/session/sessions')).body.sessions.map((s) => s.id);
    const got = await pages(c, limit);
    expect(got.every((page) => page.length <= limit)).toBe(true);
    expect(got.flat()).toEqual(all);
    expect(got.length).toBe(Math.ceil(7 / limit));
    const first = (await c.get<SessionListResponse>(`/session/sessions?limit=${limit}`)).body.sessions[0];
    expect(first.current).toBe(true);
    // Newest activity first after the current one.
    const list = (await c.get<SessionListResponse>('/session/sessions')).body.sessions;
    const times = list.slice(1).map((s) => Date.parse(s.lastActivity));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test.each(BAD_QUERIES)('a bad page request %s is a 400 JSON, never a 5xx', async (query) => {
    const res = await clients[0].get(`/session/sessions${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'bad_request', message: stringMatching(/limit|cursor/) });
  });

  test('listSessionsPage() pages the server-side list the same way; a bad cursor is a RangeError', async () => {
    const all = (await server.sw.listSessions(userId)).map((s) => s.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await server.sw.listSessionsPage(userId, { limit: 3, cursor });
      seen.push(...page.sessions.map((s) => s.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all);
    await expect(server.sw.listSessionsPage(userId, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(server.sw.listSessionsPage(userId, { cursor: 'nope' })).rejects.toThrow(/cursor/);
  });
});
