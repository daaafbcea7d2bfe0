import type { PoolClient } from 'pg';
import type { Projection, RecordedEvent } from '#vigil/event-store';
import type { IncidentEvent } from '../domain/events.js';
import { describeEvent } from '../domain/timeline.js';
import { INCIDENT_STREAM_TYPE, incidentIdOf } from '../application/incident-decider.js';

/**
 * `incident_timeline`: one row per incident event with a plain-English line.
 * Corrections are rows of their own, so the timeline shows what was first
 * recorded and what it was corrected to.
 */
export class IncidentTimelineProjection implements Projection {
  readonly name = 'incident-timeline@1';

  async apply(tx: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    const rows = events
      .filter((e) => e.streamType === INCIDENT_STREAM_TYPE)
      .map((e) => ({
        incident_id: incidentIdOf(e.streamId),
        stream_version: e.streamVersion,
        event_id: e.eventId,
        type: e.type,
        occurred_at: e.occurredAt,
        recorded_at: e.recordedAt,
        actor: e.metadata.actor ?? null,
        source: e.metadata.source ?? null,
        summary: describeEvent({ type: e.type, data: e.data } as IncidentEvent, (id) =>
          id === e.metadata.actor?.id && e.metadata.actor.name ? e.metadata.actor.name : id,
        ),
      }));
    if (rows.length === 0) return;
    await tx.query(
      `INSERT INTO incident_timeline SELECT * FROM json_populate_recordset(null::incident_timeline, $1::json)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }

  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`TRUNCATE incident_timeline`);
  }
}
