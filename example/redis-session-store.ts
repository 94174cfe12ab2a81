import Redis from 'ioredis';

/**
 * A koa-session external store in Redis (ioredis): sessions survive restarts and are shared by
 * every app instance. Entries expire with the session's `maxAge`; `destroy` is what sessionwatch
 * calls when a session is revoked or expires, so the entry is gone at once.
 */
export class RedisSessionStore {
  readonly redis: Redis;

  constructor(url: string, readonly prefix = 'sessionwatch-example:sess:') {
    // Fail fast rather than queue commands forever while Redis is down.
    this.redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  }

  async get(key: string): Promise<unknown> {
    const value = await this.redis.get(this.prefix + key);
    return value === null ? undefined : JSON.parse(value);
  }

  async set(key: string, session: unknown, maxAge: unknown): Promise<void> {
    const ttl = typeof maxAge === 'number' ? Math.ceil(maxAge) : 24 * 3600 * 1000;
    await this.redis.set(this.prefix + key, JSON.stringify(session), 'PX', ttl);
  }

  async destroy(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
