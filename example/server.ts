/** `npm start`: the demo app on http://localhost:3000 (see README for the environment variables). */
import { createExampleApp, fromEnv } from './app';
import { MemorySessionStore } from './memory-session-store';

async function main(): Promise<void> {
  const config = fromEnv();
  if (process.env.SESSION_STORE === 'memory') config.sessionStore = new MemorySessionStore();
  const example = await createExampleApp(config);
  const { app } = example;
  const server = app.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    console.log(`sessionwatch demo on http://localhost:${port} (database ${config.databaseUrl.replace(/\/\/[^@]*@/, '//***@')})`);
    console.log('Log in as johndoe / johndoe.');
  });
  const stop = () => {
    server.close();
    void example.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
