import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Read models behind the alert-fatigue report; both are rebuilt by replay. */
export class AlertFatigue1764300000005 implements MigrationInterface {
  name = 'AlertFatigue1764300000005';

  async up(db: QueryRunner): Promise<void> {
    // One row per alert fact that counts: received, deduplicated, suppressed, opened (an incident).
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
    // Which rule and service each alert of each group belongs to (repeats do not carry labels).
    await db.query(`
      CREATE TABLE alert_keys (
        group_stream_id text NOT NULL,
        alert_key       text NOT NULL,
        service         text NOT NULL,
        rule            text NOT NULL,
        PRIMARY KEY (group_stream_id, alert_key)
      )`);
    // Incidents that alerts opened, and whether a person ever acted on them.
    await db.query(`
      CREATE TABLE alert_incidents (
        incident_id uuid PRIMARY KEY,
        service     text        NOT NULL,
        rule        text        NOT NULL,
        opened_at   timestamptz NOT NULL,
        actionable  boolean     NOT NULL DEFAULT false
      )`);
    await db.query(`CREATE INDEX alert_incidents_by_time ON alert_incidents (opened_at, service)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE alert_incidents`);
    await db.query(`DROP TABLE alert_keys`);
    await db.query(`DROP TABLE alert_facts`);
  }
}
