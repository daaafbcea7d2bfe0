import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A batch of alert deliveries can be taken in a single message that claims their
 * receipts, appends and commits, on the guess that none of them was seen before.
 * When the guess is wrong (a receipt was already there), the claim must fail the
 * message, so nothing after it commits; the batch is then taken the long way.
 */
export class ClaimRefusal1764300000014 implements MigrationInterface {
  name = 'ClaimRefusal1764300000014';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION vigil_refuse_taken_receipts(expected int, claimed int) RETURNS boolean
      LANGUAGE plpgsql AS $$
      BEGIN
        IF claimed < expected THEN
          RAISE EXCEPTION '% of % delivery receipts were already taken', expected - claimed, expected
            USING ERRCODE = 'VG410';
        END IF;
        RETURN true;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION vigil_refuse_taken_receipts(int, int)`);
  }
}
