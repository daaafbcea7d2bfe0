import { spawn, type ChildProcess } from 'node:child_process';

const MAIN = new URL('../main.js', import.meta.url).pathname;

/**
 * A Vigil server in its own process on loopback, on `databaseUrl`, ready (its
 * /readyz answers) when this resolves. `env` adds to or overrides the
 * environment; stderr is passed through only when `showErrors` is set.
 */
export const startServerProcess = async (
  databaseUrl: string,
  port: number,
  options: { env?: Record<string, string>; showErrors?: boolean } = {},
): Promise<ChildProcess> => {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: options.showErrors ? 'warn' : 'silent',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', options.showErrors ? 'inherit' : 'ignore'],
  });
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (ready?.ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('Vigil did not start');
};
