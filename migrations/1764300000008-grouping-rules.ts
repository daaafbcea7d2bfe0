import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each service's rule for folding alerts into incidents (group_by labels and a window). */
export class GroupingRules1764300000008 implements MigrationInterface {
  name = 'GroupingRules1764300000008';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE grouping_rules (
        service        text        PRIMARY KEY,
        group_by       text[]      NOT NULL,
        window_minutes integer     NULL CHECK (window_minutes > 0),
        updated_by     text        NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE grouping_rules`);
  }
}
