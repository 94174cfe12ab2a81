import type { Location } from '../../shared/protocol';
import type {
  ActivePageQuery,
  DeviceKey,
  EventPageQuery,
  SecurityEventRecord,
  SessionLimits,
  SessionRecord,
  Store,
  SweepCutoffs,
  SweepResult,
  IdpMatch,
} from './types';

/**
 * How instances tell each other that records changed (revoked, ended, deleted), so that each one's
 * cache stays exact. On Postgres: LISTEN/NOTIFY ({@link PgInvalidationChannel}).
 */
export interface InvalidationChannel {
  /** Tells every other instance that these records changed. */
  publish(ids: string[]): Promise<void>;
  /** `ids` changed elsewhere; `null` means anything may have changed (e.g. after a reconnect). */
  onInvalidate(handler: (ids: string[] | null) => void): void;
  /** True only while invalidations from other instances are sure to arrive. */
  readonly connected: boolean;
  start(): void;
  close(): Promise<void>;
}

/** Records a cache keeps by default (option `cache.maxEntries`). */
export const DEFAULT_CACHE_ENTRIES = 10_000;

export interface CacheOptions {
  /** Most records kept; the least recently used go first. Default {@link DEFAULT_CACHE_ENTRIES}. */
  maxEntries?: number;
  /** Cross-instance invalidation; without one the cache assumes a single process. */
  channel?: InvalidationChannel;
}

/**
 * A {@link Store} decorator that keeps recently used records in memory, so a request costs no query
 * at all in the common case. It stays exact:
 * - every change made through this instance updates or evicts the cached copy, and is published
 *   to the other instances, which evict theirs;
 * - while the channel is disconnected nothing is served from the cache (a revocation elsewhere
 *   could be missed), and everything is evicted when it reconnects;
 * - activity (`touch`) is not published: a cached `lastActivity` may be older than the stored one,
 *   so callers re-read with `fresh` before ending a session for inactivity.
 */
export class CachedStore implements Store {
  private readonly byToken = new Map<string, SessionRecord>();
  private readonly tokenById = new Map<string, string>();
  private readonly maxEntries: number;
  /** The cross-instance invalidation channel, if any. */
  readonly channel?: InvalidationChannel;
  /**
   * Bumped by every eviction: a record read from the database is cached only if nothing was
   * evicted while it was being read, so a revocation racing with a cache miss is never undone.
   */
  private epoch = 0;

  constructor(
    private readonly inner: Store,
    options: CacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    this.channel = options.channel;
    this.channel?.onInvalidate((ids) => {
      if (ids) ids.forEach((id) => this.evict(id));
      else this.clear();
      for (const listener of this.invalidated) listener(ids);
    });
  }

  /** Told of the records other instances changed (null: any may have), once their copies are evicted here. */
  private readonly invalidated: Array<(ids: string[] | null) => void> = [];

  /** Calls `listener` with the ids of every invalidation from another instance, after the eviction. */
  onInvalidated(listener: (ids: string[] | null) => void): void {
    this.invalidated.push(listener);
  }

  /** True when cached records may be served. */
  get trusted(): boolean {
    return this.channel ? this.channel.connected : true;
  }

  /** Starts listening for invalidations. */
  start(): void {
    this.channel?.start();
  }

  migrate(): Promise<void> {
    return this.inner.migrate();
  }

  insert(record: SessionRecord): Promise<void> {
    return this.inner.insert(record);
  }

  /**
   * The cached record of a token hash, found without a query, a promise or a copy: the request
   * path's fast lane (a request whose record is cached and needs no write runs synchronously).
   * Undefined when it is not cached, or while cached records may not be served (see `trusted`):
   * then {@link findByTokenHash} reads it.
   *
   * The object is the cache's own, shared by every request of the session: read it, and change
   * it only as the store's own writes do (`touch` moves `lastActivity` forward, never back). A
   * write that changes anything else evicts it first.
   */
  peek(tokenHash: string): SessionRecord | undefined {
    if (!this.trusted) return undefined;
    const hit = this.byToken.get(tokenHash);
    if (hit !== undefined) {
      // Refresh its place in the LRU order.
      this.byToken.delete(tokenHash);
      this.byToken.set(tokenHash, hit);
    }
    return hit;
  }

  async findByTokenHash(tokenHash: string, options: { fresh?: boolean } = {}): Promise<SessionRecord | undefined> {
    const hit = options.fresh ? undefined : this.peek(tokenHash);
    if (hit) return { ...hit };
    const epoch = this.epoch;
    const record = await this.inner.findByTokenHash(tokenHash);
    if (record && this.trusted && epoch === this.epoch) this.remember(record);
    return record;
  }

  findByStoreKey(storeKey: string): Promise<SessionRecord | undefined> {
    return this.inner.findByStoreKey(storeKey);
  }

  findById(id: string): Promise<SessionRecord | undefined> {
    return this.inner.findById(id);
  }

  listActive(userId: string): Promise<SessionRecord[]> {
    return this.inner.listActive(userId);
  }

  listActivePage(query: ActivePageQuery): Promise<SessionRecord[]> {
    return this.inner.listActivePage(query);
  }

  async touch(id: string, at: number): Promise<number | undefined> {
    const lastActivity = await this.inner.touch(id, at);
    const cached = this.cachedById(id);
    if (cached && lastActivity !== undefined) cached.lastActivity = Math.max(cached.lastActivity, lastActivity);
    else if (lastActivity === undefined) this.evict(id);
    return lastActivity;
  }

  async end(id: string, reason: 'expired' | 'revoked', at: number): Promise<SessionRecord | undefined> {
    const ended = await this.inner.end(id, reason, at);
    await this.changed([id]);
    return ended;
  }

  async endAllOfUser(userId: string, reason: 'expired' | 'revoked', at: number, exceptId?: string): Promise<SessionRecord[]> {
    const ended = await this.inner.endAllOfUser(userId, reason, at, exceptId);
    await this.changed(ended.map((r) => r.id));
    return ended;
  }

  async endAllOfIdp(issuer: string, match: IdpMatch, reason: 'revoked', at: number): Promise<SessionRecord[]> {
    const ended = await this.inner.endAllOfIdp(issuer, match, reason, at);
    await this.changed(ended.map((r) => r.id));
    return ended;
  }

  async setLimits(userId: string, limits: SessionLimits | null, onlyId?: string): Promise<SessionRecord[]> {
    const changed = await this.inner.setLimits(userId, limits, onlyId);
    // Published: every instance's requests (and its push streams) must apply the new limits at once.
    await this.changed(changed.map((r) => r.id));
    return changed;
  }

  async setStoreKey(id: string, storeKey: string | null): Promise<boolean> {
    const set = await this.inner.setStoreKey(id, storeKey);
    // Published like every change of a record: a copy elsewhere would still name the old key.
    await this.changed([id]);
    return set;
  }

  async relocate(id: string, ip: string, location: Location | null): Promise<boolean> {
    const moved = await this.inner.relocate(id, ip, location);
    // Published: another instance serving this session from its copy would take the old address
    // for the current one and miss the next change back to it.
    await this.changed([id]);
    return moved;
  }

  async rewriteAddresses(rewrite: (ip: string) => string): Promise<number> {
    const changed = await this.inner.rewriteAddresses(rewrite);
    this.clear();
    return changed;
  }

  addEvents(events: SecurityEventRecord[]): Promise<void> {
    return this.inner.addEvents(events);
  }

  listEvents(query: EventPageQuery): Promise<SecurityEventRecord[]> {
    return this.inner.listEvents(query);
  }

  hasLogin(userId: string, device: DeviceKey, since: number): Promise<boolean> {
    return this.inner.hasLogin(userId, device, since);
  }

  async delete(id: string): Promise<SessionRecord | undefined> {
    const deleted = await this.inner.delete(id);
    await this.changed([id]);
    return deleted;
  }

  async sweep(cutoffs: SweepCutoffs): Promise<SweepResult> {
    const result = await this.inner.sweep(cutoffs);
    await this.changed(result.expired.map((r) => r.id));
    // Ended records past retention are gone from the database (deleted by this sweep or by
    // another instance's): forget them here too, so their browsers stop getting the end reason.
    for (const record of [...this.byToken.values()]) {
      if (record.endedAt !== null && record.endedAt < cutoffs.endedBefore) this.evict(record.id);
    }
    return result;
  }

  count(options?: { activeOnly?: boolean }): Promise<number> {
    return this.inner.count(options);
  }

  async close(): Promise<void> {
    await this.channel?.close();
    this.clear();
    await this.inner.close();
  }

  private async changed(ids: string[]): Promise<void> {
    ids.forEach((id) => this.evict(id));
    if (ids.length && this.channel) await this.channel.publish(ids);
  }

  private remember(record: SessionRecord): void {
    const previous = this.tokenById.get(record.id);
    if (previous !== undefined) this.byToken.delete(previous);
    this.byToken.set(record.tokenHash, { ...record });
    this.tokenById.set(record.id, record.tokenHash);
    if (this.byToken.size > this.maxEntries) {
      const oldest = this.byToken.values().next().value as SessionRecord;
      this.byToken.delete(oldest.tokenHash);
      this.tokenById.delete(oldest.id);
    }
  }

  private cachedById(id: string): SessionRecord | undefined {
    const token = this.tokenById.get(id);
    return token === undefined ? undefined : this.byToken.get(token);
  }

  private evict(id: string): void {
    this.epoch++;
    const token = this.tokenById.get(id);
    if (token === undefined) return;
    this.tokenById.delete(id);
    this.byToken.delete(token);
  }

  private clear(): void {
    this.epoch++;
    this.byToken.clear();
    this.tokenById.clear();
  }
}
