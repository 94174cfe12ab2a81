import { randomBytes } from 'node:crypto';
// Types only: `pg` is an optional peer dependency, loaded by Knex; we use the copy Knex loaded.
import type { Client, ClientConfig } from 'pg';
import type { Knex } from 'knex';
import type { InvalidationChannel } from './cached-store';

/** NOTIFY payloads are limited to 8000 bytes: ids (22 characters) go in batches. */
const IDS_PER_MESSAGE = 200;
const MAX_RECONNECT_DELAY_MS = 5000;
/** How often each instance announces itself on the channel (and so proves its listener works). */
const HEARTBEAT_MS = 250;
/**
 * The documented bound: a cache serves nothing it could not have heard about for longer than
 * this. An instance whose own heartbeat has not come back within it stops serving its cache; a
 * peer not heard from within it is no longer waited for.
 */
export const MAX_STALENESS_MS = 1000;
/**
 * Longest a publisher waits for the other instances to acknowledge an invalidation, and how long
 * after its last announcement an instance is still waited for. Generous, because a slow
 * acknowledgement costs only latency on a rare request (revoke, logout, expiry), while a missed
 * one could let a revoked session through once; an instance that died delays those requests for
 * at most {@link PEER_TIMEOUT_MS}.
 */
const ACK_WAIT_MS = 2000;
const PEER_TIMEOUT_MS = 5000;

/** Messages on the channel. */
type Message = { t: 'hi'; from: string } | { t: 'inv'; from: string; n: string; ids: string[] } | { t: 'ack'; from: string; n: string };

interface PendingPublish {
  waitingFor: Set<string>;
  done(): void;
}

/**
 * Cross-instance cache invalidation over Postgres LISTEN/NOTIFY, with acknowledgements.
 *
 * Every instance keeps one listening connection and announces itself on it every 250 ms; hearing
 * its own announcement back proves the whole loop works (a silent partition is noticed within
 * {@link MAX_STALENESS_MS}, and the cache stops serving). A publisher (an instance that revoked,
 * logged out or expired sessions) sends the ids and waits until every instance it has heard from
 * recently has evicted them and acknowledged (at most {@link ACK_WAIT_MS}). So when a revocation's
 * response leaves, no other live instance still serves the session from its cache, and the revoked
 * session's next request is refused wherever it lands.
 */
export class PgInvalidationChannel implements InvalidationChannel {
  /** This instance's id on the channel. */
  readonly id = randomBytes(6).toString('hex');
  private listening = false;
  private lastHeard = 0;
  private listeningSince = 0;
  private readonly peerSeen = new Map<string, number>();
  private readonly pending = new Map<string, PendingPublish>();
  private heartbeat?: NodeJS.Timeout;
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

  /**
   * True while the cache may serve: our own announcement came back recently, and we have been
   * listening for two heartbeats, so every other instance has heard of us and waits for our
   * acknowledgement before answering a revocation.
   */
  get connected(): boolean {
    const now = Date.now();
    return this.listening && now - this.lastHeard < MAX_STALENESS_MS && now - this.listeningSince >= 2 * HEARTBEAT_MS;
  }

  /** Ids of the other instances heard from recently. */
  get peers(): string[] {
    const now = Date.now();
    return [...this.peerSeen].filter(([, seen]) => now - seen < PEER_TIMEOUT_MS).map(([id]) => id);
  }

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
      const n = randomBytes(8).toString('hex');
      const acknowledged = this.listening ? this.awaitAcks(n) : undefined;
      await this.notify(this.knex, { t: 'inv', from: this.id, n, ids: ids.slice(i, i + IDS_PER_MESSAGE) });
      await acknowledged;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    for (const publish of this.pending.values()) publish.done();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  /** Waits for the acks of every peer heard from recently (and our own echo), or the timeout. */
  private awaitAcks(n: string): Promise<void> {
    const now = Date.now();
    const waitingFor = new Set([this.id]);
    for (const [peer, seen] of this.peerSeen) {
      if (now - seen < PEER_TIMEOUT_MS) waitingFor.add(peer);
      else this.peerSeen.delete(peer);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ACK_WAIT_MS);
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(n);
        resolve();
      };
      this.pending.set(n, { waitingFor, done });
    });
  }

  private acknowledged(n: string, from: string): void {
    const publish = this.pending.get(n);
    if (!publish) return;
    publish.waitingFor.delete(from);
    if (publish.waitingFor.size === 0) publish.done();
  }

  private notify(via: Knex | Client, message: Message): Promise<unknown> {
    const payload = JSON.stringify(message);
    return via !== this.knex
      ? (via as Client).query('SELECT pg_notify($1, $2)', [this.name, payload])
      : this.knex.raw('SELECT pg_notify(?, ?)', [this.name, payload]);
  }

  private receive(client: Client, payload: string): void {
    let message: Message;
    try {
      message = JSON.parse(payload) as Message;
    } catch {
      this.handler(null); // not ours or malformed: evict everything, to be safe
      return;
    }
    if (message.from === this.id) {
      if (message.t === 'hi') this.lastHeard = Date.now();
      if (message.t === 'inv') this.acknowledged(message.n, this.id);
      return;
    }
    if (message.t === 'hi') this.peerSeen.set(message.from, Date.now());
    else if (message.t === 'ack') this.acknowledged(message.n, message.from);
    else if (message.t === 'inv') {
      this.handler(Array.isArray(message.ids) ? message.ids.map(String) : null);
      // Acknowledge only once evicted (the handler is synchronous).
      this.notify(client, { t: 'ack', from: this.id, n: message.n }).catch(() => {});
    } else this.handler(null);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const config = typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection;
    // Named, so a DBA (or a test) can tell the listener apart in pg_stat_activity.
    const PgClient = (this.knex.client as { driver: { Client: typeof Client } }).driver.Client;
    const client = new PgClient({ ...config, application_name: `sessionwatch-listener ${this.name}` });
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
      if (message.channel === this.name && message.payload) this.receive(client, message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.name.replace(/"/g, '""')}"`);
      if (this.client !== client || this.closed) return;
      // Anything may have changed while we were not listening.
      this.handler(null);
      this.listening = true;
      this.lastHeard = this.listeningSince = Date.now();
      this.retryDelay = 100;
      const announce = () => this.notify(client, { t: 'hi', from: this.id }).catch(lost);
      void announce();
      this.heartbeat = setInterval(() => void announce(), HEARTBEAT_MS);
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
