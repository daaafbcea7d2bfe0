import type { Pool } from 'pg';

/** How long finished outbox rows are kept for people to look into (what was sent, what failed). */
export const OUTBOX_RETENTION_DAYS = 7;

/**
 * Deletes outbox rows that finished (sent, skipped, superseded or failed) before `before`; rows
 * still pending are never touched, however old. Answers how many went.
 */
export const pruneSlackOutbox = async (pool: Pool, before: Date): Promise<number> => {
  let pruned = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM slack_outbox WHERE id = ANY(ARRAY(
         SELECT id FROM slack_outbox WHERE status <> 'pending' AND done_at < $1 LIMIT 10000))`,
      [before],
    );
    pruned += rowCount ?? 0;
    if ((rowCount ?? 0) < 10_000) return pruned;
  }
};
