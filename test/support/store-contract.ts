/**
 * One contract, three stores: the in-memory reference and the Knex store on real SQLite and real
 * Postgres must behave the same. Registered per kind by backend/store/store.test.ts (memory,
 * SQLite: no service) and test/e2e/store-postgres.test.ts (Postgres).
 */
import { randomBytes } from 'node:crypto';
import { connect, KnexStore, MemoryStore, type SecurityEventRecord, type Store } from '../../backend';
import { sqliteTouchBatchSql } from '../../backend/store/knex-store';
import { createTestDatabase, type TestDatabase } from './databases';
import { testRecord as record } from './records';

export type StoreKind = 'memory' | 'sqlite' | 'postgres';

/** Registers the contract's hooks and tests for one kind of store (call it inside a describe). */
export function storeContract(kind: StoreKind): void {
  let store: Store;
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    if (kind === 'memory') store = new MemoryStore();
    else {
      db = await createTestDatabase(kind);
      store = new KnexStore(connect(db.url, { schema: db.schema }), { schema: db.schema });
    }
    await store.migrate();
    await store.migrate(); // idempotent
  });
  afterAll(async () => {
    await store.close();
    await db?.drop();
  });

  test('inserts and finds a record by token hash, public id and store key, with all its fields', async () => {
    const r = record({ storeKey: 'key-1', lastActivity: 2_000_000_000_000, createdAt: 1_999_999_999_999 });
    await store.insert(r);
    expect(await store.findByTokenHash(r.tokenHash)).toEqual(r);
    expect(await store.findById(r.id)).toEqual(r);
    expect(await store.findByStoreKey('key-1')).toEqual(r);
    expect(await store.findById('missing')).toBeUndefined();
  });

  test('lists the active records of one user, newest activity first', async () => {
    const user = `list-${kind}`;
    const a = record({ userId: user, lastActivity: 10 });
    const b = record({ userId: user, lastActivity: 30 });
    const c = record({ userId: user, lastActivity: 20 });
    const ended = record({ userId: user, lastActivity: 40, endedAt: 41, endReason: 'revoked' });
    for (const r of [a, b, c, ended, record({ userId: 'someone-else' })]) await store.insert(r);
    expect((await store.listActive(user)).map((r) => r.id)).toEqual([b.id, c.id, a.id]);
  });

  test('pages the active records of all users (or one), newest activity first, ties by id, after a position', async () => {
    const user = `page-${kind}`;
    // Far in the future: these come first in a table other tests filled.
    const base = 3_000_000_000_000;
    const records = [5, 4, 4, 4, 3, 1].map((dt, i) => record({ userId: i % 2 ? user : `${user}-other`, lastActivity: base + dt }));
    const ended = record({ userId: user, lastActivity: base + 9, endedAt: base + 10, endReason: 'expired' });
    for (const r of [...records, ended]) await store.insert(r);
    const order = [...records].sort((a, b) => b.lastActivity - a.lastActivity || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    const seen: string[] = [];
    let after: { lastActivity: number; id: string } | undefined;
    for (let i = 0; i < 3; i++) {
      const page = await store.listActivePage({ limit: 2, after });
      seen.push(...page.map((r) => r.id));
      after = { lastActivity: page[1].lastActivity, id: page[1].id };
    }
    expect(seen).toEqual(order);
    const mine = await store.listActivePage({ userId: user, limit: 10, after: { lastActivity: base + 100, id: 'z' } });
    expect(mine.map((r) => r.id)).toEqual(order.filter((id) => records.find((r) => r.id === id)!.userId === user));
    expect(mine[0]).toEqual(records.find((r) => r.id === mine[0].id));
  });

  test('touch moves lastActivity forward only, and not on ended records', async () => {
    const r = record({ lastActivity: 5_000 });
    await store.insert(r);
    expect(await store.touch(r.id, 4_000)).toBe(5_000);
    expect(await store.touch(r.id, 6_000)).toBe(6_000);
    await Promise.all([7_000, 9_000, 8_000].map((t) => store.touch(r.id, t)));
    expect((await store.findById(r.id))!.lastActivity).toBe(9_000);
    expect(Number.isInteger(await store.touch(r.id, 9_500.6))).toBe(true); // fractional input is rounded
    await store.end(r.id, 'revoked', 10_000);
    expect(await store.touch(r.id, 11_000)).toBeUndefined();
    expect(await store.touch('missing', 11_000)).toBeUndefined();
  });

  test('concurrent touches of many sessions (written in batches) each answer their own session', async () => {
    const records = Array.from({ length: 40 }, (_, i) => record({ lastActivity: 5_000 + i }));
    for (const r of records) await store.insert(r);
    await store.end(records[3].id, 'revoked', 6_000);
    const touches = records.flatMap((r, i) => [
      { id: r.id, at: i % 2 ? 8_000 + i : 1_000 }, // odd: forward; even: in the past, no change
      { id: r.id, at: i % 5 ? 0 : 9_000 + i }, // the same session twice: the later time wins
    ]);
    touches.push({ id: 'missing', at: 9_000 });
    const results = await Promise.all(touches.map((t) => store.touch(t.id, t.at)));
    const expected = (i: number) => (i === 3 ? undefined : Math.max(5_000 + i, i % 2 ? 8_000 + i : 0, i % 5 ? 0 : 9_000 + i));
    // Each caller sees its session at least as far as its own touch (a batch may have merged a later one).
    records.forEach((r, i) => {
      for (const k of [0, 1]) {
        const answer = results[i * 2 + k];
        if (i === 3) expect(answer).toBeUndefined();
        else expect(answer).toBeGreaterThanOrEqual(Math.max(5_000 + i, touches[i * 2 + k].at));
      }
    });
    expect(results[results.length - 1]).toBeUndefined();
    for (const [i, r] of records.entries()) expect((await store.findById(r.id))!.lastActivity).toBe(i === 3 ? 5_003 : expected(i));
  });

  test('end succeeds once: concurrent enders get one winner', async () => {
    const r = record();
    await store.insert(r);
    const results = await Promise.all([store.end(r.id, 'revoked', 1), store.end(r.id, 'expired', 2)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = (await store.findById(r.id))!;
    expect(stored.endedAt).not.toBeNull();
    expect(['revoked', 'expired']).toContain(stored.endReason);
  });

  test('endAllOfUser ends every active record of the user but the one kept', async () => {
    const user = `all-${kind}`;
    const keep = record({ userId: user });
    const others = [record({ userId: user }), record({ userId: user })];
    const stranger = record({ userId: `${user}-other` });
    for (const r of [keep, ...others, stranger]) await store.insert(r);
    const ended = await store.endAllOfUser(user, 'revoked', 123, keep.id);
    expect(ended.map((r) => r.id).sort()).toEqual(others.map((r) => r.id).sort());
    expect((await store.listActive(user)).map((r) => r.id)).toEqual([keep.id]);
    expect(await store.listActive(`${user}-other`)).toHaveLength(1);
    expect(await store.endAllOfUser(user, 'revoked', 124, keep.id)).toEqual([]);
  });

  test('a record keeps its OpenID Connect sign-in (issuer, subject, sid or none); others read back null', async () => {
    const withSid = record({ idp: { issuer: 'https://idp.example', subject: 'alice', sid: 'sid-1' } });
    const noSid = record({ idp: { issuer: 'https://idp.example', subject: 'bob', sid: null } });
    const plain = record();
    for (const r of [withSid, noSid, plain]) await store.insert(r);
    expect(await store.findById(withSid.id)).toEqual(withSid);
    expect(await store.findByTokenHash(noSid.tokenHash)).toEqual(noSid);
    expect((await store.findById(plain.id))!.idp).toBeNull();
  });

  test("endAllOfIdp with a sid ends that provider session's live records only", async () => {
    const issuer = `https://idp-${kind}.example`;
    const idp = (subject: string, sid: string | null, iss = issuer) => ({ idp: { issuer: iss, subject, sid } });
    const tabs = [record(idp('alice', 's1')), record({ ...idp('alice', 's1'), userId: 'u2' })];
    const untouched = [
      record(idp('alice', 's2')), // the same user, another provider session
      record(idp('bob', 's3')),
      record(idp('alice', 's1', `${issuer}/other`)), // the same sid at another provider
      record(idp('alice', null)),
      record(), // a login without a provider
    ];
    const ended = record({ ...idp('alice', 's1'), endedAt: 5, endReason: 'expired' });
    for (const r of [...tabs, ...untouched, ended]) await store.insert(r);
    const result = await store.endAllOfIdp(issuer, { sid: 's1' }, 'revoked', 123);
    expect(result.map((r) => r.id).sort()).toEqual(tabs.map((r) => r.id).sort());
    expect(result.every((r) => r.idp?.sid === 's1' && r.idp.subject === 'alice')).toBe(true);
    for (const r of tabs) expect(await store.findById(r.id)).toMatchObject({ endedAt: 123, endReason: 'revoked' });
    for (const r of untouched) expect((await store.findById(r.id))!.endedAt).toBeNull();
    expect((await store.findById(ended.id))!.endReason).toBe('expired');
    expect(await store.endAllOfIdp(issuer, { sid: 's1' }, 'revoked', 124)).toEqual([]);
  });

  test("endAllOfIdp with a subject only ends all of that provider user's; with both, records must match both", async () => {
    const issuer = `https://idp-sub-${kind}.example`;
    const idp = (subject: string, sid: string | null, iss = issuer) => ({ idp: { issuer: iss, subject, sid } });
    const carol = [record(idp('carol', 'a')), record(idp('carol', 'b')), record(idp('carol', null))];
    const others = [record(idp('dave', 'a')), record(idp('carol', 'a', `${issuer}/other`))];
    for (const r of [...carol, ...others]) await store.insert(r);
    // A sid of another subject: nothing.
    expect(await store.endAllOfIdp(issuer, { sid: 'a', subject: 'nobody' }, 'revoked', 10)).toEqual([]);
    expect((await store.endAllOfIdp(issuer, { sid: 'a', subject: 'carol' }, 'revoked', 10)).map((r) => r.id)).toEqual([carol[0].id]);
    const result = await store.endAllOfIdp(issuer, { subject: 'carol' }, 'revoked', 11);
    expect(result.map((r) => r.id).sort()).toEqual([carol[1].id, carol[2].id].sort());
    for (const r of others) expect((await store.findById(r.id))!.endedAt).toBeNull();
  });

  test('endAllOfIdp with createdBefore leaves the sign-ins made since alone (a logout token never ends later sessions)', async () => {
    const issuer = `https://idp-before-${kind}.example`;
    const at = (createdAt: number) => record({ createdAt, lastActivity: createdAt, idp: { issuer, subject: 'frank', sid: null } });
    const [old, edge, later] = [at(1_000), at(2_000), at(3_000)];
    for (const r of [old, edge, later]) await store.insert(r);
    expect((await store.endAllOfIdp(issuer, { subject: 'frank', createdBefore: 2_000 }, 'revoked', 5)).map((r) => r.id)).toEqual([old.id]);
    expect((await store.endAllOfIdp(issuer, { subject: 'frank', createdBefore: 2_001 }, 'revoked', 6)).map((r) => r.id)).toEqual([edge.id]);
    expect((await store.findById(later.id))!.endedAt).toBeNull();
    await expect(store.endAllOfIdp(issuer, { subject: 'frank', createdBefore: NaN }, 'revoked', 7)).rejects.toThrow(TypeError);
  });

  test('endAllOfIdp refuses a match that names nothing (it never ends every session of a provider)', async () => {
    const r = record({ idp: { issuer: 'https://idp-empty.example', subject: 'erin', sid: 'x' } });
    await store.insert(r);
    await expect(store.endAllOfIdp('https://idp-empty.example', {}, 'revoked', 1)).rejects.toThrow(TypeError);
    await expect(store.endAllOfIdp('https://idp-empty.example', { sid: '' }, 'revoked', 1)).rejects.toThrow(TypeError);
    await expect(store.endAllOfIdp('', { sid: 'x' }, 'revoked', 1)).rejects.toThrow(TypeError);
    expect((await store.findById(r.id))!.endedAt).toBeNull();
  });

  test("setStoreKey follows a live record's external store key, and refuses ended and missing records", async () => {
    const r = record({ storeKey: `old-key-${kind}` });
    await store.insert(r);
    expect(await store.setStoreKey(r.id, `new-key-${kind}`)).toBe(true);
    expect((await store.findByStoreKey(`new-key-${kind}`))?.id).toBe(r.id);
    expect(await store.findByStoreKey(`old-key-${kind}`)).toBeUndefined();
    expect(await store.setStoreKey(r.id, null)).toBe(true);
    expect((await store.findById(r.id))!.storeKey).toBeNull();
    await store.end(r.id, 'revoked', 5);
    expect(await store.setStoreKey(r.id, `late-key-${kind}`)).toBe(false);
    expect((await store.findById(r.id))!.storeKey).toBeNull();
    expect(await store.setStoreKey('missing', 'k')).toBe(false);
  });

  test('delete removes a record and returns it', async () => {
    const r = record();
    await store.insert(r);
    expect((await store.delete(r.id))?.id).toBe(r.id);
    expect(await store.findById(r.id)).toBeUndefined();
    expect(await store.delete(r.id)).toBeUndefined();
  });

  test('sweep expires idle and too-old records once, and deletes ended ones past retention', async () => {
    const user = `sweep-${kind}`;
    const idle = record({ userId: user, lastActivity: 100, createdAt: 100 });
    const old = record({ userId: user, lastActivity: 10_000, createdAt: 50 });
    const fresh = record({ userId: user, lastActivity: 10_000, createdAt: 9_000 });
    const longEnded = record({ userId: user, endedAt: 10, endReason: 'revoked' });
    for (const r of [idle, old, fresh, longEnded]) await store.insert(r);
    const result = await store.sweep({
      idleBefore: 1_000,
      createdBefore: 60,
      deadlineBefore: 10_501,
      endedBefore: 20,
      eventsBefore: 0,
      now: 10_500,
    });
    expect(
      result.expired
        .map((r) => r.id)
        .filter((id) => [idle.id, old.id].includes(id))
        .sort(),
    ).toEqual([idle.id, old.id].sort());
    expect(result.expired.map((r) => r.id)).not.toContain(fresh.id);
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    expect(await store.findById(longEnded.id)).toBeUndefined();
    expect((await store.findById(idle.id))!.endReason).toBe('expired');
    const again = await store.sweep({
      idleBefore: 1_000,
      createdBefore: 60,
      deadlineBefore: 10_601,
      endedBefore: 20,
      eventsBefore: 0,
      now: 10_600,
    });
    expect(again.expired.map((r) => r.id)).not.toContain(idle.id);
  });

  test('a record keeps its own limits (maxAge off included); one without reads back null', async () => {
    const own = record({ limits: { warnAfterMs: 840_000, expireAfterMs: 900_000, touchIntervalMs: 45_000, maxAgeMs: null } });
    const aged = record({ limits: { warnAfterMs: 1, expireAfterMs: 2, touchIntervalMs: 0, maxAgeMs: 1_209_600_000 } });
    const plain = record();
    for (const r of [own, aged, plain]) await store.insert(r);
    expect(await store.findById(own.id)).toEqual(own);
    expect(await store.findByTokenHash(aged.tokenHash)).toEqual(aged);
    expect((await store.findById(plain.id))!.limits).toBeNull();
    expect((await store.end(own.id, 'revoked', 5))!.limits).toEqual(own.limits);
  });

  test("setLimits gives a user's live records (or one) new limits, or none, and returns them; ended and others' are left alone", async () => {
    const user = `limits-${kind}`;
    const limits = { warnAfterMs: 540_000, expireAfterMs: 600_000, touchIntervalMs: 30_000, maxAgeMs: 28_800_000 };
    const [a, b, gone] = [
      record({ userId: user }),
      record({ userId: user, limits: { ...limits, maxAgeMs: null } }),
      record({ userId: user }),
    ];
    const stranger = record({ userId: `${user}-other` });
    for (const r of [a, b, gone, stranger]) await store.insert(r);
    await store.end(gone.id, 'revoked', 5);
    const changed = await store.setLimits(user, limits);
    expect(changed.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    expect(changed.find((r) => r.id === a.id)).toEqual({ ...a, limits });
    for (const r of [a, b]) expect((await store.findById(r.id))!.limits).toEqual(limits);
    expect([(await store.findById(gone.id))!.limits, (await store.findById(stranger.id))!.limits]).toEqual([null, null]);
    expect(await store.setLimits(user, null, b.id)).toEqual([{ ...b, limits: null }]);
    expect([(await store.findById(a.id))!.limits, (await store.findById(b.id))!.limits]).toEqual([limits, null]);
    expect(await store.setLimits(user, limits, gone.id)).toEqual([]);
    expect(await store.setLimits(user, limits, stranger.id)).toEqual([]);
  });

  test('sweep ends each record by its own limits, and records without by the global cut-offs, at the millisecond', async () => {
    const user = `own-${kind}`;
    const now = 3_000_000;
    const limits = (expireAfterMs: number, touchIntervalMs: number, maxAgeMs: number | null = null) => ({
      warnAfterMs: 1,
      expireAfterMs,
      touchIntervalMs,
      maxAgeMs,
    });
    // Idle deadline (lastActivity + expireAfter + touchInterval) exactly now: expired; one ms later: not.
    const shortDue = record({ userId: user, createdAt: 2_000_000, lastActivity: now - 1_050, limits: limits(1_000, 50) });
    const shortLive = record({ userId: user, createdAt: 2_000_000, lastActivity: now - 1_049, limits: limits(1_000, 50) });
    // Idle far past the global bound, but a long limit of its own: lives.
    const long = record({ userId: user, createdAt: 2_000_000, lastActivity: 100, limits: limits(10 ** 9, 60_000) });
    // Its own maxAge (createdAt + maxAge exactly now): expired, although active; no maxAge of its own: lives.
    const agedDue = record({ userId: user, createdAt: now - 5_000, lastActivity: now, limits: limits(10 ** 9, 60_000, 5_000) });
    const noMaxAge = record({ userId: user, createdAt: 1, lastActivity: now, limits: limits(10 ** 9, 60_000, null) });
    // No limits of its own: the global cut-offs (lastActivity before idleBefore, createdAt before createdBefore).
    const legacyDue = record({ userId: user, createdAt: 2_000_000, lastActivity: 2_499_999 });
    const legacyLive = record({ userId: user, createdAt: 2_000_000, lastActivity: 2_500_000 });
    const legacyOld = record({ userId: user, createdAt: 1_999, lastActivity: now });
    // Past both of their deadlines: ended, and reported, once.
    const ownBoth = record({ userId: user, createdAt: 1, lastActivity: 1, limits: limits(1_000, 50, 5_000) });
    const legacyBoth = record({ userId: user, createdAt: 1, lastActivity: 1 });
    const all = [shortDue, shortLive, long, agedDue, noMaxAge, legacyDue, legacyLive, legacyOld, ownBoth, legacyBoth];
    for (const r of all) await store.insert(r);
    const result = await store.sweep({
      idleBefore: 2_500_000,
      createdBefore: 2_000,
      deadlineBefore: now + 1,
      endedBefore: 0,
      eventsBefore: 0,
      now,
    });
    const ended = result.expired.map((r) => r.id).filter((id) => all.some((r) => r.id === id));
    expect(ended.sort()).toEqual([shortDue.id, agedDue.id, legacyDue.id, legacyOld.id, ownBoth.id, legacyBoth.id].sort());
    expect((await store.listActive(user)).map((r) => r.id).sort()).toEqual([shortLive.id, long.id, noMaxAge.id, legacyLive.id].sort());
  });

  test('a record keeps its last address, login address and location; relocate moves the live one only', async () => {
    const where = { city: 'Linköping', country: 'Sweden', countryCode: 'SE' };
    const r = record({ ip: '89.160.20.112', loginIp: '89.160.20.112', location: where });
    await store.insert(r);
    expect(await store.findById(r.id)).toMatchObject({ ip: '89.160.20.112', loginIp: '89.160.20.112', location: where });
    expect(await store.relocate(r.id, '81.2.69.0', { city: null, country: 'United Kingdom', countryCode: 'GB' })).toBe(true);
    expect(await store.findById(r.id)).toMatchObject({
      ip: '81.2.69.0',
      loginIp: '89.160.20.112',
      location: { city: null, country: 'United Kingdom', countryCode: 'GB' },
    });
    expect(await store.relocate(r.id, '10.0.0.1', null)).toBe(true);
    expect((await store.findById(r.id))!.location).toBeNull();
    await store.end(r.id, 'revoked', 5);
    expect(await store.relocate(r.id, '10.0.0.2', null)).toBe(false);
    expect(await store.relocate('missing', '10.0.0.2', null)).toBe(false);
    expect((await store.findById(r.id))!.ip).toBe('10.0.0.1');
  });

  test('relocating a record made before the login address was stored keeps the address it leaves as the login address', async () => {
    const old = record({ ip: '198.51.100.7', loginIp: null });
    await store.insert(old);
    expect(await store.relocate(old.id, '203.0.113.9', null)).toBe(true);
    expect(await store.findById(old.id)).toMatchObject({ ip: '203.0.113.9', loginIp: '198.51.100.7' });
    expect(await store.relocate(old.id, '203.0.113.10', null)).toBe(true);
    expect((await store.findById(old.id))!.loginIp).toBe('198.51.100.7');
  });

  test('rewriteAddresses rewrites every stored address (last, login, security log) that changes, and counts them', async () => {
    const r = record({ ip: '10.9.9.9', loginIp: '10.8.8.8' });
    await store.insert(r);
    await store.addEvents([event(`rewrite-${kind}`, 1, { ip: '10.9.9.9', sessionId: r.id })]);
    const rewrite = (ip: string) => (ip.startsWith('10.') ? ip.replace(/\.\d+$/, '.0') : ip);
    expect(await store.rewriteAddresses(rewrite)).toBeGreaterThanOrEqual(3);
    expect(await store.findById(r.id)).toMatchObject({ ip: '10.9.9.0', loginIp: '10.8.8.0' });
    expect((await store.listEvents({ userId: `rewrite-${kind}`, limit: 5 }))[0].ip).toBe('10.9.9.0');
    expect(await store.rewriteAddresses(rewrite)).toBe(0);
  });

  /** A security log entry of `userId` at `at`, every field set. */
  const event = (userId: string, at: number, overrides: Partial<SecurityEventRecord> = {}): SecurityEventRecord => ({
    id: randomBytes(16).toString('base64url'),
    userId,
    type: 'login',
    at,
    sessionId: randomBytes(16).toString('base64url'),
    ip: '2001:db8:1::',
    location: { city: 'London', country: 'United Kingdom', countryCode: 'GB' },
    browserName: 'Firefox',
    browserVersion: '120.0',
    osName: 'Linux',
    osVersion: null,
    deviceType: 'desktop',
    by: null,
    actorSessionId: null,
    actorUserId: null,
    newDevice: true,
    ...overrides,
  });

  test('the security log: entries read back whole, one user at a time, newest first, ties by id, after a position', async () => {
    const user = `log-${kind}`;
    const revoked = event(user, 50, {
      type: 'revoked',
      by: 'admin',
      actorSessionId: 'x'.repeat(22),
      actorUserId: 'root',
      newDevice: null,
      location: null,
    });
    const entries = [
      event(user, 10),
      event(user, 30, { newDevice: false }),
      event(user, 30),
      event(user, 30),
      revoked,
      event(`${user}-other`, 40),
    ];
    await store.addEvents(entries);
    const mine = entries.filter((e) => e.userId === user).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
    expect(await store.listEvents({ userId: user, limit: 10 })).toEqual(mine);
    expect((await store.listEvents({ userId: user, limit: 10, since: 30 })).map((e) => e.at)).toEqual([50, 30, 30, 30]);
    const seen: SecurityEventRecord[] = [];
    let after: { at: number; id: string } | undefined;
    for (;;) {
      const page = await store.listEvents({ userId: user, limit: 2, after });
      if (!page.length) break;
      seen.push(...page);
      after = page[page.length - 1];
    }
    expect(seen.map((e) => e.id)).toEqual(mine.map((e) => e.id));
  });

  test('hasLogin: a login of the user from the same browser, OS and device type since a time (unknown names match unknown)', async () => {
    const user = `device-${kind}`;
    await store.addEvents([
      event(user, 100),
      event(user, 200, { browserName: null, osName: null, deviceType: 'other' }),
      event(user, 300, { type: 'logout', browserName: 'Chrome' }),
    ]);
    const firefox = { browserName: 'Firefox', osName: 'Linux', deviceType: 'desktop' } as const;
    expect(await store.hasLogin(user, firefox, 100)).toBe(true);
    expect(await store.hasLogin(user, firefox, 101)).toBe(false);
    expect(await store.hasLogin(user, { ...firefox, deviceType: 'mobile' }, 0)).toBe(false);
    expect(await store.hasLogin(user, { ...firefox, osName: 'Windows' }, 0)).toBe(false);
    expect(await store.hasLogin(user, { browserName: null, osName: null, deviceType: 'other' }, 0)).toBe(true);
    expect(await store.hasLogin(user, { ...firefox, browserName: null }, 0)).toBe(false);
    expect(await store.hasLogin(user, { ...firefox, browserName: 'Chrome' }, 0)).toBe(false); // a logout is not a login
    expect(await store.hasLogin(`${user}-nobody`, firefox, 0)).toBe(false);
  });

  test('the sweep purges security log entries older than its cut-off', async () => {
    const user = `purge-${kind}`;
    // Far in the future, so that other tests' entries are all older and purged too.
    const base = 4_000_000_000_000;
    const [old, kept] = [event(user, base - 1), event(user, base)];
    await store.addEvents([old, kept]);
    const result = await store.sweep({
      idleBefore: 0,
      createdBefore: null,
      deadlineBefore: 0,
      endedBefore: 0,
      eventsBefore: base,
      now: base,
    });
    expect(result.purgedEvents).toBeGreaterThanOrEqual(1);
    expect((await store.listEvents({ userId: user, limit: 10 })).map((e) => e.id)).toEqual([kept.id]);
  });

  test('count counts all or active rows', async () => {
    const all = await store.count();
    const active = await store.count({ activeOnly: true });
    await store.insert(record());
    expect(await store.count()).toBe(all + 1);
    expect(await store.count({ activeOnly: true })).toBe(active + 1);
  });
}

/** Every query of the Knex store is served by an index (an index name for each is present). */
export async function indexesServeEveryQuery(kind: Exclude<StoreKind, 'memory'>): Promise<void> {
  const db = await createTestDatabase(kind);
  const knex = connect(db.url, { schema: db.schema });
  const store = new KnexStore(knex, { schema: db.schema });
  try {
    await store.migrate();
    // SQLite's driver answers the rows; pg's answers a result with `rows`.
    const names: string[] =
      kind === 'sqlite'
        ? (
            await knex.raw<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessionwatch_sessions'")
          ).map((r) => r.name)
        : (
            await knex.raw<{ rows: { name: string }[] }>(
              'SELECT indexname AS name FROM pg_indexes WHERE tablename = ? AND schemaname = ?',
              ['sessionwatch_sessions', db.schema!],
            )
          ).rows.map((r) => r.name);
    for (const expected of [
      'token_hash_unique',
      'store_key_index',
      'user_activity_index',
      'last_activity_index',
      'ended_at_index',
      'idle_deadline_index',
      'age_deadline_index',
      'idp_sid_index',
      'idp_subject_index',
    ]) {
      expect(names.some((n) => n.endsWith(expected))).toBe(true);
    }
    if (kind === 'sqlite') {
      // A back-channel logout looks its sessions up by their sign-in, then by the primary key.
      const statements: Array<{ sql: string; bindings: unknown[] }> = [];
      knex.on('query', (query: { sql: string; bindings: unknown[] }) => statements.push(query));
      await store.endAllOfIdp('https://idp.example', { sid: 's' }, 'revoked', 1);
      await store.endAllOfIdp('https://idp.example', { subject: 'u' }, 'revoked', 1);
      knex.removeAllListeners('query');
      for (const [i, { sql, bindings }] of statements.entries()) {
        const details = (await knex.raw<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, bindings as never)).map((r) => r.detail);
        expect(details).toEqual([
          expect.stringMatching(/^SEARCH sessionwatch_sessions USING INDEX sqlite_autoindex_sessionwatch_sessions_1 \(id=\?\)$/),
          'LIST SUBQUERY 1',
          expect.stringMatching(
            i === 0 ? /idp_sid_index \(idp_issuer=\? AND idp_sid=\?\)$/ : /idp_subject_index \(idp_issuer=\? AND idp_subject=\?\)$/,
          ),
        ]);
      }
      // A batch of touches looks each id up by the primary key, never scans the live sessions.
      const sql = sqliteTouchBatchSql(knex.raw('??', ['sessionwatch_sessions']).toQuery());
      const plan = (await knex.raw<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, ['[]'])).map((r) => r.detail);
      expect(plan).toEqual([
        expect.stringMatching(/^SCAN json_each/),
        expect.stringMatching(/^SEARCH sessionwatch_sessions USING INDEX .*\(id=\?\)$/),
      ]);
    }
  } finally {
    await store.close();
    await db.drop();
  }
}
