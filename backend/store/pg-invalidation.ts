import { randomBytes } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';
import type { Knex } from 'knex';
import type { InvalidationChannel } from './cached-store';

/** NOTIFY payloads are limited to 8000 bytes: ids (22 characters) go in batches. */
const IDS_PER_MESSAGE = 200;
const MAX_RECONNECT_DELAY_MS = 5000;
/** Longest a publisher waits to hear its own notification back. */
const ECHO_WAIT_MS = 250;
/**
 * A silent network failure leaves a listening socket open but deaf. The listener answers a
 * heartbeat query this often, and the channel only counts as connected while the last answer is
 * recent: whatever happens to the network, a cache serves nothing it could not have heard about
 * for longer than {@link MAX_STALENESS_MS}.
 */
const HEARTBEAT_MS = 250;
/** The documented bound: at most 1 s of deafness before caches stop serving. */
export const MAX_STALENESS_MS = 1000;

/**
 * Cross-instance cache invalidation over Postgres LISTEN/NOTIFY. One dedicated connection
 * listens; publishing goes through the app's pool. When the listening connection drops, the
 * channel reports `connected = false` (caches stop serving), reconnects with backoff, and asks
 * for a full eviction once it is back.
 */
export class PgInvalidationChannel implements InvalidationChannel {
  private listening = false;
  private lastHeard = 0;
  private heartbeat?: NodeJS.Timeout;
  private client?: Client;
  private handler: (ids: string[] | null) => void = () => {};
  private closed = false;
  private started = false;
  private retryDelay = 100;
  private retryTimer?: NodeJS.Timeout;
  /** Own notifications awaited by `publish`, by nonce. */
  private readonly echoes = new Map<string, () => void>();

  constructor(
    private readonly knex: Knex,
    private readonly connection: string | ClientConfig,
    /** Channel name, per table, so that two apps on one database do not disturb each other. */
    readonly name: string,
  ) {}

  get connected(): boolean {
    return this.listening && Date.now() - this.lastHeard < MAX_STALENESS_MS;
  }

  onInvalidate(handler: (ids: string[] | null) => void): void {
    this.handler = handler;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  /**
   * Notifies every instance, then waits (at most {@link ECHO_WAIT_MS}) until this instance's own
   * listener hears the message back. Postgres delivers a notification to all listeners at once, so
   * by the time a revocation's response leaves, the other instances have heard it too, and the
   * revoked session's next request is refused wherever it lands.
   */
  async publish(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
      const nonce = randomBytes(8).toString('hex');
      const echo = this.listening ? this.awaitEcho(nonce) : undefined;
      await this.knex.raw('SELECT pg_notify(?, ?)', [this.name, JSON.stringify({ n: nonce, ids: ids.slice(i, i + IDS_PER_MESSAGE) })]);
      await echo;
    }
  }

  private awaitEcho(nonce: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.echoes.delete(nonce);
        resolve();
      }, ECHO_WAIT_MS);
      this.echoes.set(nonce, () => {
        clearTimeout(timer);
        this.echoes.delete(nonce);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client(typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection);
    this.client = client;
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.listening = false;
      clearInterval(this.heartbeat);
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel !== this.name || !message.payload) return;
      let ids: string[] | null = null;
      try {
        const parsed = JSON.parse(message.payload) as { n?: unknown; ids?: unknown };
        if (Array.isArray(parsed.ids)) ids = parsed.ids.map(String);
        if (typeof parsed.n === 'string') this.echoes.get(parsed.n)?.();
      } catch {
        // Not ours or malformed: evict everything, to be safe.
      }
      this.handler(ids);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.name.replace(/"/g, '""')}"`);
      if (this.client !== client || this.closed) return;
      // Anything may have changed while we were not listening.
      this.handler(null);
      this.listening = true;
      this.lastHeard = Date.now();
      this.retryDelay = 100;
      this.heartbeat = setInterval(() => {
        client.query('SELECT 1').then(() => (this.lastHeard = Date.now()), lost);
      }, HEARTBEAT_MS);
      this.heartbeat.unref();
    } catch {
      lost();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, MAX_RECONNECT_DELAY_MS);
  }
}
