import type { PoolClient } from 'pg';
import type { Clock } from '#vigil/common';
import type { Projection, RecordedEvent } from '#vigil/event-store';
import { planSlackActions, type SlackAction } from '../domain/outbox-plan.js';

export const SLACK_OUTBOX_SUBSCRIPTION = 'slack-outbox@1';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const incidentIdOf = (event: RecordedEvent): string | null => {
  const id = (event.data as { incidentId?: unknown } | null)?.incidentId;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : null;
};

/**
 * Turns committed events into Slack outbox rows, in the transaction that stores this
 * subscription's checkpoint: a batch either leaves both its rows and its new checkpoint, or
 * neither. Rows are unique per (event, action), so a batch applied again adds nothing.
 *
 * Not a read model: it rides in the worker's subscription round with them, but is never reset or
 * replayed (a replay would page people about history).
 */
export class SlackOutboxProjection implements Projection {
  readonly name = SLACK_OUTBOX_SUBSCRIPTION;
  // Escalation's steps and pages are facts of the incident's own stream.
  readonly streamTypes = ['incident'];
  readonly rebuildable = false;
  /** Outbox rows written since the last commit was told (a batch rolled back may have counted too). */
  private written = 0;

  constructor(
    private readonly channelSeverities: readonly string[],
    private readonly clock: Clock,
    /** Told once a batch that wrote outbox rows has committed: the dispatcher can send them. */
    private readonly onWritten: () => void = () => undefined,
  ) {}

  afterCommit(): void {
    if (this.written > 0) this.onWritten();
    this.written = 0;
  }

  async apply(tx: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    const relevant = events.filter((e) => e.streamType === 'incident' && incidentIdOf(e) !== null);
    if (relevant.length === 0) return;
    const ids = [...new Set(relevant.map((e) => incidentIdOf(e)!))];
    const { rows } = await tx.query<{ incident_id: string; channel_wanted: boolean }>(
      `SELECT incident_id, channel_wanted FROM slack_incidents WHERE incident_id = ANY($1::uuid[])`,
      [ids],
    );
    const known = new Map(rows.map((r) => [r.incident_id, r.channel_wanted]));
    const wanted = new Map<string, boolean>();
    const outbox: Array<{ eventId: string; action: SlackAction }> = [];
    for (const event of relevant) {
      const incidentId = incidentIdOf(event)!;
      const before = wanted.get(incidentId) ?? known.get(incidentId) ?? false;
      const planned = planSlackActions(
        { type: event.type, data: event.data, metadata: event.metadata },
        { wanted: before },
        this.channelSeverities,
      );
      // Every incident opened while Slack is on gets a row, so `#ref` finds it.
      if (event.type === 'IncidentOpened' || planned.channelWanted !== before) {
        wanted.set(incidentId, planned.channelWanted);
      }
      for (const action of planned.actions) outbox.push({ eventId: event.eventId, action });
    }
    if (wanted.size > 0) {
      await tx.query(
        `INSERT INTO slack_incidents (incident_id, channel_wanted)
         SELECT * FROM unnest($1::uuid[], $2::boolean[])
         ON CONFLICT (incident_id) DO UPDATE SET channel_wanted = slack_incidents.channel_wanted OR EXCLUDED.channel_wanted`,
        [[...wanted.keys()], [...wanted.values()]],
      );
    }
    if (outbox.length > 0) {
      this.written += outbox.length;
      // ORDER BY ordinality: row ids follow the log, which is the order the dispatcher keeps per incident.
      await tx.query(
        `INSERT INTO slack_outbox (event_id, action, incident_id, payload, due_at)
         SELECT e, a, i, p, $5 FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::jsonb[]) WITH ORDINALITY AS t(e, a, i, p, n)
         ORDER BY n
         ON CONFLICT (event_id, action) DO NOTHING`,
        [
          outbox.map((o) => o.eventId),
          outbox.map((o) => o.action.action),
          outbox.map((o) => o.action.incidentId),
          outbox.map((o) => JSON.stringify(o.action)),
          this.clock.now(),
        ],
      );
    }
  }

  /** Deliberately keeps the outbox: its rows are the record of what was sent. */
  async reset(): Promise<void> {}
}
