import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The folded state of each alert group at a version, written in the same
 * transaction as the group's events, so a delivery reads one row instead of
 * the group's whole history (a busy alert repeats thousands of times). Derived
 * data: without it, the state is folded from the stream.
 */
export class AlertGroupSnapshots1764300000006 implements MigrationInterface {
  name = 'AlertGroupSnapshots1764300000006';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE alert_group_snapshots (
        stream_id text PRIMARY KEY,
        version   integer NOT NULL,
        state     jsonb   NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE alert_group_snapshots`);
  }
}
