import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { ALERT_FATIGUE_STATEMENT, AlertFatigueProjection } from '#vigil/alerts';
import { withTransaction, type RecordedEvent } from '#vigil/event-store';
import { testPool } from '../support/database.js';

let position = 0;
const recorded = (
  streamId: string,
  streamType: string,
  type: string,
  data: Record<string, unknown>,
  occurredAt: string,
  actor: { kind: string; id: string } = { kind: 'alert', id: 'integration' },
): RecordedEvent => ({
  eventId: randomUUID(),
  streamId,
  streamType,
  streamVersion: ++position,
  type,
  schemaVersion: 1,
  storedSchemaVersion: 1,
  data,
  metadata: { actor, source: 'alert' },
  occurredAt,
  recordedAt: occurredAt,
  position: { transactionId: '1', globalPosition: String(position) },
  prevHash: '',
  hash: '',
});

describe('alert-fatigue projection', () => {
  let pool: pg.Pool;
  before(() => {
    pool = testPool(2);
  });
  after(() => pool.end());

  it('counts an alert first seen in the same batch as its repeats and flaps, and an incident acted on in it', async () => {
    const service = `fatigue-${randomUUID().slice(0, 8)}`;
    const group = `alert-group-${randomUUID()}`;
    const incidentId = randomUUID();
    const at = '2026-05-01T10:00:30.000Z';
    const triggered = (alertKey: string, openedIncident: boolean) =>
      recorded(
        group,
        'alert-group',
        'AlertTriggered',
        {
          service,
          labels: { alertname: 'DiskFull' },
          summary: 'disk',
          alertKey,
          incidentId,
          openedIncident,
        },
        at,
      );
    const batch = [
      triggered('a', true),
      recorded(group, 'alert-group', 'AlertRepeated', { alertKey: 'a' }, at),
      recorded(group, 'alert-group', 'AlertRepeated', { alertKey: 'a' }, '2026-05-01T10:01:10.000Z'),
      recorded(group, 'alert-group', 'AlertFlapping', { alertKey: 'a' }, at),
      recorded(`incident-${incidentId}`, 'incident', 'IncidentAcknowledged', {}, at, {
        kind: 'user',
        id: 'ada',
      }),
    ];
    await withTransaction(pool, (tx) => new AlertFatigueProjection().apply(tx, batch));

    const { rows } = await pool.query<{ minute: Date; kind: string; count: number }>(
      `SELECT minute, kind, count FROM alert_fact_counts WHERE service = $1 ORDER BY minute, kind`,
      [service],
    );
    assert.deepEqual(
      rows.map((r) => [r.minute.toISOString().slice(11, 16), r.kind, r.count]),
      [
        ['10:00', 'deduplicated', 1],
        ['10:00', 'flapping', 1],
        ['10:00', 'opened', 1],
        ['10:00', 'received', 3],
        ['10:01', 'deduplicated', 1],
        ['10:01', 'received', 1],
      ],
    );
    const incident = await pool.query(`SELECT rule, actionable FROM alert_incidents WHERE incident_id = $1`, [
      incidentId,
    ]);
    assert.deepEqual(incident.rows, [{ rule: 'DiskFull', actionable: true }]);

    // A later batch: the key is found in the table now, and counts add up.
    await withTransaction(pool, (tx) =>
      new AlertFatigueProjection().apply(tx, [
        recorded(group, 'alert-group', 'AlertRepeated', { alertKey: 'a' }, at),
      ]),
    );
    const again = await pool.query<{ count: number }>(
      `SELECT count FROM alert_fact_counts WHERE service = $1 AND kind = 'deduplicated' AND minute = '2026-05-01T10:00:00Z'`,
      [service],
    );
    assert.equal(again.rows[0]?.count, 2);

    // Repeats of one alert in one minute reach the statement as one counted row: one key lookup.
    const sent: Array<readonly unknown[]> = [];
    const five = Array.from({ length: 5 }, () =>
      recorded(group, 'alert-group', 'AlertRepeated', { alertKey: 'a' }, at),
    );
    await withTransaction(pool, async (tx) => {
      const later = { add: (_text: string, values: readonly unknown[]) => void sent.push(values) };
      await new AlertFatigueProjection().apply(tx, five, later);
      await tx.query(ALERT_FATIGUE_STATEMENT, [...sent[0]!]);
    });
    assert.deepEqual(JSON.parse(String(sent[0]![1])), [
      {
        group_stream_id: group,
        alert_key: 'a',
        minute: '2026-05-01T10:00:00.000Z',
        kind: 'deduplicated',
        count: 5,
      },
    ]);
    const counted = await pool.query<{ count: number }>(
      `SELECT count FROM alert_fact_counts WHERE service = $1 AND kind IN ('deduplicated', 'received') AND minute = '2026-05-01T10:00:00Z' ORDER BY kind`,
      [service],
    );
    assert.deepEqual(
      counted.rows.map((r) => r.count),
      [7, 9],
    );

    // These rows come from no event in the log: a replay in a later test would rightly drop them.
    await pool.query(`DELETE FROM alert_fact_counts WHERE service = $1`, [service]);
    await pool.query(`DELETE FROM alert_keys WHERE service = $1`, [service]);
    await pool.query(`DELETE FROM alert_incidents WHERE service = $1`, [service]);
  });
});
