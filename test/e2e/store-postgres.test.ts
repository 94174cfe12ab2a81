/**
 * The store contract (test/support/store-contract.ts) on the Knex store over real Postgres: it must
 * behave as the in-memory and SQLite stores do (backend/store/store.test.ts).
 */
import { indexesServeEveryQuery, storeContract } from '../support/store-contract';

describe.each(['postgres'] as const)('%s store', (kind) => storeContract(kind));

describe('indexes', () => {
  test.each(['postgres'] as const)('every query of the store is served by an index on %s', indexesServeEveryQuery);
});
