import type { Context } from 'koa';
import { ERROR } from '../../shared/protocol';
import { SessionWatchHttpError } from '../errors';
import { PagingError } from '../tracking/paging';

/** A page for a route: a bad `limit` or `cursor` (a PagingError) becomes the 400 that says why. */
export async function pageOr400<T>(page: () => Promise<T>): Promise<T> {
  try {
    return await page();
  } catch (err) {
    if (err instanceof PagingError) throw new SessionWatchHttpError(ERROR.badRequest, err.message);
    throw err;
  }
}

/**
 * The query parameters of a list route, each absent or given once: an unknown parameter
 * (`userId[]`, a typo) or a repeated one is a 400 that names it, never silently ignored.
 */
export function queryParams<K extends string>(ctx: Context, known: readonly K[]): Partial<Record<K, string>> {
  const params: Partial<Record<K, string>> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    if (!(known as readonly string[]).includes(name)) {
      throw new SessionWatchHttpError(ERROR.badRequest, `unknown query parameter ${JSON.stringify(name)} (known: ${known.join(', ')})`);
    }
    if (typeof value !== 'string') throw new SessionWatchHttpError(ERROR.badRequest, `${name} must be given once`);
    params[name as K] = value;
  }
  return params;
}
