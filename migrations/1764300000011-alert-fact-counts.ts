import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alert facts counted per minute instead of kept one row per fact: a busy
 * integration repeats thousands of alerts a minute, and the fatigue report only
 * ever sums them. Derived data: the alert-fatigue projection rebuilds it.
 */
export class AlertFactCounts1764300000011 implements MigrationInterface {
  name = 'AlertFactCounts1764300000011';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE alert_fact_counts (
        minute  timestamptz NOT NULL,
        service text        NOT NULL,
        rule    text        NOT NULL,
        kind    text        NOT NULL,
        count   integer     NOT NULL,
        PRIMARY KEY (minute, service, rule, kind)
      )`);
    await db.query(`DROP TABLE alert_facts`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE alert_facts (
        event_id    uuid        NOT NULL,
        kind        text        NOT NULL,
        occurred_at timestamptz NOT NULL,
        service     text        NOT NULL,
        rule        text        NOT NULL,
        PRIMARY KEY (event_id, kind)
      )`);
    await db.query(`CREATE INDEX alert_facts_by_time ON alert_facts (occurred_at, service)`);
    await db.query(`DROP TABLE alert_fact_counts`);
  }
}
