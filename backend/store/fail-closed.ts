import { StoreUnavailableError } from '../errors';
import type { Store } from './types';

/**
 * Wraps a store so that every failure or a call slower than `timeoutMs` becomes a
 * {@link StoreUnavailableError} (503): requests fail closed and fast instead of hanging.
 */
export function failClosed(store: Store, timeoutMs: number): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close' || property === 'migrate') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => guard(() => value.apply(target, args), timeoutMs);
    },
  });
}

async function guard<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store call timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (err) {
    throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(err);
  } finally {
    clearTimeout(timer);
  }
}
