import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The Slack app: its replay cache, retry dedupe, incident channels, message refs and outbox. */
export class Slack1764300000010 implements MigrationInterface {
  name = 'Slack1764300000010';

  async up(db: QueryRunner): Promise<void> {
    // Signatures of accepted requests, kept until their timestamp leaves the 5-minute window, so
    // an exact replay is refused by every Vigil process, not only the one that saw it first.
    await db.query(`
      CREATE TABLE slack_seen_signatures (
        signature  text        PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await db.query(`CREATE INDEX slack_seen_signatures_expiry ON slack_seen_signatures (expires_at)`);
    // One row per Slack delivery (an Events API event_id, a command's or an interaction's
    // trigger_id), so a retry of something already taken is acknowledged and not processed again.
    await db.query(`
      CREATE TABLE slack_deliveries (
        delivery_key text        PRIMARY KEY,
        seen_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX slack_deliveries_age ON slack_deliveries (seen_at)`);
    // Incidents as Slack knows them: whether they want a channel, and the channel once created.
    await db.query(`
      CREATE TABLE slack_incidents (
        incident_id    uuid        PRIMARY KEY,
        channel_wanted boolean     NOT NULL,
        channel_id     text        NULL UNIQUE,
        channel_name   text        NULL,
        created_at     timestamptz NOT NULL DEFAULT now()
      )`);
    // `#ref` lookups match the start or the end of the id (hex digits, no dashes).
    await db.query(`
      CREATE INDEX slack_incidents_ref_start
        ON slack_incidents ((replace(incident_id::text, '-', '')) text_pattern_ops)`);
    await db.query(`
      CREATE INDEX slack_incidents_ref_end
        ON slack_incidents ((reverse(replace(incident_id::text, '-', ''))) text_pattern_ops)`);
    // Messages Vigil posted about an incident, edited in place (chat.update) as it changes.
    // outbox_id names the outbox row that posted it, so a retried row edits rather than reposts.
    await db.query(`
      CREATE TABLE slack_messages (
        channel_id  text        NOT NULL,
        ts          text        NOT NULL,
        incident_id uuid        NOT NULL,
        kind        text        NOT NULL CHECK (kind IN ('page', 'status')),
        level       integer     NULL,
        outbox_id   bigint      NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel_id, ts)
      )`);
    await db.query(`CREATE INDEX slack_messages_by_incident ON slack_messages (incident_id)`);
    // The outbox: one row per (event, action), written with the subscription's checkpoint, so an
    // event makes each Slack call once and none is lost on restart. A row is leased, not locked,
    // while its call is in flight (see SlackDispatcher).
    await db.query(`
      CREATE TABLE slack_outbox (
        id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id    uuid        NOT NULL,
        action      text        NOT NULL,
        incident_id uuid        NOT NULL,
        payload     jsonb       NOT NULL,
        status      text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'skipped', 'superseded', 'failed')),
        attempts    integer     NOT NULL DEFAULT 0,
        due_at      timestamptz NOT NULL,
        lease_id    uuid        NULL,
        lease_until timestamptz NULL,
        last_error  text        NULL,
        result      jsonb       NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        done_at     timestamptz NULL,
        UNIQUE (event_id, action)
      )`);
    await db.query(
      `CREATE INDEX slack_outbox_pending ON slack_outbox (incident_id, id) WHERE status = 'pending'`,
    );
    await db.query(`CREATE INDEX slack_outbox_due ON slack_outbox (due_at) WHERE status = 'pending'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE slack_outbox`);
    await db.query(`DROP TABLE slack_messages`);
    await db.query(`DROP TABLE slack_incidents`);
    await db.query(`DROP TABLE slack_deliveries`);
    await db.query(`DROP TABLE slack_seen_signatures`);
  }
}
