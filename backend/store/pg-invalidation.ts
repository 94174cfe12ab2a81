import { randomBytes } from 'node:crypto';
// Types only: `pg` is an optional peer dependency, loaded by Knex; we use the copy Knex loaded.
import type { Client, ClientConfig } from 'pg';
import type { Knex } from 'knex';
import type { InvalidationChannel } from './cached-store';

/** NOTIFY payloads are limited to 8000 bytes: ids (22 characters) go in batches. */
const IDS_PER_MESSAGE = 200;
const MAX_RECONNECT_DELAY_MS = 5000;
/**
 * How often each instance proves its own loop: a round trip on its listening connection. Not a
 * NOTIFY: Postgres wakes every listening backend of the database on each NOTIFY, whatever its
 * channel, so N instances notifying 4 times a second would cost the server N² wake-ups.
 */
const HEARTBEAT_MS = 250;
/** How often each instance renews its lease (and so stays among the instances a publisher waits for). */
const LEASE_RENEW_MS = 1000;
/**
 * How long a lease lasts without renewal: an instance that died (or lost the database) stops
 * being waited for this long after its last renewal.
 */
const LEASE_MS = 5000;
/**
 * The documented bound: a cache serves nothing it could not have heard about for longer than
 * this. An instance whose own heartbeat has not come back within it stops serving its cache.
 */
export const MAX_STALENESS_MS = 1000;
/**
 * Longest a publisher waits for the other instances to acknowledge an invalidation. Generous,
 * because a slow acknowledgement costs only latency on a rare request (revoke, logout, expiry),
 * while a missed one could let a revoked session through once; an instance that died delays those
 * requests until its lease runs out ({@link LEASE_MS}).
 */
const ACK_WAIT_MS = 2000;

/** Messages on the shared channel (`inv`) and on an instance's own channel (`ack`). */
type Message = { t: 'inv'; from: string; n: string; ids: string[] } | { t: 'ack'; from: string; n: string };

interface PendingPublish {
  waitingFor: Set<string>;
  done(): void;
}

/** Traffic of one instance's listener, for monitoring and the scale benchmark. */
export interface ChannelStats {
  /** Notifications this instance received (on the shared channel and its own). */
  delivered: number;
  /** Notifications it sent (invalidations, acknowledgements). */
  sent: number;
  /** Heartbeat round trips on its listening connection. */
  heartbeats: number;
}

/** Quotes a channel name for LISTEN (an identifier, not a bindable value). */
function identifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Cross-instance cache invalidation over Postgres LISTEN/NOTIFY, with acknowledgements, and
 * traffic that grows linearly with the number of instances.
 *
 * - **Its own loop.** Each instance keeps one listening connection, listens on the shared channel
 *   and on a channel of its own, and every 250 ms makes a round trip on that connection: Postgres
 *   delivers a notification to a listening session before it answers its next query, so an answer
 *   proves that everything notified before was heard (a silent partition is noticed within
 *   {@link MAX_STALENESS_MS}, and the cache stops serving). N instances: 4·N tiny queries a second,
 *   no notification at all while nothing changes.
 * - **Membership by lease.** Each instance holds a row in `<table>_instances`, renewed every second
 *   over that same connection (so a partitioned instance also stops renewing) and expiring 5 s after
 *   the last renewal. No instance announces itself to the others.
 * - **Invalidations.** A publisher (an instance that revoked, logged out or expired sessions) reads
 *   the live leases after its change is committed, sends the ids on the shared channel, and waits
 *   until every leased instance has evicted them and acknowledged on the publisher's own channel
 *   (at most {@link ACK_WAIT_MS}). So when a revocation's response leaves, no other live instance
 *   still serves the session from its cache. N − 1 acknowledgements per invalidation, heard by the
 *   publisher only.
 * - **Joining.** An instance serves its cache only once it listens and its lease is committed: a
 *   publisher that read the leases before that committed its change before, and the joining
 *   instance starts with an empty cache (and drops any read that was under way).
 */
export class PgInvalidationChannel implements InvalidationChannel {
  /** This instance's id: its lease, and its own channel's suffix. */
  readonly id = randomBytes(6).toString('hex');
  /** The counters of {@link ChannelStats}. */
  readonly stats: ChannelStats = { delivered: 0, sent: 0, heartbeats: 0 };
  private listening = false;
  private leased = false;
  private lastHeard = 0;
  /** Other instances with a live lease, as of the last renewal (for monitoring and tests). */
  private members: string[] = [];
  private readonly pending = new Map<string, PendingPublish>();
  private heartbeat?: NodeJS.Timeout;
  private renewal?: NodeJS.Timeout;
  private client?: Client;
  /** The listening connection's queries, one after the other (see {@link query}). */
  private queries: Promise<unknown> = Promise.resolve();
  private handler: (ids: string[] | null) => void = () => {};
  private closed = false;
  private started = false;
  private retryDelay = 100;
  private retryTimer?: NodeJS.Timeout;
  /** A heartbeat is on its way. */
  private beating = false;

  constructor(
    private readonly knex: Knex,
    private readonly connection: string | ClientConfig,
    /** The shared channel's name, per table, so that two apps on one database do not disturb each other. */
    readonly name: string,
    /** The lease table (`<tableName>_instances`, qualified with the schema when there is one). */
    private readonly instancesTable: string,
    /** Told of each failure of the listening connection (e.g. the lease table missing: "run migrate()"). */
    private readonly observe: (error: unknown) => void = () => {},
  ) {}

  /** The channel only `instance` listens to (Postgres names: at most 63 bytes). */
  private channelOf(instance: string): string {
    return `${this.name.slice(0, 50)}_${instance}`;
  }

  /**
   * True while the cache may serve: our own heartbeat came back recently and our lease is
   * committed, so every publisher waits for our acknowledgement before answering a revocation.
   */
  get connected(): boolean {
    return this.listening && this.leased && Date.now() - this.lastHeard < MAX_STALENESS_MS;
  }

  /** Ids of the other instances holding a live lease, as of the last renewal. */
  get peers(): string[] {
    return [...this.members];
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
    // Read after the change was committed (the caller awaited it): whoever leases now must evict.
    const members = this.listening ? await this.liveMembers() : [];
    for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
      const n = randomBytes(8).toString('hex');
      const acknowledged = this.listening ? this.awaitAcks(n, members) : undefined;
      await this.notify(this.knex, this.name, { t: 'inv', from: this.id, n, ids: ids.slice(i, i + IDS_PER_MESSAGE) });
      await acknowledged;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    clearInterval(this.renewal);
    for (const publish of this.pending.values()) publish.done();
    const client = this.client;
    this.client = undefined;
    if (client && this.leased) {
      // Leave at once rather than be waited for until the lease runs out.
      await this.query(client, `DELETE FROM ${this.instancesTable} WHERE id = $1`, [this.id]).catch(() => {});
    }
    this.leased = false;
    await client?.end().catch(() => {});
  }

  /**
   * A query on the listening connection, after the ones before it: heartbeats, lease renewals and
   * acknowledgements come at their own times, and pg refuses (deprecates) overlapping queries on
   * one client.
   */
  private query<R extends object = object>(client: Client, text: string, values?: unknown[]): Promise<{ rows: R[] }> {
    const run = this.queries.then(() => client.query<R & Record<string, unknown>>(text, values));
    this.queries = run.catch(() => {});
    return run;
  }

  /** The other instances with a live lease, read now. */
  private async liveMembers(): Promise<string[]> {
    try {
      const result = await this.knex.raw<{ rows: { id: string }[] }>(
        `SELECT id FROM ${this.instancesTable} WHERE expires_at > now() AND id <> ?`,
        [this.id],
      );
      return result.rows.map((row) => row.id);
    } catch {
      // Unknown members: the publisher waits the whole ACK_WAIT_MS for its own echo at most; the
      // others' caches stop within MAX_STALENESS_MS if they cannot reach the database either.
      return this.members;
    }
  }

  /** Waits for the acks of `members` and our own echo on the shared channel, or the timeout. */
  private awaitAcks(n: string, members: string[]): Promise<void> {
    const waitingFor = new Set([this.id, ...members]);
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

  private notify(via: Knex | Client, channel: string, message: Message): Promise<unknown> {
    const payload = JSON.stringify(message);
    this.stats.sent++;
    return via !== this.knex
      ? this.query(via as Client, 'SELECT pg_notify($1, $2)', [channel, payload])
      : this.knex.raw('SELECT pg_notify(?, ?)', [channel, payload]);
  }

  private receive(client: Client, channel: string, payload: string): void {
    this.stats.delivered++;
    let message: Message;
    try {
      message = JSON.parse(payload) as Message;
    } catch {
      this.handler(null); // not ours or malformed: evict everything, to be safe
      return;
    }
    if (channel !== this.name) {
      // Our own channel: an acknowledgement of one of our invalidations.
      if (message.t === 'ack') this.acknowledged(message.n, message.from);
      return;
    }
    if (message.t !== 'inv') return this.handler(null);
    if (message.from === this.id) return this.acknowledged(message.n, this.id);
    this.handler(Array.isArray(message.ids) ? message.ids.map(String) : null);
    // Acknowledge only once evicted (the handler is synchronous), to the publisher alone.
    this.notify(client, this.channelOf(String(message.from)), { t: 'ack', from: this.id, n: message.n }).catch(() => {});
  }

  /**
   * Renews our lease (5 s from now, by the database's clock), removes leases expired for a minute
   * (instances that died), and reads who else holds one.
   */
  private async renew(client: Client): Promise<void> {
    const result = await this.query<{ id: string }>(
      client,
      `WITH gone AS (
         DELETE FROM ${this.instancesTable} WHERE expires_at < now() - interval '1 minute'
       ), lease AS (
         INSERT INTO ${this.instancesTable} (id, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
         ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at
       )
       SELECT id FROM ${this.instancesTable} WHERE expires_at > now() AND id <> $1`,
      [this.id, LEASE_MS],
    );
    this.members = result.rows.map((row) => row.id);
  }

  /** One heartbeat: a round trip on the listening connection (see {@link HEARTBEAT_MS}). */
  private async beat(client: Client): Promise<void> {
    // A heartbeat still on its way (a slow or partitioned connection) is not doubled: staleness grows.
    if (this.beating) return;
    this.beating = true;
    try {
      await this.query(client, 'SELECT 1');
      this.stats.heartbeats++;
      this.lastHeard = Date.now();
    } finally {
      this.beating = false;
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const config = typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection;
    // Named, so a DBA (or a test) can tell the listener apart in pg_stat_activity.
    const PgClient = (this.knex.client as { driver: { Client: typeof Client } }).driver.Client;
    const client = new PgClient({ ...config, application_name: `sessionwatch-listener ${this.name} ${this.id}`.slice(0, 63) });
    this.client = client;
    // A new connection does not wait behind the queries of one that was lost.
    this.queries = Promise.resolve();
    const lost = (error?: unknown) => {
      if (error !== undefined) this.observe(error);
      if (this.client !== client) return;
      this.client = undefined;
      this.listening = false;
      this.leased = false;
      clearInterval(this.heartbeat);
      clearInterval(this.renewal);
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.payload && (message.channel === this.name || message.channel === this.channelOf(this.id))) {
        this.receive(client, message.channel, message.payload);
      }
    });
    try {
      await client.connect();
      await this.query(client, `LISTEN ${identifier(this.name)}`);
      await this.query(client, `LISTEN ${identifier(this.channelOf(this.id))}`);
      await this.renew(client);
      if (this.client !== client || this.closed) return;
      // Anything may have changed while we were not listening; a read under way is not cached.
      this.handler(null);
      this.listening = this.leased = true;
      this.lastHeard = Date.now();
      this.retryDelay = 100;
      this.heartbeat = setInterval(() => void this.beat(client).catch(lost), HEARTBEAT_MS);
      this.heartbeat.unref();
      this.renewal = setInterval(() => void this.renew(client).catch(lost), LEASE_RENEW_MS);
      this.renewal.unref();
    } catch (err) {
      lost(err);
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
