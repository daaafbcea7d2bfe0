import type { PoolClient } from 'pg';
import type { PostgresEventStore, Projection, RecordedEvent } from '#vigil/event-store';
import {
  evolve,
  incidentIdOf,
  initialIncident,
  INCIDENT_STREAM_TYPE,
  type IncidentEvent,
  type IncidentOpened,
} from '#vigil/incidents';
import type { Policies } from '../application/policies.js';

/**
 * Starts escalation: for each incident opened or reopened, a row in `escalation_cycles` (with the
 * policy that applies then, at its version then) and the cycle's first timer, due at the opening;
 * written in the same transaction as this subscription's checkpoint, so an opening is taken in exactly
 * once and never lost. An acknowledgement or resolution cancels the cycle's pending timers (the
 * incident's own decision would refuse them anyway). Rows are only ever added or closed, so applying a
 * batch again changes nothing. Not a read model to rebuild: `reset` keeps the timers.
 */
export class EscalationStarter implements Projection {
  readonly name = 'escalation-starter@1';

  constructor(
    private readonly store: PostgresEventStore,
    private readonly policies: Policies,
  ) {}

  async apply(tx: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    for (const e of events) {
      if (e.streamType !== INCIDENT_STREAM_TYPE) continue;
      const incidentId = incidentIdOf(e.streamId);
      switch (e.type) {
        case 'IncidentOpened': {
          const { service, severity } = e.data as IncidentOpened['data'];
          await this.start(tx, incidentId, 0, service, severity, e.occurredAt);
          break;
        }
        case 'IncidentReopened': {
          // The incident as it stood at the reopen: its cycle number and its severity then.
          const history = await this.store.readStream(e.streamId, { toVersion: e.streamVersion }, tx);
          const state = history.reduce(
            (s, h) => evolve(s, { type: h.type, data: h.data } as IncidentEvent),
            initialIncident,
          );
          if (state.status === 'none') break;
          await tx.query(
            `UPDATE escalation_timers SET state = 'cancelled', outcome = 'reopened'
             WHERE incident_id = $1 AND cycle < $2 AND state = 'pending'`,
            [incidentId, state.reopenCount],
          );
          await tx.query(
            `UPDATE escalation_cycles SET status = 'superseded', updated_at = now()
             WHERE incident_id = $1 AND cycle < $2 AND status = 'escalating'`,
            [incidentId, state.reopenCount],
          );
          await this.start(tx, incidentId, state.reopenCount, state.service, state.severity, e.occurredAt);
          break;
        }
        case 'IncidentAcknowledged':
        case 'IncidentResolved': {
          const { rows } = await tx.query<{ cycle: number }>(
            `SELECT count(*)::int AS cycle FROM events
             WHERE stream_id = $1 AND stream_version < $2 AND type = 'IncidentReopened'`,
            [e.streamId, e.streamVersion],
          );
          const cycle = rows[0]?.cycle ?? 0;
          const outcome = e.type === 'IncidentAcknowledged' ? 'acknowledged' : 'resolved';
          await tx.query(
            `UPDATE escalation_timers SET state = 'cancelled', outcome = $3
             WHERE incident_id = $1 AND cycle = $2 AND state = 'pending'`,
            [incidentId, cycle, outcome],
          );
          await tx.query(
            `UPDATE escalation_cycles SET status = 'stopped', updated_at = now()
             WHERE incident_id = $1 AND cycle = $2 AND status = 'escalating'`,
            [incidentId, cycle],
          );
          break;
        }
        default:
          break;
      }
    }
  }

  private async start(
    tx: PoolClient,
    incidentId: string,
    cycle: number,
    service: string,
    severity: string,
    openedAt: string,
  ): Promise<void> {
    const route = await this.policies.resolve(service, severity, tx);
    const { rowCount } = await tx.query(
      `INSERT INTO escalation_cycles (incident_id, cycle, service, severity, opened_at, policy_id, policy_version, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (incident_id, cycle) DO NOTHING`,
      [
        incidentId,
        cycle,
        service,
        severity,
        openedAt,
        route?.policyId ?? null,
        route?.version ?? null,
        route ? 'escalating' : 'no-policy',
      ],
    );
    if (!route || rowCount === 0) return;
    await tx.query(
      `INSERT INTO escalation_timers (incident_id, cycle, step, kind, level, repeat, due_at, policy_id, policy_version)
       VALUES ($1, $2, 0, 'page', 1, 0, $3, $4, $5) ON CONFLICT (incident_id, cycle, step) DO NOTHING`,
      [incidentId, cycle, openedAt, route.policyId, route.version],
    );
  }

  async reset(): Promise<void> {
    // The timers are the escalations' durable state, not a derived view: nothing to empty.
  }
}
