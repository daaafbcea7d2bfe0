import type { PoolClient } from 'pg';
import type { Projection, RecordedEvent } from '#vigil/event-store';
import type { IncidentEvent } from '../domain/events.js';
import { evolve, initialIncident } from '../domain/evolve.js';
import type { Incident } from '../domain/types.js';
import { INCIDENT_STREAM_TYPE, incidentIdOf } from '../application/incident-decider.js';

const COLUMNS = [
  'title',
  'service',
  'severity',
  'status',
  'summary',
  'commander',
  'communications',
  'impact_started_at',
  'detected_at',
  'acknowledged_at',
  'mitigated_at',
  'resolved_at',
  'reopen_count',
  'opened_at',
  'updated_at',
  'version',
  'state',
];

/**
 * The `incidents` table: one row per incident, its state folded with the same
 * `evolve` the aggregate uses. A batch is folded in memory and written with one
 * upsert; a row only moves forward (version guard), so replays are harmless.
 */
export class IncidentListProjection implements Projection {
  readonly name = 'incidents@1';

  async apply(tx: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    const relevant = events.filter((e) => e.streamType === INCIDENT_STREAM_TYPE);
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.map((e) => incidentIdOf(e.streamId)))];
    const { rows } = await tx.query<{ incident_id: string; version: number; state: Incident }>(
      `SELECT incident_id, version, state FROM incidents WHERE incident_id = ANY($1::uuid[])`,
      [ids],
    );
    const current = new Map(rows.map((r) => [r.incident_id, { version: r.version, state: r.state }]));
    const changed = new Set<string>();
    for (const e of relevant) {
      const id = incidentIdOf(e.streamId);
      const row = current.get(id) ?? { version: 0, state: initialIncident };
      if (e.streamVersion <= row.version) continue;
      current.set(id, {
        version: e.streamVersion,
        state: evolve(row.state, { type: e.type, data: e.data } as IncidentEvent),
      });
      changed.add(id);
    }
    const upserts = [...changed].flatMap((id) => {
      const { state, version } = current.get(id)!;
      if (state.status === 'none') return [];
      const m = state.milestones;
      return [
        {
          incident_id: id,
          title: state.title,
          service: state.service,
          severity: state.severity,
          status: state.status,
          summary: state.summary,
          commander: state.roles.commander,
          communications: state.roles.communications,
          impact_started_at: m.impactStartedAt,
          detected_at: m.detectedAt,
          acknowledged_at: m.acknowledgedAt,
          mitigated_at: m.mitigatedAt,
          resolved_at: m.resolvedAt,
          reopen_count: state.reopenCount,
          opened_at: state.openedAt,
          updated_at: state.updatedAt,
          version,
          state,
        },
      ];
    });
    if (upserts.length === 0) return;
    await tx.query(
      `INSERT INTO incidents SELECT * FROM json_populate_recordset(null::incidents, $1::json)
       ON CONFLICT (incident_id) DO UPDATE SET ${COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
       WHERE incidents.version < EXCLUDED.version`,
      [JSON.stringify(upserts)],
    );
  }

  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`TRUNCATE incidents`);
  }
}
