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
import { routeQuery } from '../application/policies.js';
import { policyStreamId } from '../domain/policy-events.js';

type Opening = { incidentId: string; cycle: number; service: string; severity: string; openedAt: string };

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
  readonly streamTypes = [INCIDENT_STREAM_TYPE];
  /** Its timers are the escalations' durable state: a replay of the read models leaves them be. */
  readonly rebuildable = false;
  /** First steps written since the last commit was told (a batch rolled back may have counted too: one look for nothing). */
  private armed = 0;

  constructor(
    private readonly store: PostgresEventStore,
    /** Told once a batch that wrote first steps has committed: they are due now. */
    private readonly onArmed: () => void = () => undefined,
  ) {}

  async apply(tx: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    // Openings are gathered and written together (one statement for their cycles and first timers);
    // anything that closes rows writes the gathered ones first, so the order of facts holds.
    const openings: Opening[] = [];
    const flush = async () => {
      if (openings.length > 0) await this.start(tx, openings.splice(0));
    };
    for (const e of events) {
      if (e.streamType !== INCIDENT_STREAM_TYPE) continue;
      const incidentId = incidentIdOf(e.streamId);
      switch (e.type) {
        case 'IncidentOpened': {
          const { service, severity } = e.data as IncidentOpened['data'];
          openings.push({ incidentId, cycle: 0, service, severity, openedAt: e.occurredAt });
          break;
        }
        case 'IncidentReopened': {
          await flush();
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
          openings.push({
            incidentId,
            cycle: state.reopenCount,
            service: state.service,
            severity: state.severity,
            openedAt: e.occurredAt,
          });
          break;
        }
        case 'IncidentAcknowledged':
        case 'IncidentResolved': {
          await flush();
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
    await flush();
  }

  /**
   * One statement for a batch of openings: each one's route and its policy's current version, the
   * cycles (an opening taken before keeps its row), and the first timer of each new cycle that has
   * a policy.
   */
  private async start(tx: PoolClient, openings: Opening[]): Promise<void> {
    const { rows } = await tx.query<{ armed: number }>({
      name: 'vigil-escalation-start',
      text: `WITH openings AS (
         SELECT o.*, r.policy_id,
                (SELECT max(stream_version) FROM events WHERE stream_id = $2 || r.policy_id) AS policy_version
         FROM jsonb_to_recordset($1::jsonb) AS o(incident_id uuid, cycle int, service text, severity text,
              opened_at timestamptz)
         LEFT JOIN LATERAL (${routeQuery('o.service', `ARRAY[o.severity, '*']`)}) r ON true
       ), cycles AS (
         INSERT INTO escalation_cycles (incident_id, cycle, service, severity, opened_at, policy_id, policy_version, status)
         SELECT incident_id, cycle, service, severity, opened_at,
                CASE WHEN policy_version > 0 THEN policy_id END, CASE WHEN policy_version > 0 THEN policy_version END,
                CASE WHEN policy_version > 0 THEN 'escalating' ELSE 'no-policy' END
         FROM openings
         ON CONFLICT (incident_id, cycle) DO NOTHING
         RETURNING incident_id, cycle, opened_at, policy_id, policy_version
       ), armed AS (
         INSERT INTO escalation_timers (incident_id, cycle, step, kind, level, repeat, due_at, policy_id, policy_version)
         SELECT incident_id, cycle, 0, 'page', 1, 0, opened_at, policy_id, policy_version
         FROM cycles WHERE policy_id IS NOT NULL
         ON CONFLICT (incident_id, cycle, step) DO NOTHING
         RETURNING 1
       )
       SELECT count(*)::int AS armed FROM armed`,
      values: [
        JSON.stringify(
          openings.map((o) => ({
            incident_id: o.incidentId,
            cycle: o.cycle,
            service: o.service,
            severity: o.severity,
            opened_at: o.openedAt,
          })),
        ),
        policyStreamId(''),
      ],
    });
    this.armed += rows[0]?.armed ?? 0;
  }

  afterCommit(): void {
    if (this.armed > 0) this.onArmed();
    this.armed = 0;
  }

  async reset(): Promise<void> {
    // The timers are the escalations' durable state, not a derived view: nothing to empty.
  }
}
