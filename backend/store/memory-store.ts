import type { Location } from '../../shared/protocol';
import type {
  ActivePageQuery,
  DeviceKey,
  EventPageQuery,
  SecurityEventRecord,
  Store,
  SessionLimits,
  SessionRecord,
  SweepCutoffs,
  SweepResult,
  IdpMatch,
} from './types';
import { sweepSelects } from '../inactivity/policy';
import { idpMatcher } from './idp-match';

/**
 * A {@link Store} in a Map: no persistence, one process only. Meant for unit tests, demos and as
 * the reference behaviour of the interface.
 */
export class MemoryStore implements Store {
  private readonly records = new Map<string, SessionRecord>();
  private events: SecurityEventRecord[] = [];

  async migrate(): Promise<void> {}

  async insert(record: SessionRecord): Promise<void> {
    if (this.records.has(record.id)) throw new Error(`duplicate session id ${record.id}`);
    this.records.set(record.id, { ...record });
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    return this.copyOf([...this.records.values()].find((r) => r.tokenHash === tokenHash));
  }

  async findByStoreKey(storeKey: string): Promise<SessionRecord | undefined> {
    return this.copyOf([...this.records.values()].find((r) => r.storeKey === storeKey));
  }

  async findById(id: string): Promise<SessionRecord | undefined> {
    return this.copyOf(this.records.get(id));
  }

  async listActive(userId: string): Promise<SessionRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.userId === userId && r.endedAt === null)
      .sort((a, b) => b.lastActivity - a.lastActivity)
      .map((r) => ({ ...r }));
  }

  async listActivePage({ userId, limit, after }: ActivePageQuery): Promise<SessionRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.endedAt === null && (userId === undefined || r.userId === userId))
      .filter((r) => !after || r.lastActivity < after.lastActivity || (r.lastActivity === after.lastActivity && r.id < after.id))
      .sort((a, b) => b.lastActivity - a.lastActivity || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async touch(id: string, at: number): Promise<number | undefined> {
    const record = this.records.get(id);
    if (!record || record.endedAt !== null) return undefined;
    record.lastActivity = Math.max(record.lastActivity, Math.round(at));
    return record.lastActivity;
  }

  async end(id: string, reason: 'expired' | 'revoked', at: number): Promise<SessionRecord | undefined> {
    const record = this.records.get(id);
    if (!record || record.endedAt !== null) return undefined;
    const before = { ...record };
    record.endedAt = at;
    record.endReason = reason;
    return before;
  }

  async endAllOfUser(userId: string, reason: 'expired' | 'revoked', at: number, exceptId?: string) {
    const ended: SessionRecord[] = [];
    for (const record of this.records.values()) {
      if (record.userId !== userId || record.id === exceptId || record.endedAt !== null) continue;
      ended.push({ ...record });
      record.endedAt = at;
      record.endReason = reason;
    }
    return ended;
  }

  async endAllOfIdp(issuer: string, match: IdpMatch, reason: 'revoked', at: number): Promise<SessionRecord[]> {
    const matches = idpMatcher(issuer, match);
    const ended: SessionRecord[] = [];
    for (const record of this.records.values()) {
      if (record.endedAt !== null || !matches(record)) continue;
      ended.push({ ...record });
      record.endedAt = at;
      record.endReason = reason;
    }
    return ended;
  }

  async setLimits(userId: string, limits: SessionLimits | null, onlyId?: string): Promise<SessionRecord[]> {
    const changed: SessionRecord[] = [];
    for (const record of this.records.values()) {
      if (record.userId !== userId || record.endedAt !== null || (onlyId !== undefined && record.id !== onlyId)) continue;
      record.limits = limits && { ...limits };
      changed.push({ ...record });
    }
    return changed;
  }

  async setStoreKey(id: string, storeKey: string | null): Promise<boolean> {
    const record = this.records.get(id);
    if (!record || record.endedAt !== null) return false;
    record.storeKey = storeKey;
    return true;
  }

  async relocate(id: string, ip: string, location: Location | null): Promise<boolean> {
    const record = this.records.get(id);
    if (!record || record.endedAt !== null) return false;
    record.loginIp ??= record.ip;
    record.ip = ip;
    record.location = location && { ...location };
    return true;
  }

  async rewriteAddresses(rewrite: (ip: string) => string): Promise<number> {
    let changed = 0;
    const apply = (ip: string) => {
      const rewritten = rewrite(ip);
      if (rewritten !== ip) changed++;
      return rewritten;
    };
    for (const record of this.records.values()) {
      record.ip = apply(record.ip);
      if (record.loginIp !== null) record.loginIp = apply(record.loginIp);
    }
    for (const event of this.events) event.ip = apply(event.ip);
    return changed;
  }

  async addEvents(events: SecurityEventRecord[]): Promise<void> {
    this.events.push(...events.map((event) => ({ ...event, location: event.location && { ...event.location } })));
  }

  async listEvents({ userId, limit, after, since }: EventPageQuery): Promise<SecurityEventRecord[]> {
    return this.events
      .filter((e) => e.userId === userId && (since === undefined || e.at >= since))
      .filter((e) => !after || e.at < after.at || (e.at === after.at && e.id < after.id))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }

  async hasLogin(userId: string, device: DeviceKey, since: number): Promise<boolean> {
    return this.events.some(
      (e) =>
        e.userId === userId &&
        e.type === 'login' &&
        e.at >= since &&
        e.browserName === device.browserName &&
        e.osName === device.osName &&
        e.deviceType === device.deviceType,
    );
  }

  async delete(id: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(id);
    this.records.delete(id);
    return this.copyOf(record);
  }

  async sweep(cutoffs: SweepCutoffs): Promise<SweepResult> {
    const { endedBefore, now } = cutoffs;
    const expired: SessionRecord[] = [];
    let deleted = 0;
    for (const record of [...this.records.values()]) {
      if (record.endedAt === null) {
        if (sweepSelects(record, cutoffs)) {
          expired.push({ ...record });
          record.endedAt = now;
          record.endReason = 'expired';
        }
      } else if (record.endedAt < endedBefore) {
        this.records.delete(record.id);
        deleted++;
      }
    }
    const kept = this.events.filter((e) => e.at >= cutoffs.eventsBefore);
    const purgedEvents = this.events.length - kept.length;
    this.events = kept;
    return { expired, deleted, purgedEvents };
  }

  async count(options: { activeOnly?: boolean } = {}): Promise<number> {
    if (!options.activeOnly) return this.records.size;
    return [...this.records.values()].filter((r) => r.endedAt === null).length;
  }

  async close(): Promise<void> {}

  private copyOf(record: SessionRecord | undefined): SessionRecord | undefined {
    return record && { ...record };
  }
}
