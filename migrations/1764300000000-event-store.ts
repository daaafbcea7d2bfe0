import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event log and the checkpoints of its subscribers.
 *
 * `transaction_id` is the appending transaction's id; subscribers read in
 * (transaction_id, global_position) order and only below the oldest transaction
 * still running, so an event that commits late can never land behind a
 * position a subscriber already passed.
 */
export class EventStore1764300000000 implements MigrationInterface {
  name = 'EventStore1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        global_position bigserial   NOT NULL,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        event_id        uuid        NOT NULL UNIQUE,
        stream_id       text        NOT NULL,
        stream_type     text        NOT NULL,
        stream_version  integer     NOT NULL CHECK (stream_version > 0),
        type            text        NOT NULL,
        schema_version  integer     NOT NULL DEFAULT 1,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL DEFAULT '{}',
        occurred_at     timestamptz NOT NULL,
        recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
        prev_hash       text        NOT NULL,
        hash            text        NOT NULL,
        -- The optimistic-concurrency guard: two writers cannot both take a stream's next version.
        CONSTRAINT events_stream_version_unique PRIMARY KEY (stream_id, stream_version)
      )`);
    await db.query(
      `CREATE UNIQUE INDEX events_subscription_order ON events (transaction_id, global_position)`,
    );
    await db.query(`
      CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_are_append_only()`);
    await db.query(`
      CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only()`);

    await db.query(`
      CREATE TABLE subscription_checkpoints (
        subscription_name text PRIMARY KEY,
        transaction_id    xid8        NOT NULL DEFAULT '0',
        global_position   bigint      NOT NULL DEFAULT 0,
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);

    await db.query(`
      CREATE TABLE idempotency_keys (
        scope           text        NOT NULL,
        key             text        NOT NULL,
        request_hash    text        NOT NULL,
        stream_id       text        NOT NULL,
        from_version    integer     NOT NULL,
        to_version      integer     NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE idempotency_keys`);
    await db.query(`DROP TABLE subscription_checkpoints`);
    await db.query(`DROP TABLE events`);
    await db.query(`DROP FUNCTION events_are_append_only()`);
  }
}
