import type { PoolClient } from 'pg';
import type { LaterWrites, Projection, RecordedEvent } from '#vigil/event-store';
import type { IncidentEvent } from '../domain/events.js';
import { evolve, initialIncident } from '../domain/evolve.js';
import type { Incident } from '../domain/types.js';
import { INCIDENT_STREAM_TYPE, incidentIdOf } from '../application/incident-decider.js';

const COLUMNS = ['service', 'severity', 'status', 'opened_at', 'version', 'state'];

/**
 * Writes the incident list rows of `rows` (a jsonb expression of `incidentListRows`), each only
 * over an older version of itself: the projection and ingestion may both write a row, in any
 * order, and it only moves forward. Rows are taken in the order of their ids, so two writers of
 * several rows cannot deadlock.
 */
export const upsertIncidentList = (rows: string) => `
  INSERT INTO incidents SELECT * FROM jsonb_populate_recordset(null::incidents, ${rows}) ORDER BY incident_id
  ON CONFLICT (incident_id) DO UPDATE SET ${COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
  WHERE incidents.version < EXCLUDED.version`;

/** The list rows of $1 (a JSON document of `incidentListRows`) written, as one prepared statement. */
export const upsertIncidentListStatement = (values: [string]) => ({
  name: 'vigil-incidents-upsert',
  text: UPSERT_SQL,
  values,
});

const UPSERT_SQL = upsertIncidentList('$1::jsonb');

/** The incident list's rows of incidents folded to `version` (none for one not opened). */
export const incidentListRows = (
  incidents: Iterable<{ incidentId: string; version: number; state: Incident }>,
) =>
  [...incidents].flatMap(({ incidentId, version, state }) =>
    state.status === 'none'
      ? []
      : [
          {
            incident_id: incidentId,
            service: state.service,
            severity: state.severity,
            status: state.status,
            opened_at: state.openedAt,
            version,
            state,
          },
        ],
  );

/**
 * The stored version of each incident given, and its state where the row is behind the version
 * given. One lookup by the key per incident, not `= ANY($1)` nor a join: the prepared (generic)
 * plan of either may scan the table, and keeps scanning it as it grows until statistics change.
 */
export const INCIDENTS_BEHIND_STATEMENT = `SELECT k.incident_id, i.version,
    CASE WHEN i.version < k.last THEN i.state END AS state
  FROM unnest($1::uuid[], $2::int[]) AS k(incident_id, last)
  JOIN LATERAL (SELECT version, state FROM incidents WHERE incident_id = k.incident_id LIMIT 1) i ON true`;

/**
 * The `incidents` table: one row per incident, its state folded with the same
 * `evolve` the aggregate uses. A batch is folded in memory and written with one
 * upsert; a row only moves forward (version guard), so replays are harmless.
 * Ingestion also writes the rows of the incidents it opens or changes, in the
 * transaction of their events (see `upsertIncidentList`), and so do incident
 * commands once theirs commit: the list shows an alert's incident when the alert
 * is answered. This projection reads the stored versions first and writes only
 * rows that are behind, so a row already current is neither written nor locked.
 */
export class IncidentListProjection implements Projection {
  readonly name = 'incidents@1';

  async apply(tx: PoolClient, events: readonly RecordedEvent[], later?: LaterWrites): Promise<void> {
    const relevant = events.filter((e) => e.streamType === INCIDENT_STREAM_TYPE);
    if (relevant.length === 0) return;
    const lastVersion = new Map<string, number>();
    for (const e of relevant) lastVersion.set(incidentIdOf(e.streamId), e.streamVersion);
    // The rows as stored: most are current already (ingestion and incident commands write the rows
    // of what they change), and those are left alone; the others come with their state, to fold on.
    const { rows } = await tx.query<{ incident_id: string; version: number; state: Incident | null }>({
      name: 'vigil-incidents-behind',
      text: INCIDENTS_BEHIND_STATEMENT,
      values: [[...lastVersion.keys()], [...lastVersion.values()]],
    });
    const current = new Map(rows.map((r) => [r.incident_id, { version: r.version, state: r.state }]));
    const changed = new Set<string>();
    for (const e of relevant) {
      const id = incidentIdOf(e.streamId);
      const row = current.get(id) ?? { version: 0, state: initialIncident };
      // A row at or past this event (a current one carries no state) already shows it.
      if (e.streamVersion <= row.version || row.state === null) continue;
      current.set(id, {
        version: e.streamVersion,
        state: evolve(row.state, { type: e.type, data: e.data } as IncidentEvent),
      });
      changed.add(id);
    }
    const upserts = incidentListRows(
      [...changed].map((id) => ({
        incidentId: id,
        ...(current.get(id) as { version: number; state: Incident }),
      })),
    );
    if (upserts.length === 0) return;
    const statement = upsertIncidentListStatement([JSON.stringify(upserts)]);
    if (later) later.add(statement.text, statement.values);
    else await tx.query(statement);
  }

  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`TRUNCATE incidents`);
  }
}
