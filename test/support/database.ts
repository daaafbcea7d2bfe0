import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresEventStore } from '#vigil/event-store';

/** The migrated scratch database that scripts/run-tests.js prepared for this run. */
export const testDatabaseUrl = (): string => {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set; run the tests through `npm test`');
  return url;
};

export const testPool = (max = 10): pg.Pool => new pg.Pool({ connectionString: testDatabaseUrl(), max });

/** A stream id no other test uses. */
export const uniqueStream = (prefix = 'test'): string => `${prefix}-${randomUUID()}`;

/** The newest event by the subscription index, as text: any append in between would change it. */
export const logHead = async (pool: pg.Pool): Promise<string> =>
  JSON.stringify(await new PostgresEventStore(pool).logHead());
