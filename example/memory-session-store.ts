/**
 * A koa-session external store in a Map, with TTL: stands in for Redis or a database store in the
 * demo (`SESSION_STORE=memory`) and in tests, which inspect `entries`.
 */
export class MemorySessionStore {
  readonly entries = new Map<string, { value: unknown; expiresAt: number }>();

  async get(key: string): Promise<unknown> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: unknown, maxAge: unknown): Promise<void> {
    const ttl = typeof maxAge === 'number' ? maxAge : 24 * 3600 * 1000;
    this.entries.set(key, { value, expiresAt: Date.now() + ttl });
  }

  async destroy(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
