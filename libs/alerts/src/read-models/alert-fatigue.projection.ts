import type { PoolClient } from 'pg';
import type { LaterWrites, Projection, RecordedEvent } from '#vigil/event-store';
import type { AlertGroupEvent } from '../domain/alert-group.js';
import { ALERT_GROUP_STREAM_TYPE } from '../application/alert-ingestion.js';

/** The rule an alert stands for: its alert name, else its class, else its summary. */
export const ruleOf = (labels: Record<string, string>, summary: string): string =>
  (labels.alertname || labels.class || summary || '(unnamed)').slice(0, 200);

/** People act on incidents; alerts and the system do not. */
const HUMAN_ACTORS = new Set(['user', 'api-key', 'slack']);

/** The start of the minute (UTC) a time falls in. */
const minuteOf = (time: string) => new Date(Math.floor(Date.parse(time) / 60_000) * 60_000).toISOString();

/** Rows counted by all their fields, summed in memory before they are written. */
class Tally<R extends Record<string, string>> {
  private readonly counts = new Map<string, R & { count: number }>();

  add(row: R) {
    const key = Object.values(row).join('\n');
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { ...row, count: 1 });
  }

  get size() {
    return this.counts.size;
  }

  rows() {
    return [...this.counts.values()];
  }
}

/**
 * The one statement that stores a batch's counts. Repeats and flaps carry no labels: their service
 * and rule come from the alert's first fact, stored before or in this very batch (then only
 * RETURNING shows it). They come counted by alert, minute and kind, so a key is looked up once
 * however often its alert repeated in the batch, by the primary key: a LIMIT keeps the lookup a
 * subquery, because as a join the planner, which expects a hundred rows of any jsonb_to_recordset,
 * hashes them and scans every key ever stored.
 */
export const ALERT_FATIGUE_STATEMENT = `WITH new_keys AS (
     INSERT INTO alert_keys SELECT * FROM jsonb_populate_recordset(null::alert_keys, $1::jsonb)
     ON CONFLICT DO NOTHING RETURNING *
   ), repeats AS (
     SELECT r.minute, r.kind, r.count, coalesce(k.service, n.service) AS service, coalesce(k.rule, n.rule) AS rule
     FROM jsonb_to_recordset($2::jsonb)
       AS r(group_stream_id text, alert_key text, minute timestamptz, kind text, count int)
     LEFT JOIN LATERAL (
       SELECT service, rule FROM alert_keys
       WHERE group_stream_id = r.group_stream_id AND alert_key = r.alert_key LIMIT 1
     ) k ON true
     LEFT JOIN new_keys n USING (group_stream_id, alert_key)
   ), facts AS (
     SELECT minute, service, rule, kind, count FROM jsonb_populate_recordset(null::alert_fact_counts, $3::jsonb)
     UNION ALL
     SELECT minute, service, rule, kind, sum(count) FROM repeats WHERE service IS NOT NULL GROUP BY 1, 2, 3, 4
     UNION ALL
     SELECT minute, service, rule, 'received', sum(count) FROM repeats WHERE service IS NOT NULL GROUP BY 1, 2, 3
   ), counted AS (
     INSERT INTO alert_fact_counts AS c
     SELECT minute, service, rule, kind, sum(count) FROM facts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
     ON CONFLICT (minute, service, rule, kind) DO UPDATE SET count = c.count + EXCLUDED.count
   ), opened AS (
     INSERT INTO alert_incidents (incident_id, service, rule, opened_at, actionable)
     SELECT incident_id, service, rule, opened_at, incident_id = ANY($4::uuid[])
     FROM jsonb_populate_recordset(null::alert_incidents, $5::jsonb)
     ON CONFLICT DO NOTHING
   )
   UPDATE alert_incidents SET actionable = true WHERE incident_id = ANY($4::uuid[]) AND NOT actionable`;

/**
 * Counts what alerts did (received, deduplicated, suppressed, flapping, opened
 * an incident) per minute, service and rule, and whether anyone acted on the
 * incidents they opened. Counts are added up, so this relies on the
 * subscription committing its checkpoint with them (each event applied once).
 */
export class AlertFatigueProjection implements Projection {
  readonly name = 'alert-fatigue@2';

  async apply(tx: PoolClient, events: readonly RecordedEvent[], later?: LaterWrites): Promise<void> {
    /** Facts by minute, service, rule and kind. */
    const facts = new Tally<{ minute: string; service: string; rule: string; kind: string }>();
    const keys = new Map<
      string,
      { group_stream_id: string; alert_key: string; service: string; rule: string }
    >();
    const opened: Array<{ incident_id: string; service: string; rule: string; opened_at: string }> = [];
    const acted = new Set<string>();
    /** Repeats and flaps by group, alert key, minute and kind: their service and rule are looked up. */
    const repeats = new Tally<{ group_stream_id: string; alert_key: string; minute: string; kind: string }>();

    for (const e of events) {
      if (e.streamType === ALERT_GROUP_STREAM_TYPE) {
        const event = { type: e.type, data: e.data } as AlertGroupEvent;
        const minute = minuteOf(e.occurredAt);
        const fact = (kind: string, service: string, rule: string) =>
          facts.add({ minute, service, rule, kind });
        switch (event.type) {
          case 'AlertTriggered': {
            const { service, labels, summary, alertKey, incidentId, openedIncident } = event.data;
            const rule = ruleOf(labels, summary);
            keys.set(`${e.streamId}\n${alertKey}`, {
              group_stream_id: e.streamId,
              alert_key: alertKey,
              service,
              rule,
            });
            fact('received', service, rule);
            if (openedIncident) {
              fact('opened', service, rule);
              opened.push({ incident_id: incidentId, service, rule, opened_at: e.occurredAt });
            }
            break;
          }
          case 'AlertSuppressed': {
            const { service, labels, summary, alertKey } = event.data;
            const rule = ruleOf(labels, summary);
            keys.set(`${e.streamId}\n${alertKey}`, {
              group_stream_id: e.streamId,
              alert_key: alertKey,
              service,
              rule,
            });
            fact('received', service, rule);
            fact('suppressed', service, rule);
            break;
          }
          case 'AlertRepeated':
          case 'AlertFlapping':
            repeats.add({
              group_stream_id: e.streamId,
              alert_key: event.data.alertKey,
              minute,
              kind: event.type === 'AlertRepeated' ? 'deduplicated' : 'flapping',
            });
            break;
          case 'AlertAcknowledged':
          case 'AlertResolved':
            break;
        }
      } else if (
        e.streamType === 'incident' &&
        HUMAN_ACTORS.has(e.metadata.actor?.kind ?? '') &&
        e.type !== 'IncidentOpened'
      ) {
        acted.add(e.streamId.slice('incident-'.length));
      }
    }

    if (keys.size + repeats.size + facts.size + opened.length + acted.size === 0) return;
    // Sent with the round's commit when it can wait.
    const statement = {
      text: ALERT_FATIGUE_STATEMENT,
      values: [
        JSON.stringify([...keys.values()]),
        JSON.stringify(repeats.rows()),
        JSON.stringify(facts.rows()),
        [...acted],
        JSON.stringify(opened),
      ],
    };
    if (later) later.add(statement.text, statement.values);
    // Prepared: planning it costs more than running it.
    else await tx.query({ name: 'vigil-alert-fatigue-apply', ...statement });
  }

  async reset(tx: PoolClient): Promise<void> {
    await tx.query(`TRUNCATE alert_fact_counts, alert_keys, alert_incidents`);
  }
}
