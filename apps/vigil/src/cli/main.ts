import 'reflect-metadata';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig, SCOPES } from '#vigil/common';
import { serializeError } from '../observability/logger.js';
import { startRuntime, type Runtime } from '../runtime.js';

const USAGE = `usage: npm run vigil -- <command>

  migrate                                   apply pending database migrations
  replay                                    drop every read model and rebuild it from the event log
  api-key create --name NAME --scopes a,b   create an API key (printed alone on the last line)
  api-key list                              list API keys (never their secrets)
  api-key revoke ID                         revoke an API key

Scopes: ${SCOPES.join(', ')} (admin implies every scope).`;

const commands: Record<string, (runtime: Runtime, args: string[]) => Promise<void>> = {
  migrate: async () => {
    console.log('migrations are applied');
  },
  replay: async (runtime) => {
    const started = performance.now();
    const events = await runtime.subscriptions.replay();
    const seconds = (performance.now() - started) / 1000;
    console.log(`replayed ${events} events into every read model in ${seconds.toFixed(2)} s`);
  },
  'api-key': async (runtime, args) => {
    const [sub, ...rest] = args;
    if (sub === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, scopes: { type: 'string' } },
      });
      if (!values.name || !values.scopes) throw new Error('api-key create needs --name and --scopes');
      const { record, key } = await runtime.apiKeys.create(
        values.name,
        values.scopes.split(',').map((s) => s.trim()),
      );
      console.log(`created API key ${record.id} "${record.name}" with scopes ${record.scopes.join(', ')}`);
      console.log('store it now; Vigil keeps only its hash:');
      console.log(key);
    } else if (sub === 'list') {
      for (const k of await runtime.apiKeys.list()) {
        console.log(
          `${k.id}  ${k.prefix}…  ${k.name}  [${k.scopes.join(',')}]${k.revokedAt ? `  revoked ${k.revokedAt}` : ''}`,
        );
      }
    } else if (sub === 'revoke' && rest[0]) {
      if (!/^[0-9a-f-]{36}$/i.test(rest[0])) throw new Error('api-key revoke takes the key id (a UUID)');
      console.log((await runtime.apiKeys.revoke(rest[0])) ? 'revoked' : 'no such active key');
    } else {
      throw new Error('api-key takes create, list or revoke');
    }
  },
};

const main = async () => {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(USAGE);
    process.exit(name === undefined || name === 'help' || name === '--help' ? 0 : 2);
  }
  const config = { ...loadConfig(), roles: { api: false, worker: false } };
  const log = pino(
    { level: process.env.LOG_LEVEL ?? 'warn', serializers: { err: serializeError } },
    pino.destination(2),
  );
  const runtime = await startRuntime(config, log);
  try {
    await command(runtime, args);
  } finally {
    await runtime.close();
  }
};

main().catch((err: unknown) => {
  console.error(`vigil: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
