import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What some receivers check before taking a request: Grafana's HMAC secret
 * (stored as given, since verifying needs the key itself) and the SNS topics a
 * CloudWatch integration takes messages from (none until an admin lists some).
 */
export class IntegrationReceiverSettings1764300000007 implements MigrationInterface {
  name = 'IntegrationReceiverSettings1764300000007';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE integrations
        ADD COLUMN hmac_secret    text   NULL,
        ADD COLUMN sns_topic_arns text[] NOT NULL DEFAULT '{}'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE integrations DROP COLUMN sns_topic_arns, DROP COLUMN hmac_secret`);
  }
}
