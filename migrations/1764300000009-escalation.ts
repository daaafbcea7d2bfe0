import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users who can be paged; the routes from services to escalation policies (kept in the same
 * transaction as the routing events); each incident cycle's escalation and its durable timers.
 *
 * A pending step is a row of `escalation_timers`; a worker's tick claims due rows with
 * FOR UPDATE SKIP LOCKED and, in one transaction, appends the step's events to the incident's
 * stream, marks the row fired and writes the next one. `escalation_cycles` says which cycles
 * should still be escalating, so an auditor can find one whose chain of timers broke.
 */
export class Escalation1764300000009 implements MigrationInterface {
  name = 'Escalation1764300000009';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id            uuid        PRIMARY KEY,
        name          text        NOT NULL,
        email         text        NULL,
        slack_user_id text        NULL UNIQUE,
        time_zone     text        NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE escalation_routes (
        service     text        NOT NULL,
        severity    text        NOT NULL,
        policy_id   uuid        NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (service, severity)
      )`);
    await db.query(`CREATE INDEX escalation_routes_policy ON escalation_routes (policy_id)`);
    await db.query(`
      CREATE TABLE escalation_cycles (
        incident_id    uuid        NOT NULL,
        cycle          integer     NOT NULL CHECK (cycle >= 0),
        service        text        NOT NULL,
        severity       text        NOT NULL,
        opened_at      timestamptz NOT NULL,
        policy_id      uuid        NULL,
        policy_version integer     NULL,
        status         text        NOT NULL
          CHECK (status IN ('escalating', 'stopped', 'exhausted', 'superseded', 'no-policy')),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (incident_id, cycle)
      )`);
    await db.query(
      `CREATE INDEX escalation_cycles_escalating ON escalation_cycles (opened_at) WHERE status = 'escalating'`,
    );
    await db.query(`
      CREATE TABLE escalation_timers (
        incident_id    uuid        NOT NULL,
        cycle          integer     NOT NULL CHECK (cycle >= 0),
        step           integer     NOT NULL CHECK (step >= 0),
        kind           text        NOT NULL CHECK (kind IN ('page', 'exhaust')),
        level          integer     NULL,
        repeat         integer     NULL,
        due_at         timestamptz NOT NULL,
        policy_id      uuid        NOT NULL,
        policy_version integer     NOT NULL,
        state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'cancelled')),
        outcome        text        NULL,
        fired_at       timestamptz NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (incident_id, cycle, step)
      )`);
    await db.query(
      `CREATE INDEX escalation_timers_due ON escalation_timers (due_at) WHERE state = 'pending'`,
    );
    // Escalation starts from incidents opened after this migration: the starter's checkpoint begins at
    // the head of the log, so an upgrade never pages anyone for incidents of the past.
    await db.query(`
      INSERT INTO subscription_checkpoints (subscription_name, transaction_id, global_position)
      SELECT 'escalation-starter@1', transaction_id, global_position FROM events
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1
      ON CONFLICT (subscription_name) DO NOTHING`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM subscription_checkpoints WHERE subscription_name = 'escalation-starter@1'`);
    await db.query(`DROP TABLE escalation_timers`);
    await db.query(`DROP TABLE escalation_cycles`);
    await db.query(`DROP TABLE escalation_routes`);
    await db.query(`DROP TABLE users`);
  }
}
