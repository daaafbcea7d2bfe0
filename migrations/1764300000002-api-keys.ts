import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys are configuration, not history: plain rows, the secret kept only as its SHA-256. */
export class ApiKeys1764300000002 implements MigrationInterface {
  name = 'ApiKeys1764300000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_keys (
        id         uuid PRIMARY KEY,
        name       text        NOT NULL,
        prefix     text        NOT NULL,
        key_hash   text        NOT NULL UNIQUE,
        scopes     text[]      NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE api_keys`);
  }
}
