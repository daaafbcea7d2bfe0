import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  ConcurrencyError,
  withTransaction,
  type AppendRequest,
  type NewEvent,
  type PostgresEventStore,
  type RecordedEvent,
} from '#vigil/event-store';
import {
  decide,
  evolve,
  initialIncident,
  INCIDENT_STREAM_TYPE,
  incidentStreamId,
  type CommandMetadata,
  type Incident,
  type IncidentCommand,
} from '#vigil/incidents';
import {
  decideAlert,
  emptyAlertGroup,
  evolveAlertGroup,
  type AlertGroup,
  type AlertGroupEvent,
  type IncidentConsequence,
} from '../domain/alert-group.js';
import type { NormalisedAlert } from '../domain/normalised-alert.js';
import { silencing, type Silence } from '../domain/silences.js';
import type { Silences } from '../silences/silences.js';
import type { Integration } from '../integrations/integrations.js';

export const ALERT_GROUP_STREAM_TYPE = 'alert-group';

/** The group's stream id: the group key can be any text, so it is hashed to a bounded id. */
export const alertGroupStreamId = (integrationId: string, groupKey: string) =>
  `alert-group-${integrationId}-${createHash('sha256').update(groupKey).digest('hex').slice(0, 32)}`;

export interface Delivery {
  integration: Integration;
  /** SHA-256 of the payload bytes: a retry of the same bytes gets the first answer and appends nothing. */
  payloadHash: string;
  alerts: NormalisedAlert[];
  /** What to answer the sender (stored with the receipt). */
  response: unknown;
  now: string;
  /** Other events the delivery records, in the same transaction (a change event). */
  also?: AppendRequest[];
}

export interface DeliveryOutcome {
  response: unknown;
  /** True when this was a retry of a payload already taken. */
  replayed: boolean;
  events: RecordedEvent[];
}

const MAX_ATTEMPTS = 5;

/**
 * Takes a delivery of alerts in one transaction: the receipt, every alert
 * group's facts and every incident change commit together, before the sender
 * hears 2xx. Deliveries to the same group queue on an advisory lock, so
 * concurrent copies of one alert open one incident; a person changing that
 * incident at the same moment makes the delivery retry from a fresh read.
 */
export class AlertIngestion {
  constructor(
    private readonly pool: Pool,
    private readonly store: PostgresEventStore,
    private readonly silences: Pick<Silences, 'notOver'>,
    private readonly onCommitted: (events: RecordedEvent[]) => void = () => undefined,
  ) {}

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        // Read before the transaction: a transaction that waits for a second connection can
        // starve a full pool.
        const silences = await this.silences.notOver(delivery.now);
        const outcome = await withTransaction(this.pool, (tx) => this.once(tx, delivery, silences));
        if (outcome.events.length > 0) this.onCommitted(outcome.events);
        return outcome;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** A PagerDuty change event: recorded (its own stream), never paging anyone. */
  async recordChange(
    integration: Integration,
    payloadHash: string,
    change: {
      summary: string;
      source: string | null;
      timestamp: string;
      details: Record<string, unknown>;
      links: unknown[];
    },
    now: string,
  ): Promise<DeliveryOutcome> {
    return this.deliver({
      integration,
      payloadHash,
      alerts: [],
      response: { status: 'success', message: 'Change event processed' },
      now,
      also: [
        {
          streamId: `change-${uuidv7()}`,
          streamType: 'change',
          expectedVersion: 0,
          events: [
            {
              type: 'ChangeEventReceived',
              data: { integrationId: integration.id, service: integration.service, ...change },
              metadata: {
                actor: { kind: 'alert', id: integration.id, name: integration.name },
                source: 'alert',
              },
              occurredAt: now,
            },
          ],
        },
      ],
    });
  }

  private async once(
    tx: PoolClient,
    delivery: Delivery,
    silences: readonly Silence[],
  ): Promise<DeliveryOutcome> {
    const { integration, now } = delivery;
    // Two statements: after waiting out a concurrent copy of this payload, only a new
    // statement's snapshot sees the receipt it committed.
    const claimed = await tx.query(
      `INSERT INTO delivery_receipts (integration_id, payload_hash, response) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [integration.id, delivery.payloadHash, JSON.stringify(delivery.response)],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await tx.query<{ response: unknown }>(
        `SELECT response FROM delivery_receipts WHERE integration_id = $1 AND payload_hash = $2`,
        [integration.id, delivery.payloadHash],
      );
      return { response: rows[0]?.response ?? delivery.response, replayed: true, events: [] };
    }

    const groups = new Map<string, NormalisedAlert[]>();
    for (const alert of delivery.alerts) {
      const streamId = alertGroupStreamId(integration.id, alert.groupKey);
      groups.set(streamId, [...(groups.get(streamId) ?? []), alert]);
    }
    // Locks in a fixed order, so two deliveries touching the same groups cannot deadlock.
    const streamIds = [...groups.keys()].sort();
    for (const streamId of streamIds) {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-alert-group'), hashtext($1))`, [streamId]);
    }

    const metadata: CommandMetadata = {
      now,
      actor: { kind: 'alert', id: integration.id, name: integration.name },
      source: 'alert',
    };
    const eventMetadata = { actor: metadata.actor, source: 'alert' };
    const requests: AppendRequest[] = [...(delivery.also ?? [])];
    const incidents = new Map<string, { version: number; state: Incident; events: NewEvent[] }>();
    const loadIncident = async (incidentId: string) => {
      let entry = incidents.get(incidentId);
      if (!entry) {
        const events = await this.store.readStream(incidentStreamId(incidentId), {}, tx);
        entry = {
          version: events.at(-1)?.streamVersion ?? 0,
          state: events.reduce((s, e) => evolve(s, e as never), initialIncident),
          events: [],
        };
        incidents.set(incidentId, entry);
      }
      return entry;
    };
    const applyToIncident = async (command: IncidentCommand) => {
      const entry = await loadIncident(command.data.incidentId);
      for (const event of decide(command, entry.state)) {
        entry.state = evolve(entry.state, event);
        entry.events.push({ type: event.type, data: event.data, metadata: eventMetadata, occurredAt: now });
      }
    };

    const snapshots = new Map(
      (
        await tx.query<{ stream_id: string; version: number; state: Partial<AlertGroup> }>(
          `SELECT stream_id, version, state FROM alert_group_snapshots WHERE stream_id = ANY($1::text[])`,
          [streamIds],
        )
      ).rows.map((r) => [r.stream_id, r]),
    );
    const snapshotWrites: Array<{ stream_id: string; version: number; state: AlertGroup }> = [];
    for (const streamId of streamIds) {
      // The snapshot, then only what came after it (normally nothing).
      const snapshot = snapshots.get(streamId);
      const later = await this.store.readStream(streamId, { fromVersion: snapshot?.version ?? 0 }, tx);
      let group: AlertGroup = later.reduce((g, e) => evolveAlertGroup(g, e as unknown as AlertGroupEvent), {
        ...emptyAlertGroup,
        ...snapshot?.state,
      });
      const version = later.at(-1)?.streamVersion ?? snapshot?.version ?? 0;
      const newEvents: NewEvent[] = [];
      for (const alert of groups.get(streamId)!) {
        const situation = group.incidentId
          ? { incidentId: group.incidentId, open: isOpen((await loadIncident(group.incidentId)).state) }
          : null;
        const decision = decideAlert(
          {
            alert,
            integrationId: integration.id,
            service: integration.service,
            receivedAt: now,
            newIncidentId: uuidv7(),
            autoResolve: integration.autoResolve,
            // Silences match the alert's labels plus the service, source and severity Vigil gave it.
            silenceId:
              silencing(
                silences,
                {
                  ...alert.labels,
                  service: integration.service,
                  source: alert.source,
                  severity: alert.severity,
                },
                now,
              )?.id ?? null,
          },
          group,
          situation,
        );
        for (const event of decision.events) {
          group = evolveAlertGroup(group, event);
          newEvents.push({ type: event.type, data: event.data, metadata: eventMetadata, occurredAt: now });
        }
        for (const consequence of decision.incident) {
          await applyToIncident(toIncidentCommand(consequence, integration, metadata));
        }
      }
      if (newEvents.length > 0) {
        requests.push({
          streamId,
          streamType: ALERT_GROUP_STREAM_TYPE,
          expectedVersion: version,
          events: newEvents,
        });
        snapshotWrites.push({ stream_id: streamId, version: version + newEvents.length, state: group });
      }
    }
    for (const [incidentId, entry] of incidents) {
      if (entry.events.length === 0) continue;
      requests.push({
        streamId: incidentStreamId(incidentId),
        streamType: INCIDENT_STREAM_TYPE,
        expectedVersion: entry.version,
        events: entry.events,
      });
    }
    const results = await this.store.appendMany(requests, tx);
    if (snapshotWrites.length > 0) {
      await tx.query(
        `INSERT INTO alert_group_snapshots SELECT * FROM jsonb_populate_recordset(null::alert_group_snapshots, $1::jsonb)
         ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state
         WHERE alert_group_snapshots.version < EXCLUDED.version`,
        [JSON.stringify(snapshotWrites)],
      );
    }
    return { response: delivery.response, replayed: false, events: results.flatMap((r) => r.events) };
  }
}

const isOpen = (incident: Incident) => incident.status !== 'none' && incident.status !== 'resolved';

/** Clock skew at the sender must not put impact in the future: the incident would refuse it. */
const notAfter = (time: string, now: string) => (Date.parse(time) > Date.parse(now) ? now : time);

const toIncidentCommand = (
  consequence: IncidentConsequence,
  integration: Integration,
  metadata: CommandMetadata,
): IncidentCommand => {
  switch (consequence.type) {
    case 'open': {
      const { alert } = consequence;
      return {
        type: 'OpenIncident',
        data: {
          incidentId: consequence.incidentId,
          title: (alert.summary || `Alert from ${integration.name}`).slice(0, 200),
          service: integration.service,
          severity: alert.severity,
          impactStartedAt: notAfter(alert.startsAt, metadata.now),
        },
        metadata,
      };
    }
    case 'attach': {
      const { alert } = consequence;
      return {
        type: 'AttachAlert',
        data: {
          incidentId: consequence.incidentId,
          integrationId: integration.id,
          alertKey: alert.dedupKey,
          source: alert.source,
          summary: alert.summary,
          severity: alert.severity,
          startsAt: alert.startsAt,
        },
        metadata,
      };
    }
    case 'resolve':
      return {
        type: 'ResolveIncident',
        data: { incidentId: consequence.incidentId, summary: consequence.summary },
        metadata,
      };
  }
};
