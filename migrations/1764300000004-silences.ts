import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Silences and maintenance windows are configuration; each alert they hold back is an event. */
export class Silences1764300000004 implements MigrationInterface {
  name = 'Silences1764300000004';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE silences (
        id         uuid PRIMARY KEY,
        matchers   jsonb       NOT NULL,
        starts_at  timestamptz NOT NULL,
        ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
        comment    text        NOT NULL,
        created_by text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX silences_by_end ON silences (ends_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE silences`);
  }
}
