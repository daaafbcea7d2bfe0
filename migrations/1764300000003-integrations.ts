import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Integrations are configuration (plain rows, as API keys are); what they
 * receive is history, in the event log. A delivery receipt remembers the answer
 * to a payload, so a sender's retry of the same bytes appends nothing.
 */
export class Integrations1764300000003 implements MigrationInterface {
  name = 'Integrations1764300000003';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE integrations (
        id           uuid PRIMARY KEY,
        name         text        NOT NULL,
        service      text        NOT NULL,
        type         text        NOT NULL,
        key_hash     text        NOT NULL UNIQUE,
        key_prefix   text        NOT NULL,
        auto_resolve boolean     NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now(),
        rotated_at   timestamptz,
        disabled_at  timestamptz
      )`);
    await db.query(`
      CREATE TABLE delivery_receipts (
        integration_id uuid        NOT NULL,
        payload_hash   text        NOT NULL,
        response       jsonb       NOT NULL,
        received_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (integration_id, payload_hash)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE delivery_receipts`);
    await db.query(`DROP TABLE integrations`);
  }
}
