import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations/index.js';

export const createDataSource = (url: string, poolSize = 10): DataSource =>
  new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, application_name: 'vigil' },
  });

/** The node-postgres pool under TypeORM; the event store and projections speak SQL to it directly. */
export const poolOf = (dataSource: DataSource): Pool =>
  (dataSource.driver as unknown as { master: Pool }).master;

/** Applies pending migrations, each in its own transaction, holding an advisory lock so two processes do not race. */
export const migrate = async (dataSource: DataSource): Promise<string[]> => {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('vigil-migrations'))`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(hashtext('vigil-migrations'))`).catch(() => undefined);
    await lock.release();
  }
};
