import { CachedStore, type InvalidationChannel } from './cached-store';
import { MemoryStore } from './memory-store';
import { testRecord } from '../../test/support/records';

/** Record `id`, found by the token hash `hash-<id>`, last active at 1. */
const record = (id: string) => testRecord({ id, tokenHash: `hash-${id}`, userId: 'u', createdAt: 1, lastActivity: 1 });

class FakeChannel implements InvalidationChannel {
  connected = true;
  published: string[][] = [];
  handler: (ids: string[] | null) => void = () => {};
  onInvalidate(handler: (ids: string[] | null) => void) {
    this.handler = handler;
  }
  async publish(ids: string[]) {
    this.published.push(ids);
  }
  start() {}
  async close() {}
}

describe('CachedStore', () => {
  let inner: MemoryStore;
  let channel: FakeChannel;
  let store: CachedStore;
  let reads: number;

  beforeEach(async () => {
    inner = new MemoryStore();
    reads = 0;
    const find = inner.findByTokenHash.bind(inner);
    inner.findByTokenHash = (hash) => {
      reads++;
      return find(hash);
    };
    channel = new FakeChannel();
    store = new CachedStore(inner, { channel, maxEntries: 3 });
    await store.insert(record('a'));
    await store.insert(record('b'));
  });

  test('serves repeated lookups from memory, as copies', async () => {
    const first = await store.findByTokenHash('hash-a');
    first!.lastActivity = 999;
    const second = await store.findByTokenHash('hash-a');
    expect(second!.lastActivity).toBe(1);
    expect(reads).toBe(1);
  });

  test('peek answers the cached record itself, synchronously, and only while the cache may serve', async () => {
    expect(store.peek('hash-a')).toBeUndefined(); // not read yet
    await store.findByTokenHash('hash-a');
    const first = store.peek('hash-a');
    expect(first).toMatchObject({ id: 'a', lastActivity: 1 });
    expect(store.peek('hash-a')).toBe(first); // no copy
    await store.touch('a', 50);
    expect(first!.lastActivity).toBe(50); // the store's own writes keep it in step
    channel.connected = false;
    expect(store.peek('hash-a')).toBeUndefined();
    channel.connected = true;
    await store.end('a', 'revoked', 60);
    expect(store.peek('hash-a')).toBeUndefined(); // evicted
    expect(reads).toBe(1);
  });

  test('a peek counts as a use for the least-recently-used order', async () => {
    for (const id of ['c', 'd']) await store.insert(record(id));
    for (const id of ['a', 'b', 'c']) await store.findByTokenHash(`hash-${id}`);
    store.peek('hash-a'); // a is now the most recent
    await store.findByTokenHash('hash-d'); // evicts b
    expect(store.peek('hash-a')).toBeDefined();
    expect(store.peek('hash-b')).toBeUndefined();
  });

  test('fresh bypasses the cache', async () => {
    await store.findByTokenHash('hash-a');
    await store.findByTokenHash('hash-a', { fresh: true });
    expect(reads).toBe(2);
  });

  test('ending, deleting and sweeping evict locally and publish to other instances', async () => {
    await store.findByTokenHash('hash-a');
    await store.end('a', 'revoked', 5);
    expect((await store.findByTokenHash('hash-a'))!.endReason).toBe('revoked');
    await store.findByTokenHash('hash-b');
    await store.delete('b');
    expect(await store.findByTokenHash('hash-b')).toBeUndefined();
    expect(channel.published).toEqual([['a'], ['b']]);
  });

  test('a back-channel logout and a new store key evict locally and publish to other instances', async () => {
    await store.insert(testRecord({ id: 'c', tokenHash: 'hash-c', idp: { issuer: 'https://idp.example', subject: 's', sid: 'x' } }));
    await store.findByTokenHash('hash-c');
    expect((await store.endAllOfIdp('https://idp.example', { sid: 'x' }, 'revoked', 5)).map((r) => r.id)).toEqual(['c']);
    expect((await store.findByTokenHash('hash-c'))!.endReason).toBe('revoked');
    await store.findByTokenHash('hash-a');
    expect(await store.setStoreKey('a', 'key-2')).toBe(true);
    expect((await store.findByTokenHash('hash-a'))!.storeKey).toBe('key-2');
    expect(channel.published).toEqual([['c'], ['a']]);
    expect(reads).toBe(4); // each read after a change missed the cache
  });

  test('new limits evict locally and publish to other instances: their next request applies them', async () => {
    await store.findByTokenHash('hash-a');
    const limits = { warnAfterMs: 1000, expireAfterMs: 2000, touchIntervalMs: 100, maxAgeMs: null };
    expect((await store.setLimits('u', limits, 'a')).map((r) => r.id)).toEqual(['a']);
    expect((await store.findByTokenHash('hash-a'))!.limits).toEqual(limits);
    expect(await store.setLimits('u', null, 'gone')).toEqual([]);
    expect([channel.published, reads]).toEqual([[['a']], 2]);
  });

  test('an invalidation from another instance evicts; null evicts everything', async () => {
    await store.findByTokenHash('hash-a');
    await store.findByTokenHash('hash-b');
    await inner.end('a', 'revoked', 5); // changed behind our back…
    channel.handler(['a']); // …and announced
    expect((await store.findByTokenHash('hash-a'))!.endedAt).toBe(5);
    await inner.end('b', 'revoked', 6);
    channel.handler(null);
    expect((await store.findByTokenHash('hash-b'))!.endedAt).toBe(6);
  });

  test('nothing is served from memory while the channel is disconnected', async () => {
    await store.findByTokenHash('hash-a');
    channel.connected = false;
    await inner.end('a', 'revoked', 5); // a revocation we could not hear about
    expect((await store.findByTokenHash('hash-a'))!.endedAt).toBe(5);
    expect(reads).toBe(2);
  });

  test('a revocation racing with a cache miss is never undone by the miss', async () => {
    const find = inner.findByTokenHash.bind(inner);
    let release!: () => void;
    inner.findByTokenHash = async (hash) => {
      const stale = await find(hash); // read the active record…
      await new Promise<void>((resolve) => (release = resolve)); // …then stall
      return stale;
    };
    const miss = store.findByTokenHash('hash-a');
    await new Promise((r) => setImmediate(r));
    await store.end('a', 'revoked', 7); // revoked while the miss is in flight
    release();
    expect((await miss)!.endedAt).toBeNull(); // that request saw the old state…
    inner.findByTokenHash = find;
    expect((await store.findByTokenHash('hash-a'))!.endedAt).toBe(7); // …but it was not cached
  });

  test('touch keeps the cached lastActivity in step', async () => {
    await store.findByTokenHash('hash-a');
    await store.touch('a', 50);
    expect((await store.findByTokenHash('hash-a'))!.lastActivity).toBe(50);
    expect(reads).toBe(1);
  });

  test('keeps at most maxEntries, dropping the least recently used', async () => {
    for (const id of ['c', 'd']) await store.insert(record(id));
    for (const id of ['a', 'b', 'c']) await store.findByTokenHash(`hash-${id}`);
    await store.findByTokenHash('hash-a'); // a is now the most recent
    await store.findByTokenHash('hash-d'); // evicts b
    reads = 0;
    await store.findByTokenHash('hash-a');
    await store.findByTokenHash('hash-b');
    expect(reads).toBe(1);
  });
});
