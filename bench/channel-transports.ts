/**
 * Part of figure 11: Postgres LISTEN/NOTIFY against Redis pub/sub as the transport of an
 * acknowledged invalidation, measured side by side (issue 18: "decide by measurement").
 *
 * N listeners, each with the connections an instance would have (Postgres: one listening
 * connection that also sends its acknowledgements; Redis: a subscriber and a publisher, since a
 * subscribed Redis connection cannot publish), and a publisher that sends an invalidation and waits
 * for every listener's acknowledgement on a channel of its own: the protocol of
 * `backend/store/pg-invalidation.ts` without the database work around it. All in this process, so
 * both transports share the same scheduling: the difference is the transport.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import { percentile, round } from './lib/stats';
import { info, type Row } from './lib/types';

export const REDIS_BENCH_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** One transport: start N listeners and a publisher; `roundTrip()` resolves once all N acknowledged. */
interface Transport {
  roundTrip(): Promise<void>;
  close(): Promise<void>;
}

/** Waits for `count` acknowledgements of each invalidation id. */
function acknowledgements(count: number) {
  const pending = new Map<string, { left: number; done: () => void }>();
  return {
    expect(n: string): Promise<void> {
      return new Promise((resolve) => pending.set(n, { left: count, done: resolve }));
    },
    heard(n: string): void {
      const entry = pending.get(n);
      if (entry && --entry.left === 0) {
        pending.delete(n);
        entry.done();
      }
    },
  };
}

async function postgresTransport(url: string, listeners: number): Promise<Transport> {
  const suffix = randomBytes(4).toString('hex');
  const [inv, ack] = [`bench_inv_${suffix}`, `bench_ack_${suffix}`];
  const acks = acknowledgements(listeners);
  const publisher = new Client({ connectionString: url });
  const ackListener = new Client({ connectionString: url });
  const clients = [publisher, ackListener];
  await Promise.all(clients.map((c) => c.connect()));
  await ackListener.query(`LISTEN ${ack}`);
  ackListener.on('notification', (m) => acks.heard(m.payload ?? ''));
  for (let i = 0; i < listeners; i++) {
    const client = new Client({ connectionString: url });
    clients.push(client);
    await client.connect();
    await client.query(`LISTEN ${inv}`);
    client.on('notification', (m) => void client.query('SELECT pg_notify($1, $2)', [ack, m.payload]));
  }
  return {
    async roundTrip() {
      const n = randomBytes(8).toString('hex');
      const done = acks.expect(n);
      await publisher.query('SELECT pg_notify($1, $2)', [inv, n]);
      await done;
    },
    async close() {
      await Promise.all(clients.map((c) => c.end()));
    },
  };
}

async function redisTransport(url: string, listeners: number): Promise<Transport> {
  const suffix = randomBytes(4).toString('hex');
  const [inv, ack] = [`bench:inv:${suffix}`, `bench:ack:${suffix}`];
  const acks = acknowledgements(listeners);
  const publisher = new Redis(url);
  const ackSubscriber = new Redis(url);
  const connections = [publisher, ackSubscriber];
  await ackSubscriber.subscribe(ack);
  ackSubscriber.on('message', (_channel: string, n: string) => acks.heard(n));
  for (let i = 0; i < listeners; i++) {
    const subscriber = new Redis(url);
    const own = new Redis(url);
    connections.push(subscriber, own);
    await subscriber.subscribe(inv);
    subscriber.on('message', (_channel: string, n: string) => void own.publish(ack, n));
  }
  return {
    async roundTrip() {
      const n = randomBytes(8).toString('hex');
      const done = acks.expect(n);
      await publisher.publish(inv, n);
      await done;
    },
    async close() {
      connections.forEach((c) => c.disconnect());
    },
  };
}

/** Round trips (ms) of one transport: `rounds` invalidations one after the other, 10 ms apart. */
async function measure(transport: Transport, rounds: number): Promise<number[]> {
  const times: number[] = [];
  try {
    for (let i = 0; i < 10; i++) await transport.roundTrip(); // warm-up
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      await transport.roundTrip();
      times.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await transport.close();
  }
  return times;
}

/** The rows: acknowledged invalidation round trips to `listeners` listeners over each transport. */
export async function transportRows(pgUrl: string, listeners: number, rounds: number): Promise<Row[]> {
  const pg = await measure(await postgresTransport(pgUrl, listeners), rounds);
  const redis = await measure(await redisTransport(REDIS_BENCH_URL, listeners), rounds);
  const summary = (times: number[]) =>
    `p50 ${round(percentile(times, 50), 2)} ms, p99 ${round(percentile(times, 99), 2)} ms over ${times.length}`;
  return [
    info(
      `transport: acknowledged invalidation to ${listeners} listeners, Postgres NOTIFY, p99`,
      round(percentile(pg, 99), 2),
      'ms',
      `${summary(pg)} round trips (one NOTIFY, ${listeners} acknowledgements by NOTIFY; each NOTIFY wakes every listening backend)`,
    ),
    info(
      `transport: the same over Redis pub/sub, p99`,
      round(percentile(redis, 99), 2),
      'ms',
      `${summary(redis)} round trips (one PUBLISH, ${listeners} acknowledgements by PUBLISH); same process, same scheduling`,
    ),
  ];
}
