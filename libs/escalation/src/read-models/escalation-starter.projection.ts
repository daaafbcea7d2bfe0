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
type Opening = { incidentId: string; cycle: number; service: string; severity: string; openedAt: string };

/** Policy lookups within one batch: each (service, severity) asked once. */
class Routes {
  private readonly known = new Map<string, Promise<{ policyId: string; version: number } | null>>();

  constructor(
    private readonly policies: Policies,
    private readonly tx: PoolClient,
  ) {}

  resolve(service: string, severity: string) {
    const key = `${service}\u0000${severity}`;
    let route = this.known.get(key);
    if (!route) {
      route = this.policies.resolve(service, severity, this.tx);
      this.known.set(key, route);
    }
    return route;
  }
}

export class EscalationStarter implements Projection {
  readonly name = 'escalation-starter@1';
  readonly streamTypes = [INCIDENT_STREAM_TYPE];
  /** Its timers are the escalations' durable state: a replay of the read models leaves them be. */
  readonly rebuildable = false;
  /** First steps written since the last commit was told (a batch rolled back may have counted too: one look for nothing). */
  private armed = 0;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly policies: Policies,
    /** Told once a batch that wrote first steps has committed: they are due now. */
    private readonly onArmed: () => void = () => undefined,
  ) {}

  async apply(tx: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    // Openings are gathered and written together (one statement for the cycles, one for their first
    // timers); anything that closes rows writes the gathered ones first, so the order of facts holds.
    const openings: Opening[] = [];
    const routes = new Routes(this.policies, tx);
    const flush = async () => {
      if (openings.length > 0) await this.start(tx, openings.splice(0), routes);
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

  /** Records each opening's cycle and, when a policy applies, its first timer (once: a cycle seen before is skipped). */
  private async start(tx: PoolClient, openings: Opening[], routes: Routes): Promise<void> {
    const rows = [];
    for (const o of openings) {
      const route = await routes.resolve(o.service, o.severity);
      rows.push({
        incident_id: o.incidentId,
        cycle: o.cycle,
        service: o.service,
        severity: o.severity,
        opened_at: o.openedAt,
        policy_id: route?.policyId ?? null,
        policy_version: route?.version ?? null,
        status: route ? 'escalating' : 'no-policy',
      });
    }
    const { rows: inserted } = await tx.query<{ incident_id: string; cycle: number }>({
      name: 'vigil-escalation-cycles-start',
      text: `INSERT INTO escalation_cycles (incident_id, cycle, service, severity, opened_at, policy_id, policy_version, status)
       SELECT incident_id, cycle, service, severity, opened_at, policy_id, policy_version, status
       FROM jsonb_to_recordset($1::jsonb) AS t(incident_id uuid, cycle int, service text, severity text,
            opened_at timestamptz, policy_id uuid, policy_version int, status text)
       ON CONFLICT (incident_id, cycle) DO NOTHING
       RETURNING incident_id, cycle`,
      values: [JSON.stringify(rows)],
    });
    const fresh = new Set(inserted.map((r) => `${r.incident_id}/${r.cycle}`));
    const timers = rows.filter((r) => r.policy_id !== null && fresh.has(`${r.incident_id}/${r.cycle}`));
    if (timers.length === 0) return;
    this.armed += timers.length;
    await tx.query({
      name: 'vigil-escalation-timers-arm-first',
      text: `INSERT INTO escalation_timers (incident_id, cycle, step, kind, level, repeat, due_at, policy_id, policy_version)
       SELECT incident_id, cycle, 0, 'page', 1, 0, opened_at, policy_id, policy_version
       FROM jsonb_to_recordset($1::jsonb) AS t(incident_id uuid, cycle int, opened_at timestamptz,
            policy_id uuid, policy_version int)
       ON CONFLICT (incident_id, cycle, step) DO NOTHING`,
      values: [JSON.stringify(timers)],
    });
  }

  afterCommit(): void {
    if (this.armed > 0) this.onArmed();
    this.armed = 0;
  }

  async reset(): Promise<void> {
    // The timers are the escalations' durable state, not a derived view: nothing to empty.
  }
}
