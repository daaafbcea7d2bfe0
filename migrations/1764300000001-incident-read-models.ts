import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Read models of incidents. Both are derived from `events` and rebuilt by replay. */
export class IncidentReadModels1764300000001 implements MigrationInterface {
  name = 'IncidentReadModels1764300000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE incidents (
        incident_id uuid PRIMARY KEY,
        service     text        NOT NULL,
        severity    text        NOT NULL,
        status      text        NOT NULL,
        opened_at   timestamptz NOT NULL,
        version     integer     NOT NULL,
        -- The folded incident; the columns above are what lists filter and sort on.
        state       jsonb       NOT NULL
      )`);
    await db.query(`CREATE INDEX incidents_by_opened ON incidents (opened_at DESC, incident_id DESC)`);
    await db.query(
      `CREATE INDEX incidents_by_service ON incidents (service, opened_at DESC, incident_id DESC)`,
    );
    await db.query(
      `CREATE INDEX incidents_by_status ON incidents (status, opened_at DESC, incident_id DESC)`,
    );
    await db.query(`
      CREATE TABLE incident_timeline (
        incident_id    uuid        NOT NULL,
        stream_version integer     NOT NULL,
        event_id       uuid        NOT NULL,
        type           text        NOT NULL,
        occurred_at    timestamptz NOT NULL,
        recorded_at    timestamptz NOT NULL,
        actor          jsonb,
        source         text,
        summary        text        NOT NULL,
        PRIMARY KEY (incident_id, stream_version)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE incident_timeline`);
    await db.query(`DROP TABLE incidents`);
  }
}
