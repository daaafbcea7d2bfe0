import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery receipts are pruned by age. They arrive in time order, so a BRIN
 * index finds the old ones for almost nothing on the ingestion path (a B-tree
 * would add a write per delivery).
 */
export class DeliveryReceiptAge1764300000012 implements MigrationInterface {
  name = 'DeliveryReceiptAge1764300000012';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX delivery_receipts_by_age ON delivery_receipts USING brin (received_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX delivery_receipts_by_age`);
  }
}
