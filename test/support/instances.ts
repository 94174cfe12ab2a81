/**
 * Waits until several sessionwatch instances on one Postgres are connected to their invalidation
 * channel and know each other, as they are a moment after they start in production.
 */
import type { SessionWatch } from '../../backend/sessionwatch';
import { CachedStore } from '../../backend/store/cached-store';
import { PgInvalidationChannel } from '../../backend/store/pg-invalidation';
import { until } from './wait';

export async function waitUntilAcquainted(instances: SessionWatch[], timeoutMs = 10_000): Promise<void> {
  const channels = instances.map((sw) => {
    const channel = sw.store instanceof CachedStore ? sw.store.channel : undefined;
    if (!(channel instanceof PgInvalidationChannel)) throw new Error('instance has no Postgres invalidation channel');
    return channel;
  });
  const ready = () =>
    channels.every((channel) => channel.connected && channels.every((other) => other === channel || channel.peers.includes(other.id)));
  await until(ready, { timeout: timeoutMs, every: 25, what: 'the instances to get acquainted' });
}
