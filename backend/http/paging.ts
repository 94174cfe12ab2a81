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
