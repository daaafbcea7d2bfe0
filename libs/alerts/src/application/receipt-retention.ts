import type { Pool } from 'pg';

/** How long a sender's retry of the same payload is recognised: receipts older than this are pruned. */
export const RECEIPT_RETENTION_DAYS = 7;

const BATCH = 10_000;

/**
 * Deletes delivery receipts received before `before`, a batch per transaction
 * so ingestion never waits behind one long delete; answers how many went.
 * A payload re-sent after its receipt is gone is taken as new: its alerts'
 * facts still deduplicate it against what is already firing.
 */
export const pruneDeliveryReceipts = async (pool: Pool, before: Date): Promise<number> => {
  let pruned = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM delivery_receipts WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM delivery_receipts WHERE received_at < $1 LIMIT ${BATCH}))`,
      [before],
    );
    pruned += rowCount ?? 0;
    if ((rowCount ?? 0) < BATCH) return pruned;
  }
};
