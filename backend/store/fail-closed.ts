import { SessionWatchConfigError, StoreUnavailableError } from '../errors';
import { isMissingTableError } from './missing-table';
import type { EndReason } from '../../shared/protocol';
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

/** Told of every guarded call's outcome: the error, or undefined on success. */
export type StoreObserver = (error: unknown) => void;

/**
 * Wraps a store so that every failure or a call slower than `timeoutMs` becomes a
 * {@link StoreUnavailableError} (503): requests fail closed and fast instead of hanging. A missing
 * table is not an outage but a forgotten `migrate()`: it becomes a {@link SessionWatchConfigError}
 * (500) saying so. `observe` sees every outcome, so that errors can be logged.
 */
export function failClosed(
  store: Store,
  timeoutMs: number,
  observe: StoreObserver = () => {},
  missingTableMessage = 'run migrate()',
): Store {
  return new FailClosedStore(store, timeoutMs, observe, missingTableMessage);
}

/**
 * The decorator behind {@link failClosed}: every query is guarded; `migrate()` and `close()` are
 * not (they run at start and stop, where the caller wants the real error and no timeout).
 */
class FailClosedStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly timeoutMs: number,
    private readonly observe: StoreObserver,
    private readonly missingTableMessage: string,
  ) {}

  private guard<T>(call: () => Promise<T>): Promise<T> {
    return guard(call, this.timeoutMs, this.observe, this.missingTableMessage);
  }

  migrate(): Promise<void> {
    return this.inner.migrate();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Run by `migrate()`: unguarded, like it. */
  rewriteAddresses(rewrite: (ip: string) => string): Promise<number> {
    return this.inner.rewriteAddresses(rewrite);
  }

  insert(record: SessionRecord): Promise<void> {
    return this.guard(() => this.inner.insert(record));
  }

  findByTokenHash(tokenHash: string, options?: { fresh?: boolean }): Promise<SessionRecord | undefined> {
    return this.guard(() => this.inner.findByTokenHash(tokenHash, options));
  }

  findByStoreKey(storeKey: string): Promise<SessionRecord | undefined> {
    return this.guard(() => this.inner.findByStoreKey(storeKey));
  }

  findById(id: string): Promise<SessionRecord | undefined> {
    return this.guard(() => this.inner.findById(id));
  }

  listActive(userId: string): Promise<SessionRecord[]> {
    return this.guard(() => this.inner.listActive(userId));
  }

  listActivePage(query: ActivePageQuery): Promise<SessionRecord[]> {
    return this.guard(() => this.inner.listActivePage(query));
  }

  touch(id: string, at: number): Promise<number | undefined> {
    return this.guard(() => this.inner.touch(id, at));
  }

  end(id: string, reason: Exclude<EndReason, 'logged-out'>, at: number): Promise<SessionRecord | undefined> {
    return this.guard(() => this.inner.end(id, reason, at));
  }

  endAllOfUser(userId: string, reason: Exclude<EndReason, 'logged-out'>, at: number, exceptId?: string): Promise<SessionRecord[]> {
    return this.guard(() => this.inner.endAllOfUser(userId, reason, at, exceptId));
  }

  endAllOfIdp(issuer: string, match: IdpMatch, reason: 'revoked', at: number): Promise<SessionRecord[]> {
    return this.guard(() => this.inner.endAllOfIdp(issuer, match, reason, at));
  }

  setLimits(userId: string, limits: SessionLimits | null, onlyId?: string): Promise<SessionRecord[]> {
    return this.guard(() => this.inner.setLimits(userId, limits, onlyId));
  }

  setStoreKey(id: string, storeKey: string | null): Promise<boolean> {
    return this.guard(() => this.inner.setStoreKey(id, storeKey));
  }

  delete(id: string): Promise<SessionRecord | undefined> {
    return this.guard(() => this.inner.delete(id));
  }

  relocate(id: string, ip: string, location: Location | null): Promise<boolean> {
    return this.guard(() => this.inner.relocate(id, ip, location));
  }

  addEvents(events: SecurityEventRecord[]): Promise<void> {
    return this.guard(() => this.inner.addEvents(events));
  }

  listEvents(query: EventPageQuery): Promise<SecurityEventRecord[]> {
    return this.guard(() => this.inner.listEvents(query));
  }

  hasLogin(userId: string, device: DeviceKey, since: number): Promise<boolean> {
    return this.guard(() => this.inner.hasLogin(userId, device, since));
  }

  sweep(cutoffs: SweepCutoffs): Promise<SweepResult> {
    return this.guard(() => this.inner.sweep(cutoffs));
  }

  count(options?: { activeOnly?: boolean }): Promise<number> {
    return this.guard(() => this.inner.count(options));
  }
}

/**
 * Runs `call` under the timeout. One promise and one timer per call, no `Promise.race`: every
 * query of every request (a ping's write, a cache miss) goes through here.
 */
function guard<T>(call: () => Promise<T>, timeoutMs: number, observe: StoreObserver, missingTableMessage: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      try {
        observe(err);
      } catch {
        /* an observer's own failure changes nothing: the call failed */
      }
      if (err instanceof SessionWatchConfigError || err instanceof StoreUnavailableError) reject(err);
      else if (isMissingTableError(err)) reject(new SessionWatchConfigError(missingTableMessage));
      else reject(new StoreUnavailableError(err));
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      fail(new Error(`store call timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (err) {
      settled = true;
      clearTimeout(timer);
      fail(err);
      return;
    }
    pending.then(
      (result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          observe(undefined);
        } catch (err) {
          fail(err);
          return;
        }
        resolve(result);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fail(err);
      },
    );
  });
}
