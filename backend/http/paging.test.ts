import { SessionWatchHttpError } from '../errors';
import { PagingError } from '../tracking/paging';
import { pageOr400 } from './paging';

test('a paging error becomes a 400 bad_request with its message; anything else passes through', async () => {
  await expect(pageOr400(async () => 'page')).resolves.toBe('page');
  const refused = pageOr400(async () => {
    throw new PagingError('limit must be an integer from 1 to 200');
  });
  await expect(refused).rejects.toBeInstanceOf(SessionWatchHttpError);
  await expect(refused).rejects.toMatchObject({ status: 400, code: 'bad_request', message: 'limit must be an integer from 1 to 200' });
  const other = new Error('database down');
  await expect(pageOr400(() => Promise.reject(other))).rejects.toBe(other);
});
