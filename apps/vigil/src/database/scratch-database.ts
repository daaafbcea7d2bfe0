import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDataSource, migrate } from './data-source.js';

export interface ScratchDatabase {
  url: string;
  /** True when no server was named and an embedded one was started for it. */
  embedded: boolean;
  /** Drops the database, and stops and deletes the embedded server if one was started. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test or benchmark run: on the server that
 * `serverUrl` names, or on an embedded PostgreSQL in a temporary folder.
 */
export const createScratchDatabase = async (prefix: string, serverUrl?: string): Promise<ScratchDatabase> => {
  let stopServer = async () => undefined as void;
  let adminUrl = serverUrl;
  if (!adminUrl) {
    const folder = mkdtempSync(join(tmpdir(), `${prefix}-pg-`));
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
    const server = await startEmbeddedPostgres({ dataDir: folder, port: 'free', database: 'postgres' });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      rmSync(folder, { recursive: true, force: true });
    };
  }
  const name = `${prefix.replace(/\W/g, '_')}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dataSource = createDataSource(url.toString(), 2);
  await dataSource.initialize();
  await migrate(dataSource);
  await dataSource.destroy();
  return {
    url: url.toString(),
    embedded: !serverUrl,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await client.end();
      await stopServer();
    },
  };
};
