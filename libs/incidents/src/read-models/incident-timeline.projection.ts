import type { PoolClient } from 'pg';
import { insertNewRows, type LaterWrites, type Projection, type RecordedEvent } from '#vigil/event-store';
import type { IncidentEvent } from '../domain/events.js';
import { describeEvent } from '../domain/timeline.js';
import { INCIDENT_STREAM_TYPE, incidentIdOf } from '../application/incident-decider.js';

const COLUMNS = [
  'incident_id',
  'stream_version',
  'event_id',
  'type',
  'occurred_at',
  'recorded_at',
  'actor',
  'source',
  'summary',
] as const;

/**
 * `incident_timeline`: one row per incident event with a plain-English line.
 * Corrections are rows of their own, so the timeline shows what was first
 * recorded and what it was corrected to.
 */
export class IncidentTimelineProjection implements Projection {
  readonly name = 'incident-timeline@1';

  async apply(tx: PoolClient, events: readonly RecordedEvent[], later?: LaterWrites): Promise<void> {
    const rows = events
      .filter((e) => e.streamType === INCIDENT_STREAM_TYPE)
      .map((e) => [
        incidentIdOf(e.streamId),
        e.streamVersion,
        e.eventId,
        e.type,
        e.occurredAt,
        e.recordedAt,
        e.metadata.actor ?? null,
        e.metadata.source ?? null,
        describeEvent({ type: e.type, data: e.data } as IncidentEvent, (id) =>
          id === e.metadata.actor?.id && e.metadata.actor.name ? e.metadata.actor.name : id,
        ),
      ]);
    await insertNewRows(tx, 'incident_timeline', COLUMNS, rows, later);
  }

  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`TRUNCATE incident_timeline`);
  }
}
