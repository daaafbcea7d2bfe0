import assert from 'node:assert/strict';
import type { Pool } from 'pg';
import {
  IncidentListProjection,
  incidentIdOf,
  type IncidentListProjection as Projection,
} from '#vigil/incidents';

/**
 * What the incident list projection would write for these events, folded from the first: applied
 * in a transaction that first hides the stored rows of their incidents, and is rolled back.
 */
export const projectedRows = async (pool: Pool, events: Parameters<Projection['apply']>[1]) => {
  const written: unknown[][] = [];
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    await tx.query(`DELETE FROM incidents WHERE incident_id = ANY($1::uuid[])`, [
      [...new Set(events.map((e) => incidentIdOf(e.streamId)))],
    ]);
    await new IncidentListProjection().apply(tx, events, {
      add: (_text, values) => written.push([...values]),
    });
  } finally {
    await tx.query('ROLLBACK');
    tx.release();
  }
  assert.equal(written.length, 1, 'one upsert');
  return JSON.parse(written[0]![0] as string) as Array<Record<string, unknown>>;
};

/** A value as it reads back from JSON: undefined keys gone, dates as text. */
export const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
