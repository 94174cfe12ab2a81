/**
 * The store contract (test/support/store-contract.ts) on the in-memory store and the Knex store on
 * real SQLite. The same contract on Postgres: test/e2e/store-postgres.test.ts.
 */
import { indexesServeEveryQuery, storeContract } from '../../test/support/store-contract';

describe.each(['memory', 'sqlite'] as const)('%s store', (kind) => storeContract(kind));

describe('indexes', () => {
  test.each(['sqlite'] as const)('every query of the store is served by an index on %s', indexesServeEveryQuery);
});
