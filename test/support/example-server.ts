/**
 * Starts the example app on a free port against a fresh test database: the server that
 * integration and browser tests talk to over real HTTP.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExampleApp, type ExampleApp, type ExampleConfig } from '../../example/app';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases';

export interface RunningExample extends ExampleApp {
  url: string;
  db: TestDatabase;
  server: Server;
  /** Stops the server; the database stays (for restart tests) unless `dropDatabase`. */
  stop(options?: { dropDatabase?: boolean }): Promise<void>;
}

export interface StartOptions extends Partial<ExampleConfig> {
  /** Reuse this database (e.g. to restart on the same data). */
  db?: TestDatabase;
  port?: number;
}

export async function startExample(kind: DatabaseKind, options: StartOptions = {}): Promise<RunningExample> {
  const db = options.db ?? (await createTestDatabase(kind));
  const example = await createExampleApp({
    databaseUrl: db.url,
    schema: db.schema,
    keys: ['test-secret-key'],
    sweepInterval: 0,
    // The demo's server log ("new sign-in") would only be noise in test output.
    log: () => {},
    ...options,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = example.app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...example,
    db,
    server,
    url: `http://127.0.0.1:${port}`,
    async stop({ dropDatabase = true } = {}) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await example.close();
      if (dropDatabase) await db.drop();
    },
  };
}
