import { Client, type ClientConfig } from 'pg';
import type { Knex } from 'knex';
import type { InvalidationChannel } from './cached-store';

/** NOTIFY payloads are limited to 8000 bytes: ids (22 characters) go in batches. */
const IDS_PER_MESSAGE = 200;
const MAX_RECONNECT_DELAY_MS = 5000;

/**
 * Cross-instance cache invalidation over Postgres LISTEN/NOTIFY. One dedicated connection
 * listens; publishing goes through the app's pool. When the listening connection drops, the
 * channel reports `connected = false` (caches stop serving), reconnects with backoff, and asks
 * for a full eviction once it is back.
 */
export class PgInvalidationChannel implements InvalidationChannel {
  connected = false;
  private client?: Client;
  private handler: (ids: string[] | null) => void = () => {};
  private closed = false;
  private started = false;
  private retryDelay = 100;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly knex: Knex,
    private readonly connection: string | ClientConfig,
    /** Channel name, per table, so that two apps on one database do not disturb each other. */
    readonly name: string,
  ) {}

  onInvalidate(handler: (ids: string[] | null) => void): void {
    this.handler = handler;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  async publish(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
      await this.knex.raw('SELECT pg_notify(?, ?)', [this.name, JSON.stringify(ids.slice(i, i + IDS_PER_MESSAGE))]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connected = false;
    clearTimeout(this.retryTimer);
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
      this.connected = false;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel !== this.name || !message.payload) return;
      try {
        const ids = JSON.parse(message.payload);
        this.handler(Array.isArray(ids) ? ids.map(String) : null);
      } catch {
        this.handler(null);
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.name.replace(/"/g, '""')}"`);
      if (this.client !== client || this.closed) return;
      // Anything may have changed while we were not listening.
      this.handler(null);
      this.connected = true;
      this.retryDelay = 100;
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
