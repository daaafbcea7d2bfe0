import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { pruneSlackOutbox } from '#vigil/slack';
import { testPool } from '../support/database.js';

describe('Slack outbox retention', () => {
  let pool: pg.Pool;
  before(() => {
    pool = testPool();
  });
  after(() => pool.end());

  it('deletes finished rows done before the cut-off, and never a pending one', async () => {
    const incident = randomUUID();
    const row = (status: string, doneAt: string | null) =>
      pool.query(
        `INSERT INTO slack_outbox (event_id, action, incident_id, payload, status, due_at, done_at)
         VALUES ($1, 'page.send', $2, '{}', $3, '2026-01-01T00:00:00Z', $4)`,
        [randomUUID(), incident, status, doneAt],
      );
    for (const status of ['sent', 'skipped', 'superseded', 'failed'])
      await row(status, '2026-01-01T00:00:00Z');
    await row('sent', '2026-01-09T00:00:00Z');
    await row('pending', null);

    assert.equal(await pruneSlackOutbox(pool, new Date('2026-01-08T00:00:00Z')), 4);
    const { rows } = await pool.query<{ status: string }>(
      `SELECT status FROM slack_outbox WHERE incident_id = $1 ORDER BY status`,
      [incident],
    );
    assert.deepEqual(
      rows.map((r) => r.status),
      ['pending', 'sent'],
    );
    // Leave nothing pending for the Slack tests that run after this one.
    await pool.query(`DELETE FROM slack_outbox WHERE incident_id = $1`, [incident]);
  });
});
