import { SessionWatchConfigError, StoreUnavailableError } from '../errors';
import { isMissingTableError } from './missing-table';
import type { Store } from './types';

/** Told of every guarded call's outcome: the error, or undefined on success. */
export type StoreObserver = (error: unknown) => void;

/**
 * Wraps a store so that every failure or a call slower than `timeoutMs` becomes a
 * {@link StoreUnavailableError} (503): requests fail closed and fast instead of hanging. A missing
 * table is not an outage but a forgotten `migrate()`: it becomes a {@link SessionWatchConfigError}
 * (500) saying so. `observe` sees every outcome, so that errors can be logged.
 */
export function failClosed(store: Store, timeoutMs: number, observe: StoreObserver = () => {}, missingTableMessage = 'run migrate()'): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close' || property === 'migrate') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => guard(() => value.apply(target, args), timeoutMs, observe, missingTableMessage);
    },
  });
}

async function guard<T>(call: () => Promise<T>, timeoutMs: number, observe: StoreObserver, missingTableMessage: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store call timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([call(), timeout]);
    observe(undefined);
    return result;
  } catch (err) {
    observe(err);
    if (err instanceof SessionWatchConfigError || err instanceof StoreUnavailableError) throw err;
    if (isMissingTableError(err)) throw new SessionWatchConfigError(missingTableMessage);
    throw new StoreUnavailableError(err);
  } finally {
    clearTimeout(timer);
  }
}
