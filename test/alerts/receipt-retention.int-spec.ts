import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { pruneDeliveryReceipts } from '#vigil/alerts';
import { testPool } from '../support/database.js';

describe('delivery receipt retention', () => {
  let pool: pg.Pool;
  before(() => {
    pool = testPool();
  });
  after(() => pool.end());

  it('deletes every receipt received before the cut-off, in batches, and keeps the rest', async () => {
    const integration = randomUUID();
    const insert = (n: number, receivedAt: string) =>
      pool.query(
        `INSERT INTO delivery_receipts (integration_id, payload_hash, response, received_at)
         SELECT $1, $2 || i, '{}'::jsonb, $3 FROM generate_series(1, $4) AS i`,
        [integration, `${receivedAt}-`, receivedAt, n],
      );
    await insert(23_456, '2026-01-01T00:00:00Z');
    await insert(500, '2026-01-08T00:00:00Z');
    const count = async () =>
      Number(
        (
          await pool.query(`SELECT count(*) AS n FROM delivery_receipts WHERE integration_id = $1`, [
            integration,
          ])
        ).rows[0].n,
      );
    assert.equal(await count(), 23_956);

    const pruned = await pruneDeliveryReceipts(pool, new Date('2026-01-07T00:00:00Z'));
    assert.ok(pruned >= 23_456, `pruned ${pruned}`);
    assert.equal(await count(), 500);
    const { rows } = await pool.query(
      `SELECT min(received_at) AS oldest FROM delivery_receipts WHERE integration_id = $1`,
      [integration],
    );
    assert.equal(new Date(rows[0].oldest).toISOString(), '2026-01-08T00:00:00.000Z');
    assert.equal(
      await pruneDeliveryReceipts(pool, new Date('2026-01-07T00:00:00Z')),
      0,
      'nothing left to prune',
    );
  });
});
