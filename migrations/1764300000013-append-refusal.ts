import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An append that finds a stream's predecessor missing (the writer was ahead of
 * the stream) can be made to fail instead of writing nothing. An append sent
 * together with its COMMIT must fail: writing nothing and committing the rest
 * of the transaction would keep what the events were meant to go with.
 */
export class AppendRefusal1764300000013 implements MigrationInterface {
  name = 'AppendRefusal1764300000013';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION vigil_refuse_append(stream_id text, stream_version int) RETURNS boolean
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'stream % has no event % with the hash this append links to', stream_id, stream_version - 1
          USING ERRCODE = 'VG409';
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION vigil_refuse_append(text, int)`);
  }
}
